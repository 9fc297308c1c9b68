"""`States.ALL` as AWS documents it: it does not catch or retry `States.Runtime` nor
`States.DataLimitExceeded`.

AWS, "Handling errors in Step Functions workflows"
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
"The States.ALL error type must appear alone in a Catcher and can't catch the
States.DataLimitExceeded terminal error or Runtime error types"; "A States.Runtime error isn't
retriable, and will always cause the execution to fail. A retry or catch on States.ALL won't
catch States.Runtime errors."

moto 5.2.5's engine (a port of a real interpreter) treats `States.ALL` as matching every error,
so a path that "catches everything" would be proven only here. With this patch a runtime error
(a missing path in Parameters, an oversized payload) ends the
execution FAILED, as in an AWS account, and only the execution-status rule can tell it.
"""

from __future__ import annotations

from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType

# The terminal kinds `States.ALL` never matches.
UNCATCHABLE = (
    StatesErrorNameType.StatesRuntime,
    StatesErrorNameType.StatesStatesDataLimitExceeded,
)

_original = ErrorEqualsDecl._eval_body


def _is_uncatchable(error_name) -> bool:
    return isinstance(error_name, StatesErrorName) and error_name.typ in UNCATCHABLE


def _eval_body(self: ErrorEqualsDecl, env) -> None:
    error_name = env.stack[-1] if env.stack else None
    if _is_uncatchable(error_name) and ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names:
        env.stack.pop()
        env.stack.append(False)
        return
    _original(self, env)


def apply() -> None:
    if getattr(ErrorEqualsDecl, "_bluegreen_runtime_patched", False):
        return
    ErrorEqualsDecl._eval_body = _eval_body
    ErrorEqualsDecl._bluegreen_runtime_patched = True
