"""SSM Automation executions (StartAutomationExecution, GetAutomationExecution,
StopAutomationExecution), which moto 5.2.5 does not have: the product starts a user's
Automation runbook as a hook (`aws-sdk:ssm:startAutomationExecution`) and reads it until it ends.

Sources (AWS Systems Manager API Reference and User Guide):
- API_StartAutomationExecution: `DocumentName`, `DocumentVersion`, `Parameters` (a map of lists
  of strings "which match the declared parameters in the Automation runbook"); answers
  `AutomationExecutionId`; errors `AutomationDefinitionNotFoundException` (no such runbook),
  `AutomationDefinitionVersionNotFoundException`, `InvalidAutomationExecutionParametersException`
  (a parameter the runbook does not declare, or a required one missing).
- API_GetAutomationExecution / API_AutomationExecution: `AutomationExecutionStatus`
  (`Pending`, `InProgress`, `Waiting`, `Success`, `TimedOut`, `Cancelling`, `Cancelled`,
  `Failed`, ...), `Parameters` as given, `FailureMessage`, `ExecutionStartTime`,
  `ExecutionEndTime`, `DocumentName`, `DocumentVersion`; `AutomationExecutionNotFoundException`.
- API_StopAutomationExecution (`Type` `Cancel`): the execution reads `Cancelling`, then
  `Cancelled` ("Understanding automation statuses", automation-statuses.html).
- "aws:sleep - Delay an automation" (automation-action-sleep.html): `Duration` in ISO 8601.

Here an execution reads `Pending` at start, `InProgress` once read, and ends `Success` when the
runbook's `aws:sleep` steps have elapsed on the scaled clock (`E2E_WAIT_SCALE`, like the Step
Functions waits); other actions take no time (the emulator does not run them). A runbook that
fails is a test fault (`automation-failed` {message}, keyed by the database the `Payload`
parameter names: `faults.py`): the execution ends `Failed` with that `FailureMessage`, as AWS
reports a failed step.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import yaml
from moto.core.responses import ActionResult
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.core.exceptions import JsonRESTError

from . import faults, sfn_waits

_lock = threading.Lock()
# (account, region) -> execution id -> execution
_EXECUTIONS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


class _Error(JsonRESTError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def _seconds(duration: str) -> float:
    """ISO 8601 `PT1H2M3S` -> seconds (aws:sleep's `Duration`)."""
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", duration or "")
    if not m:
        return 0.0
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + s


def _content(document: dict[str, Any]) -> dict[str, Any]:
    text = document.get("Content") or "{}"
    try:
        return json.loads(text)
    except ValueError:
        return yaml.safe_load(text) or {}


def _start(self: SimpleSystemManagerResponse) -> ActionResult:
    name = self._get_param("DocumentName")
    version = self._get_param("DocumentVersion")
    parameters = self._get_param("Parameters") or {}
    backend = ssm_backends[self.current_account][self.region]
    try:
        document = backend.get_document(
            name=name,
            document_version=None if version in (None, "$DEFAULT") else (None if version == "$LATEST" else version),
            document_format="JSON",
            version_name=None,
        )
    except Exception as error:  # moto: InvalidDocument
        raise _Error("AutomationDefinitionNotFoundException", f"Automation definition {name} not found: {error}")
    if document.get("DocumentType") != "Automation":
        raise _Error("AutomationDefinitionNotFoundException", f"{name} is not an Automation runbook")
    content = _content(document)
    declared = content.get("parameters") or {}
    unknown = sorted(set(parameters) - set(declared))
    missing = sorted(p for p, spec in declared.items() if "default" not in (spec or {}) and p not in parameters)
    if unknown or missing:
        raise _Error(
            "InvalidAutomationExecutionParametersException",
            f"Parameters {unknown} are not declared by {name}" if unknown else f"Parameters {missing} are required by {name}",
        )
    steps = content.get("mainSteps") or []
    runtime = sum(_seconds((s.get("inputs") or {}).get("Duration", "")) for s in steps if s.get("action") == "aws:sleep")
    failure = faults.take_automation_failure(json.dumps(parameters))
    execution_id = str(uuid.uuid4())
    now = time.time()
    with _lock:
        _EXECUTIONS.setdefault((self.current_account, self.region), {})[execution_id] = {
            "id": execution_id,
            "DocumentName": name,
            "DocumentVersion": document.get("DocumentVersion"),
            "Parameters": parameters,
            "started": now,
            "ends": now + sfn_waits.scaled_seconds(runtime),
            "failure": failure,
            "reads": 0,
            "stopped": None,
        }
    return ActionResult({"AutomationExecutionId": execution_id})


def _find(self: SimpleSystemManagerResponse) -> dict[str, Any]:
    execution_id = self._get_param("AutomationExecutionId")
    with _lock:
        found = _EXECUTIONS.get((self.current_account, self.region), {}).get(execution_id)
    if found is None:
        raise _Error("AutomationExecutionNotFoundException", f"Automation execution {execution_id} not found")
    return found


def _status(execution: dict[str, Any], now: float) -> tuple[str, float | None]:
    if execution["stopped"] is not None:
        return ("Cancelled" if now >= execution["stopped"] else "Cancelling"), execution["stopped"]
    if execution["reads"] == 0:
        return "Pending", None
    if now < execution["ends"]:
        return "InProgress", None
    return ("Failed" if execution["failure"] else "Success"), execution["ends"]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def _get(self: SimpleSystemManagerResponse) -> ActionResult:
    execution = _find(self)
    status, ended = _status(execution, time.time())
    with _lock:
        execution["reads"] += 1
    out: dict[str, Any] = {
        "AutomationExecutionId": execution["id"],
        "DocumentName": execution["DocumentName"],
        "DocumentVersion": execution["DocumentVersion"],
        "AutomationExecutionStatus": status,
        "ExecutionStartTime": _iso(execution["started"]),
        "Parameters": execution["Parameters"],
        "Mode": "Auto",
    }
    if ended is not None:
        out["ExecutionEndTime"] = _iso(ended)
    if status == "Failed":
        out["FailureMessage"] = execution["failure"]
    return ActionResult({"AutomationExecution": out})


def _stop(self: SimpleSystemManagerResponse) -> ActionResult:
    execution = _find(self)
    status, _ = _status(execution, time.time())
    if status in ("Success", "Failed", "Cancelled", "TimedOut"):
        raise _Error("InvalidAutomationStatusUpdateException", f"Automation execution {execution['id']} is {status}")
    with _lock:
        execution["stopped"] = time.time() + sfn_waits.scaled_seconds(5)
    return ActionResult({})


def apply() -> None:
    SimpleSystemManagerResponse.start_automation_execution = _start
    SimpleSystemManagerResponse.get_automation_execution = _get
    SimpleSystemManagerResponse.stop_automation_execution = _stop
