"""SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat answer with AWS's errors, never a 500.

moto's parser backend looks for a token (and a map run) in the executions it lists, through
`execution.exec_worker.env`. An execution listed before its worker exists (just started), while its
worker still parses the definition (its `env` is made after the parse), or after the worker
let go of it has `exec_worker` or `env` None, and the lookup raised AttributeError: an HTTP 500 for a token that merely belongs to no waiting task, intermittent when executions run
in parallel. AWS answers such a token with one of the API's documented errors: `InvalidToken`
("The provided token is not valid"), `TaskDoesNotExist`, or `TaskTimedOut` ("The task token has
either expired or the task associated with the token has already been closed"), SendTaskSuccess
API reference:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors

Every caller of the backend's `_get_executions` (the three callback operations, DescribeMapRun,
UpdateMapRun) reads the worker's `env`, so the listing skips executions without one: they hold
no token and no map run, and the search ends in moto's own `InvalidToken` / `ResourceNotFound`.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_original = StepFunctionsParserBackend._get_executions


def _executions_with_workers(self: StepFunctionsParserBackend, *_status: Any, **_kwargs: Any) -> list:
    # Every status: a token of an execution that has ended belongs to a closed task, which
    # AWS answers TaskTimedOut (sfn_waits closes it), not InvalidToken as for a token
    # nobody issued (moto looked for SendTaskSuccess's token among running executions only).
    return [e for e in _original(self) if getattr(getattr(e, "exec_worker", None), "env", None) is not None]


def apply() -> None:
    StepFunctionsParserBackend._get_executions = _executions_with_workers
