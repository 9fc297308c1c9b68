"""The context object's `Execution.StartTime` as the ISO 8601 string AWS gives.

moto 5.2.5 declares `StartTime: str  # Format: ISO 8601` but fills it with a `datetime`, which
a DynamoDB task cannot serialize (the state machine's lock records it). AWS's context object
reference shows `"StartTime": "2019-03-26T20:14:13.192Z"`
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_original = ExecutionWorker._get_evaluation_environment


def _iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        text = value.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    return value


def _get_evaluation_environment(self: ExecutionWorker) -> Any:
    env = _original(self)
    execution = env.states.context_object.context_object_data["Execution"]
    execution["StartTime"] = _iso(execution["StartTime"])
    return env


def apply() -> None:
    if ExecutionWorker._get_evaluation_environment is not _get_evaluation_environment:
        ExecutionWorker._get_evaluation_environment = _get_evaluation_environment
