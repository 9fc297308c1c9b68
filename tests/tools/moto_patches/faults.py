"""Faults a test asks for: what moto cannot show by itself (slow or failing AWS).

A test registers faults over HTTP on the running server (`POST /moto-api/faults` with a JSON
fault, `GET` lists them with what is left of each, `DELETE` clears them, `?key=K` only those
of one key). Every fault has a `key`: the production database identifier (or the deployment
name); a request is affected only when it names that database, its `-old`/`-green` relatives
or a deployment of it, so tests sharing one server do not disturb each other.

Kinds:
- `provisioning` {describes}: the deployment reads PROVISIONING for that many
  DescribeBlueGreenDeployments calls (or until the fault is cleared), then AVAILABLE (once
  green's build, `deployments`, is over too).
- `invalid-configuration` {details}: the deployment reads INVALID_CONFIGURATION with that
  StatusDetails until the fault is cleared.
- `switchover-failed` {details}: the next switchover ends in SWITCHOVER_FAILED, nothing renamed.
- `switchover-rolled-back` {details?}: the next switchover outlives its SwitchoverTimeout and
  is rolled back: AVAILABLE again, nothing renamed, RDS-EVENT-0249 (see `switchover`).
- `creation-failed` {reason}: green's build ends in a failure after create returned:
  RDS-EVENT-0245 with `reason`, task FAILED, INVALID_CONFIGURATION (see `deployments`).
- `create-refused` {reason}: the next CreateBlueGreenDeployment of the database is refused
  as AWS refuses it for `reason` (see `create_refusals`).
- `green-instance-status` {status, describes, instance?}: green instances (or only the green
  counterpart of blue instance `instance`) read `status` for that many DescribeDBInstances
  calls, then `available`; a switchover is refused meanwhile.

- `lambda-timeout` {function, times}: the next `times` Step Functions invocations of Lambda
  function `function` for the key's database run to their end (what they changed stays
  changed) but are answered as a function that ran past its template `Timeout` (see
  `sfn_lambda`).
- `fail-action` {action, code, message?, times}: the next `times` calls of RDS action
  `action` naming the key fail with AWS error code `code`.
- `automation-failed` {message}: the next SSM Automation execution whose parameters name the
  key's database ends `Failed` with that `FailureMessage` (see `ssm_automation`).
- `answer-without` {function, field}: the next answer of Lambda function `function` that has
  `field` (served
  by `cargo lambda watch`, see `sfn_lambda`) for the key's database lacks `field`, so the
  state reading it fails with `States.Runtime` (the runtime-error path, end to end).

Before each RDS request the emulated clock (`timeline`) runs what has become due, then the
faults tick.

A describe counts only when it names what it reads (an identifier or a filter): an unfiltered
listing, such as another test's inventory on the shared server, sees the fault's current state
but neither uses it up nor ends it (a fault whose describes are used up ends at the next
describe that names what it reads).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import BlueGreenDeployment, RDSBackend
from moto.rds.responses import RDSResponse

from . import deployments, timeline

ROUTE = "/moto-api/faults"
KINDS = {
    "provisioning": ("describes",),
    "invalid-configuration": ("details",),
    "switchover-failed": (),
    "switchover-rolled-back": (),
    "create-refused": ("reason",),
    "creation-failed": ("reason",),
    "green-instance-status": ("status", "describes"),
    "fail-action": ("action", "code", "times"),
    "answer-without": ("function", "field"),
    "lambda-timeout": ("function", "times"),
    "automation-failed": ("message",),
}

_lock = threading.RLock()
_faults: list[dict[str, Any]] = []
_next_id = 0


class FaultError(ValueError):
    """A fault definition the server cannot use."""


def add(fault: dict[str, Any]) -> dict[str, Any]:
    global _next_id
    kind = fault.get("kind")
    if kind not in KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
    missing = [f for f in ("key", *KINDS[kind]) if f not in fault]
    if missing:
        raise FaultError(f"fault {kind!r} needs {missing}")
    with _lock:
        _next_id += 1
        stored = dict(fault, id=_next_id)
        _faults.append(stored)
        return stored


def listing() -> list[dict[str, Any]]:
    with _lock:
        return [dict(f) for f in _faults]


def clear(key: str | None = None) -> int:
    with _lock:
        keep = [f for f in _faults if key is not None and f["key"] != key]
        gone = [f for f in _faults if f not in keep]
        _faults[:] = keep
        held = [f for f in gone if f["kind"] == "provisioning"]
        released = [bg for bg in _all_deployments() if any(_names_match(f["key"], _deployment_names(bg)) for f in held)]
    _release(released)
    return len(gone)


def _all_deployments() -> list[BlueGreenDeployment]:
    from moto.rds.models import rds_backends

    return [
        bg
        for account in rds_backends.values()
        for backend in account.values()
        for bg in list(backend.blue_green_deployments.values())
    ]


def _names_match(key: str, names: Iterable[str]) -> bool:
    return any(n == key or n.startswith(key + "-") for n in names)


def _deployment_names(bg: BlueGreenDeployment) -> list[str]:
    return [bg.blue_green_deployment_name, deployments.production_name(bg)]


def _of_kind(kind: str, names: Iterable[str]) -> list[dict[str, Any]]:
    names = list(names)
    return [f for f in _faults if f["kind"] == kind and _names_match(f["key"], names)]


_SWITCHOVER_KINDS = ("switchover-failed", "switchover-rolled-back")
_DEFAULT_DETAILS = {
    "switchover-failed": "Switchover failed; all changes were rolled back.",
    "switchover-rolled-back": "the switchover timeout was reached",
}


def take_switchover_outcome(bg: BlueGreenDeployment) -> tuple[str, str] | None:
    """Consumes the first switchover fault of this deployment: (kind, details)."""
    with _lock:
        names = _deployment_names(bg)
        for fault in [f for f in _faults if f["kind"] in _SWITCHOVER_KINDS and _names_match(f["key"], names)]:
            _faults.remove(fault)
            kind = fault["kind"]
            return kind, fault.get("details") or _DEFAULT_DETAILS[kind]
    return None


def take_answer_without(function: str, identifier: str | None, answer: dict[str, Any]) -> str | None:
    """Consumes an `answer-without` fault for `function` acting on `identifier`: the field to
    drop from its answer (a State's path into that answer then fails with `States.Runtime`, as
    in an AWS account; how the product's runtime-error path is proven)."""
    if not identifier:
        return None
    with _lock:
        for fault in _of_kind("answer-without", [identifier]):
            if fault["function"] == function and fault["field"] in answer:
                _faults.remove(fault)
                return str(fault["field"])
    return None


def take_creation_failure(bg: BlueGreenDeployment) -> str | None:
    """Consumes a `creation-failed` fault of this deployment: its reason."""
    with _lock:
        for fault in _of_kind("creation-failed", _deployment_names(bg)):
            _faults.remove(fault)
            return str(fault["reason"])
    return None


def take_lambda_timeout(function: str, payload: bytes) -> bool:
    """Uses up one `lambda-timeout` of `function` whose database the payload names."""
    text = payload.decode(errors="replace")
    with _lock:
        for fault in [f for f in _faults if f["kind"] == "lambda-timeout" and f["function"] == function]:
            if f'"{fault["key"]}"' in text:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    _faults.remove(fault)
                return True
    return False


def take_automation_failure(parameters: str) -> str | None:
    """Consumes an `automation-failed` fault whose database the execution's parameters name:
    its failure message."""
    with _lock:
        for fault in [f for f in _faults if f["kind"] == "automation-failed"]:
            if f'\\"{fault["key"]}\\"' in parameters or f'"{fault["key"]}"' in parameters:
                _faults.remove(fault)
                return str(fault["message"])
    return None


def take_create_refusal(key_names: Iterable[str]) -> str | None:
    """Consumes a `create-refused` fault for a database named in `key_names`: its reason."""
    with _lock:
        for fault in _of_kind("create-refused", key_names):
            _faults.remove(fault)
            return str(fault["reason"])
    return None


# ---- ticks run before the RDS action they concern ------------------------------------------


def _filters(params: Any) -> dict[str, list[str]]:
    return {f["Name"]: f["Values"] for f in params.get("Filters", []) or []}


def _described_deployments(backend: RDSBackend, params: Any) -> list[BlueGreenDeployment]:
    try:
        return backend.describe_blue_green_deployments(params.get("BlueGreenDeploymentIdentifier"), _filters(params))
    except RDSClientError:
        return []


def _targeted(params: Any, identifier: str) -> bool:
    """Whether a describe names what it reads, and so counts against a fault."""
    return bool(params.get(identifier)) or bool(params.get("Filters"))


def _tick_deployments(backend: RDSBackend, params: Any, released: list[BlueGreenDeployment]) -> None:
    """Applies the deployment faults to what a describe reads; a deployment whose
    `provisioning` fault ended goes to `released` (completed by the caller, outside `_lock`)."""
    counts = _targeted(params, "BlueGreenDeploymentIdentifier")
    for bg in _described_deployments(backend, params):
        names = _deployment_names(bg)
        held = _of_kind("provisioning", names)
        for fault in held:
            if fault["describes"] > 0 or not counts:
                fault["describes"] -= counts
                _set_tasks(bg, "IN_PROGRESS")
                bg.set_status(bg.SupportedStates.PROVISIONING)
            else:
                _faults.remove(fault)
        if held and not holds_provisioning(bg):
            released.append(bg)
        for fault in _of_kind("invalid-configuration", names):
            bg.set_status(bg.SupportedStates.INVALID_CONFIGURATION)
            bg.status_details = fault["details"]


def holds_provisioning(bg: BlueGreenDeployment) -> bool:
    """Whether a `provisioning` fault keeps the deployment building."""
    with _lock:
        return bool(_of_kind("provisioning", _deployment_names(bg)))


def _release(bgs: Iterable[BlueGreenDeployment]) -> None:
    """`provisioning` faults ended (used up, or cleared by the test): green's build completes
    now, with its event, when its emulated time is over (else the timeline completes it).
    Called outside `_lock`: completing takes the timeline's lock, which is taken before ours."""
    for bg in bgs:
        if bg.status == "PROVISIONING" and deployments.built(bg) and not holds_provisioning(bg):
            deployments.complete(bg, timeline.utcnow())


def _set_tasks(bg: BlueGreenDeployment, status: str) -> None:
    deployments.set_tasks(bg, status)


def _tick_instances(backend: RDSBackend, params: Any) -> None:
    try:
        described = backend.describe_db_instances(params.get("DBInstanceIdentifier"), filters=_filters(params))
    except RDSClientError:
        return
    described_ids = {id(i) for i in described}
    counts = _targeted(params, "DBInstanceIdentifier")
    for bg in list(backend.blue_green_deployments.values()):
        for fault in _of_kind("green-instance-status", _deployment_names(bg)):
            wanted = fault.get("instance")
            greens = [
                g
                for g in deployments.green_instances(bg)
                if wanted is None or deployments.blue_name_of_green(deployments.identifier(g)) == wanted
            ]
            if not any(id(g) in described_ids for g in greens):
                continue
            if fault["describes"] > 0 or not counts:
                fault["describes"] -= counts
                status = fault["status"]
            else:
                _faults.remove(fault)
                status = "available"
            for g in greens:
                g.status = status


def _request_names(backend: RDSBackend, params: Any) -> list[str]:
    """Every identifier a request names: values, ARN tails, and a deployment's database."""
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            names.append(value)
            names.append(value.split(":")[-1])
            bg = backend.blue_green_deployments.get(value)
            if bg is not None:
                names.extend(_deployment_names(bg))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(dict(params))
    return names


def _injected_failure(action: str, backend: RDSBackend, params: Any) -> RDSClientError | None:
    timeline.advance()
    released: list[BlueGreenDeployment] = []
    try:
        return _injected_failure_locked(action, backend, params, released)
    finally:
        _release(released)


def _injected_failure_locked(
    action: str, backend: RDSBackend, params: Any, released: list[BlueGreenDeployment]
) -> RDSClientError | None:
    with _lock:
        if action == "DescribeBlueGreenDeployments":
            _tick_deployments(backend, params, released)
        if action == "DescribeDBInstances":
            _tick_instances(backend, params)
        candidates = [f for f in _faults if f["kind"] == "fail-action" and f["action"] == action]
        if not candidates:
            return None
        names = _request_names(backend, params)
        for fault in candidates:
            if _names_match(fault["key"], names):
                fault["times"] -= 1
                if fault["times"] <= 0:
                    _faults.remove(fault)
                return RDSClientError(fault["code"], fault.get("message") or f"Injected {fault['code']} for test")
    return None


_original_call_action = RDSResponse.call_action


def _call_action(self: RDSResponse) -> Any:
    failure = _injected_failure(self._get_action(), self.backend, self.params)
    if failure is None:
        return _original_call_action(self)
    status, headers, body = self.serialized(ActionResult(failure))
    headers, body = self._enrich_response(headers, body)
    return status, headers, body


# ---- HTTP route --------------------------------------------------------------------------


def wsgi(app: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps moto's WSGI app with the fault route."""

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != ROUTE:
            return app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        try:
            if method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                result: Any = add(json.loads(environ["wsgi.input"].read(length) or b"{}"))
            elif method == "DELETE":
                key = parse_qs(environ.get("QUERY_STRING", "")).get("key", [None])[0]
                result = {"removed": clear(key)}
            else:
                result = listing()
            status = "200 OK"
        except (FaultError, ValueError) as e:
            result, status = {"error": str(e)}, "400 Bad Request"
        body = json.dumps(result).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return route


def apply() -> None:
    if RDSResponse.call_action is not _call_action:
        RDSResponse.call_action = _call_action
