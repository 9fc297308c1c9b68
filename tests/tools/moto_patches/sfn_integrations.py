"""Step Functions service integrations take and give AWS's PascalCase fields.

In a state machine, an integration's parameters and result use the API's member names in
PascalCase: `arn:aws:states:::states:startExecution.sync:2` takes `StateMachineArn`, `Name`
and `Input`, and its result is the ended execution as `ExecutionArn`, `Status`, `Output`,
`StartDate`, `StopDate` (dates as epoch milliseconds), with `Output` parsed for `:2`
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html); the AWS SDK
integrations (`arn:aws:states:::aws-sdk:sfn:describeExecution`) likewise take `ExecutionArn`
and answer `Status`, `Output`... (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).

moto 5.2.5's copy of the engine keeps the conversion helpers (`_to_boto_request`,
`_from_boto_response`) but its `_normalise_parameters` / `_normalise_response` are empty, so
boto receives `StateMachineArn` where it expects `stateMachineArn` and every Step Functions
task fails with `KeyError`. This restores the conversion from the service's own botocore
model. Services whose members are already PascalCase (DynamoDB, S3) are unchanged by it.

A blob parameter given as a string (`"Body.$": "$.report.csv"` of `s3:putObject`) is sent as
that text, as Step Functions does; moto's helper JSON-encoded it, so the object held the
string in quotes with its line breaks escaped. Other values (objects) are still sent as JSON.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any

import botocore.session
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_sfn,
)

StateTaskService = state_task_service.StateTaskService
StateTaskServiceSfn = state_task_service_sfn.StateTaskServiceSfn


@lru_cache(maxsize=None)
def _operation(service: str, snake_action: str) -> Any:
    model = botocore.session.get_session().get_service_model(service)
    for name in model.operation_names:
        if botocore.xform_name(name) == snake_action:
            return model.operation_model(name)
    return None


_original_to_boto_request_value = StateTaskService._to_boto_request_value


def _to_boto_request_value(self, request_value, value_shape):
    if getattr(value_shape, "type_name", None) == "blob" and isinstance(request_value, str):
        return request_value.encode("utf-8")
    return _original_to_boto_request_value(self, request_value, value_shape)


def _operation_of(self, boto_service_name, service_action_name) -> Any:
    return _operation(
        self._get_boto_service_name(boto_service_name),
        self._get_boto_service_action(service_action_name),
    )


def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None) -> None:
    operation = _operation_of(self, boto_service_name, service_action_name)
    if operation is not None and operation.input_shape is not None:
        self._to_boto_request(parameters, operation.input_shape)


def _normalise_response(self, response, boto_service_name=None, service_action_name=None) -> None:
    operation = _operation_of(self, boto_service_name, service_action_name)
    if operation is not None and operation.output_shape is not None:
        self._from_boto_response(response, operation.output_shape)


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp() * 1000)
    return value


def _sfn_normalise_response(self, response, boto_service_name=None, service_action_name=None) -> None:
    _normalise_response(self, response, boto_service_name, service_action_name)
    if isinstance(response, dict):
        for key in ("StartDate", "StopDate"):
            if key in response:
                response[key] = _epoch_millis(response[key])


def apply() -> None:
    StateTaskService._to_boto_request_value = _to_boto_request_value
    StateTaskService._normalise_parameters = _normalise_parameters
    StateTaskService._normalise_response = _normalise_response
    StateTaskServiceSfn._normalise_response = _sfn_normalise_response
