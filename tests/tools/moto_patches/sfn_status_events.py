"""Step Functions sends "Step Functions Execution Status Change" events to EventBridge, and
EventBridge invokes Lambda targets: both missing from moto 5.2.5.

AWS: "Automating Step Functions event delivery with EventBridge"
(https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): every
status change of a standard workflow's execution goes to the account's default event bus as
`source` `aws.states`, `detail-type` "Step Functions Execution Status Change", `resources`
[the execution ARN], and a `detail` of `executionArn`, `stateMachineArn`, `name`, `status`,
`startDate` and `stopDate` (epoch milliseconds), `input` and `output` (JSON text, `output`
null unless SUCCEEDED), `inputDetails`/`outputDetails`, `error` and `cause`. Delivery is best
effort. Here the end of an execution (SUCCEEDED, FAILED, TIMED_OUT, ABORTED) is put on moto's
default bus, where moto's own rules and pattern matching route it; the RUNNING event at the
start is not sent (nothing here reads it).

EventBridge invokes a Lambda target asynchronously with the event as its payload
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html); moto raises
NotImplementedError for Lambda targets. With `E2E_LAMBDA_ENDPOINT` set, a Lambda target's
function (named by its ARN) is invoked on `cargo lambda watch`, as `sfn_lambda` does for
Step Functions tasks, from a background thread (asynchronous, as EventBridge does).

A Step Functions target (a rule SAM generates from a state machine's `EventBridgeRule` event,
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-statemachine-statemachineeventbridgerule.html)
is also missing from moto. EventBridge starts an execution of the state machine with the
event as its input (StartExecution, through the target's role, which needs
`states:StartExecution`; the execution's name is left to Step Functions:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html; the rule, its
target and the role are what SAM generates:
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-statemachine.html);
here it is started on moto's engine from a background thread, with that input, and named as
Step Functions names an execution started without one: "If you don't provide a name for the
execution, Step Functions automatically generates a universally unique identifier (UUID) as the
execution name" (API_StartExecution, `name`:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
(Started with no name, moto took every later event's start for a second execution named None
and refused it as ExecutionAlreadyExists: only the first event of a rule ever started anything.)

A rule without an event pattern (a scheduled rule: SAM's `Schedule` event of the release-lock
machine, the reaper) matches no event. PutRule: "A rule must contain at least an EventPattern
or ScheduleExpression. Rules with EventPatterns are triggered when a matching event is observed.
Rules with ScheduleExpressions self-trigger based on the given schedule"
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html). moto matched
every event to such a rule: on the stack deployed from template.yaml each event started the
release-lock machine, whose own status events started it again with the last event nested in
its input, until the inputs exceeded Step Functions' size limit (gigabytes of memory and a
core of the emulator, for the rest of the end-to-end tier).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Any

from moto.events import models as events_models
from moto.stepfunctions.parser.backend import execution as sfn_execution
from moto.utilities.arns import parse_arn

from .sfn_lambda import ENDPOINT_VAR, TIMEOUT_SECONDS, function_name

DETAIL_TYPE = "Step Functions Execution Status Change"
ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

_original_terminated = sfn_execution.BaseExecutionWorkerCommunication.terminated
_original_send_to_targets = events_models.Rule.send_to_targets


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    return int(float(value) * 1000)


def status_change_detail(execution: Any) -> dict[str, Any]:
    """The event's `detail`, from the execution as DescribeExecution shows it."""
    described = execution.to_describe_output()
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": described.get("stateMachineArn"),
        "name": execution.name,
        "status": status,
        "startDate": _millis(execution.start_date),
        "stopDate": _millis(execution.stop_date),
        "input": described.get("input"),
        "inputDetails": {"included": True},
        "output": described.get("output"),
        "outputDetails": {"included": True} if described.get("output") is not None else None,
        "error": described.get("error"),
        "cause": described.get("cause"),
    }


def _terminated(self: Any) -> None:
    _original_terminated(self)
    execution = self.execution
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    if status not in ENDED:
        return
    backend = events_models.events_backends[execution.account_id][execution.region_name]
    backend.put_events(
        [
            {
                "Source": "aws.states",
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(status_change_detail(execution)),
                "Resources": [execution.exec_arn],
            }
        ]
    )


def _invoke_async(endpoint: str, function_arn: str, event: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{endpoint.rstrip('/')}/2015-03-31/functions/{function_name(function_arn)}/invocations",
        data=json.dumps(event).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )

    def call() -> None:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
        except Exception:  # noqa: BLE001 - best effort, as EventBridge's delivery
            pass

    threading.Thread(target=call, daemon=True).start()


def _start_async(rule: Any, state_machine_arn: str, event: dict[str, Any]) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[rule.account_id][rule.region_name]

    def start() -> None:
        try:
            backend.start_execution(state_machine_arn, str(uuid.uuid4()), json.dumps(event))
        except Exception:  # noqa: BLE001 - best effort, as EventBridge's delivery
            pass

    threading.Thread(target=start, daemon=True).start()


def _delivered(original_event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target receives it (`time` as RFC 3339, no ingestion time)."""
    event = copy.deepcopy(original_event)
    event.pop("ingestion-time", None)
    if isinstance(event.get("time"), (int, float)):
        event["time"] = datetime.fromtimestamp(float(event["time"]), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def _send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if not self.event_pattern.get_pattern():
        return
    endpoint = os.environ.get(ENDPOINT_VAR)
    lambdas = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
    machines = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
    ours = lambdas + machines
    others = [t for t in self.targets if t not in ours]
    if ours and self.state == "ENABLED" and self.event_pattern.matches_event(original_event):
        event = _delivered(original_event)
        for target in lambdas:
            if endpoint:
                _invoke_async(endpoint, target["Arn"], event)
        for target in machines:
            _start_async(self, target["Arn"], event)
    if others or not ours:
        saved = self.targets
        self.targets = others
        try:
            _original_send_to_targets(self, original_event, transform_input)
        finally:
            self.targets = saved


def apply() -> None:
    sfn_execution.BaseExecutionWorkerCommunication.terminated = _terminated
    events_models.Rule.send_to_targets = _send_to_targets
