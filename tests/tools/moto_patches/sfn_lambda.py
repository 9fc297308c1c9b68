"""Step Functions Lambda tasks run the workspace's real binaries under `cargo lambda watch`.

moto's Step Functions engine sends Lambda tasks to moto's own Lambda, which needs Docker.
With `E2E_LAMBDA_ENDPOINT` set (e.g. `http://127.0.0.1:9123`), both task forms
(`arn:aws:states:::lambda:invoke` with `FunctionName`, and a plain function ARN as
`Resource`) are sent to `POST {endpoint}/2015-03-31/functions/<name>/invocations`, where the
name is the function's name (ARN or `name:qualifier` reduced to the name): the binary name.

`cargo lambda watch` answers a function error with HTTP 500 and no `X-Amz-Function-Error`
header; Lambda itself answers 200 with `FunctionError: Unhandled`. This client reports it the
Lambda way, so the engine raises the function's own `errorType` as the States error name with
the error JSON as Cause, and Retry / Catch match on it as on AWS.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.error
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from . import faults

ENDPOINT_VAR = "E2E_LAMBDA_ENDPOINT"
# The first call of a binary compiles it: allow for that.
TIMEOUT_SECONDS = float(os.environ.get("E2E_LAMBDA_TIMEOUT", "900"))

_original_boto_client_for = lambda_eval_utils.boto_client_for


# A JSON file {deployed function name: binary name}, for a stack deployed from template.yaml
# (`tests/tools/template_stack.py`), whose functions are named by the template
# (`${AWS::StackName}-precheck`) while the local Lambda serves each binary under its own name.
NAMES_VAR = "E2E_LAMBDA_NAMES_FILE"


def function_name(function: str) -> str:
    """`arn:aws:lambda:r:a:function:NAME[:qualifier]`, `NAME:qualifier` or `NAME` -> `NAME`,
    then the binary serving NAME when `E2E_LAMBDA_NAMES_FILE` maps it."""
    name = function.split(":")[6] if function.startswith("arn:") else function.split(":")[0]
    names_file = os.environ.get(NAMES_VAR)
    if names_file and os.path.exists(names_file):
        with open(names_file) as f:
            return json.load(f).get(name, name)
    return name


def _payload_bytes(payload: Any) -> bytes:
    if payload is None:
        return b"{}"
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload).encode()


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "e2e-cargo-lambda"},
        },
        "Invoke",
    )


class CargoLambdaClient:
    """The one Lambda call the engine makes (`invoke`), against `cargo lambda watch`."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def invoke(self, FunctionName: str, Payload: Any = None, **_: Any) -> dict[str, Any]:  # noqa: N803
        name = function_name(FunctionName)
        request = urllib.request.Request(
            f"{self.endpoint}/2015-03-31/functions/{name}/invocations",
            data=_payload_bytes(Payload),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise _client_error("ServiceException", f"cargo lambda at {self.endpoint} unreachable: {error}", 503) from error
        if faults.take_lambda_timeout(name, _payload_bytes(Payload)):
            return _timed_out(name)
        function_error = headers.get("X-Amz-Function-Error")
        if status == 200 and not function_error:
            body = _without_faulted_field(name, Payload, body)
        result: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": io.BytesIO(body)}
        if status == 200 and not function_error:
            return result
        if function_error or _is_function_error(body):
            result["FunctionError"] = function_error or "Unhandled"
            return result
        if status == 404:
            raise _client_error("ResourceNotFoundException", f"Function not found: {FunctionName}", 404)
        raise _client_error("ServiceException", body.decode(errors="replace")[:2000], status)


def _without_faulted_field(function: str, payload: Any, body: bytes) -> bytes:
    """The answer less the field an `answer-without` fault names (see `faults`)."""
    try:
        event = json.loads(_payload_bytes(payload))
        identifier = event.get("request", {}).get("target", {}).get("identifier")
    except (ValueError, AttributeError, TypeError):
        return body
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if not isinstance(answer, dict):
        return body
    # Only an answer that has the field uses the fault up (the precheck function answers the
    # identify step too, which has no `passed`).
    field = faults.take_answer_without(function, identifier, answer)
    if field is None:
        return body
    answer.pop(field, None)
    return json.dumps(answer).encode()
_TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "template.yaml")


def template_timeout(name: str) -> int:
    """The `Timeout` template.yaml gives function `name` (`${AWS::StackName}-<name>`), else
    the `Globals` one."""
    with open(_TEMPLATE) as f:
        text = f.read()
    default = re.search(r"^Globals:.*?^\s+Timeout:\s*(\d+)", text, re.S | re.M)
    own = re.search(r"FunctionName: !Sub \$\{AWS::StackName\}-" + re.escape(name) + r"\n(?:\s+\S.*\n){0,6}?\s+Timeout:\s*(\d+)", text)
    return int((own or default).group(1))


def _timed_out(name: str) -> dict[str, Any]:
    seconds = template_timeout(name)
    body = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {seconds}.00 seconds"})
    return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "FunctionError": "Unhandled", "Payload": io.BytesIO(body.encode())}


def _is_function_error(body: bytes) -> bool:
    try:
        return "errorType" in json.loads(body)
    except (ValueError, TypeError):
        return False


def _boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    endpoint = os.environ.get(ENDPOINT_VAR)
    if service == "lambda" and endpoint:
        return CargoLambdaClient(endpoint)
    return _original_boto_client_for(region=region, service=service, state_credentials=state_credentials)


def apply() -> None:
    lambda_eval_utils.boto_client_for = _boto_client_for
