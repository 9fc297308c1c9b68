"""Step Functions waits and retry intervals, scaled for tests.

moto's engine sleeps for real: a Wait of 300 s or a Retry backoff of minutes would make an
end-to-end run take hours. `E2E_WAIT_SCALE` (e.g. `0.01`) multiplies every Wait (Seconds,
SecondsPath, Timestamp, TimestampPath), every Retry interval and the timeout of a task that
waits for its task token (`.waitForTaskToken`: the product's fallback timer); with scaling on, a
timestamp wait (a maintenance window days away) is capped at `E2E_TIMESTAMP_WAIT_CAP`
seconds (default 3). Unset or 1, the engine waits as AWS does.

A token's task that has timed out or received its answer is closed: SendTaskSuccess,
SendTaskFailure and SendTaskHeartbeat with its token answer `TaskTimedOut` ("The task token has
either expired or the task associated with the token has already been closed", API_SendTaskSuccess
Errors: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
moto kept the token's endpoint open: an answer sent after the timeout, while the execution went
on to handle it, was accepted (the answering side said "answered" while the waiting side
handled its deadline: two outcomes where AWS gives one).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackConsumerTimeout,
    CallbackNotifyConsumerError,
    CallbackPoolManager,
    CallbackOutcomeSuccess,
    CallbackOutcomeTimedOut,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped


def scale() -> float:
    return float(os.environ.get("E2E_WAIT_SCALE", "1"))


def _timestamp_cap() -> float:
    return float(os.environ.get("E2E_TIMESTAMP_WAIT_CAP", "3"))


def scaled_seconds(seconds: float, is_timestamp: bool = False) -> float:
    factor = scale()
    real = max(0.0, seconds * factor)
    if is_timestamp and factor < 1:
        real = min(real, _timestamp_cap())
    return real


def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    deadline = time.monotonic() + scaled_seconds(wait_seconds, isinstance(self, Timestamp))
    # An unrelated wake-up of the event only re-enters the wait; stopping the execution ends it.
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        if env.program_state_event.wait(remaining):
            time.sleep(min(remaining, 0.05))  # set by something else: do not spin


class _ScaledTime:
    """The `time` module as the retrier sees it: `sleep` scaled."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(scaled_seconds(seconds))


_original_wait_for_token = StateTaskServiceCallback._eval_wait_for_task_token
# API_SendTaskSuccess, error TaskTimedOut.
TASK_CLOSED = "The task token has either expired or the task associated with the token has already been closed."
# An answer and the close of its task's wait: one happens before the other.
_closing = threading.Lock()


def _closed_is_timed_out(original: Any) -> Any:
    """A callback operation (an answer or a heartbeat) on a closed token: AWS's TaskTimedOut.
    moto's own mapping of this case tested the wrong object and then built its error without
    a message: an HTTP 500 (TypeError)."""

    def call(self: CallbackPoolManager, *args: Any, **kwargs: Any) -> bool:
        with _closing:
            try:
                return original(self, *args, **kwargs)
            except CallbackNotifyConsumerError:
                raise AWSError(TASK_CLOSED, exception_type="TaskTimedOut") from None

    call._bluegreen_closed = True
    return call


def _wait_for_token(self: Any, env: Any, timeout_seconds: Any, callback_endpoint: Any, heartbeat_endpoint: Any) -> Any:
    """The token's wait, its timeout scaled; a stopped execution ends it quietly, as a Wait
    state's (moto waited the whole timeout, then raised its timeout into a stopped execution,
    which then ended FAILED instead of ABORTED)."""
    if heartbeat_endpoint is not None or timeout_seconds is None:
        return _original_wait_for_token(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
    deadline = time.monotonic() + scaled_seconds(float(timeout_seconds))
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            # Closed: a later answer is refused (TaskTimedOut), not taken; one that came
            # first is the outcome.
            with _closing:
                callback_endpoint.report(CallbackConsumerTimeout())
                outcome = callback_endpoint.get_outcome()
            return outcome if outcome is not None else CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
        outcome = callback_endpoint.wait(timeout=min(remaining, 0.1))
        if outcome is not None:
            with _closing:
                callback_endpoint.report(CallbackConsumerTimeout())
            return outcome
    with _closing:
        callback_endpoint.report(CallbackConsumerTimeout())
    return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")


_original_set_error = Environment.set_error


def _set_error(self: Environment, error: Any) -> None:
    """A stopped execution stays stopped: StopExecution ends it ABORTED
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html);
    moto let an error raised afterwards by the state still running (a task cut short by the
    stop) turn it FAILED."""
    if isinstance(self._program_state, ProgramStopped):
        return
    _original_set_error(self, error)


def apply() -> None:
    StateTaskServiceCallback._eval_wait_for_task_token = _wait_for_token
    for name in ("notify", "heartbeat"):
        if not getattr(getattr(CallbackPoolManager, name), "_bluegreen_closed", False):
            setattr(CallbackPoolManager, name, _closed_is_timed_out(getattr(CallbackPoolManager, name)))
    Environment.set_error = _set_error
    WaitFunction._wait_interval = _wait_interval
    retrier_decl.time = _ScaledTime()
