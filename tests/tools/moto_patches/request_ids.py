"""Every answer carries a request id, as every AWS answer does.

AWS's JSON-protocol services (Step Functions among them) answer each request, errors included,
with an `x-amzn-RequestId` header, and the SDKs report it as the response's request id; Step
Functions writes it into the cause of an AWS SDK integration's failure ("... (Service: Sfn,
Status Code: 400, Request ID: ...)"). moto's server answers its JSON errors without the header,
and its engine, building that cause for an `aws-sdk:sfn:sendTaskSuccess` refused with
TaskTimedOut, raised `KeyError('RequestId')`: the task failed `States.Runtime` (which no Catch
takes) instead of `Sfn.TaskTimedOutException`. Here an answer without the header gets one.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

HEADER = "x-amzn-RequestId"


def wsgi(app: Callable[..., Any]) -> Callable[..., Any]:
    def with_request_id(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list, *args: Any) -> Any:
            if not any(name.lower() in ("x-amzn-requestid", "x-amz-request-id") for name, _ in headers):
                headers = [*headers, (HEADER, str(uuid.uuid4()))]
            return start_response(status, headers, *args)

        return app(environ, start)

    return with_request_id
