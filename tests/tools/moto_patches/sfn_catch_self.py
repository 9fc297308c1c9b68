"""A Catch whose Next is its own state, as AWS runs it.

AWS: a catcher's `Next` names any state of the machine, the catching state included ("Handling
errors in Step Functions workflows", Catch: "Next (Required) A string that must exactly match
one of the state machine's state names", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
moto 5.2.5 decides whether a catcher chose the next state by comparing the next state's name
with the catching state's own (`CommonStateField._set_next`: "Next was already overridden"
only when they differ), so a catcher that goes back to its own state was taken for no choice
and the state's `Next` ran instead. The waits that read again after their fallback timer
(`Wait for green`, `Wait for switchover`) catch `States.Timeout` into themselves.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.component.common.catch.catcher_decl import CatcherDecl
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

_original_catcher_eval = CatcherDecl._eval_body
_original_set_next = CommonStateField._set_next


def _catcher_eval(self: CatcherDecl, env: Any) -> None:
    _original_catcher_eval(self, env)
    if env.next_state_name == self.next_decl.name:
        env.caught_into = self.next_decl.name


def _set_next(self: CommonStateField, env: Any) -> None:
    caught_into = getattr(env, "caught_into", None)
    if caught_into is not None:
        env.caught_into = None
        if caught_into == self.name:
            return
    _original_set_next(self, env)


def apply() -> None:
    if CatcherDecl._eval_body is not _catcher_eval:
        CatcherDecl._eval_body = _catcher_eval
        CommonStateField._set_next = _set_next
