"""Each RDS call is answered from one consistent state, as AWS answers it.

moto's threaded server ran RDS requests, and the emulated clock's transitions (`timeline.py`),
at the same time over the same dictionaries: a request listing a cluster's instances while
another created or deleted one failed with `RuntimeError: OrderedDict mutated during
iteration`, an HTTP 500 that AWS does not answer (about once per run of the emulator tier; a
cleanup's DeleteDBInstance retried after it then read DBInstanceNotFound and could not say what
it had deleted). Here RDS requests run one at a time, under the lock the timeline's transitions
take, so a request sees the world before or after a change, never in the middle of one. Not
an AWS behaviour of its own: the consistency every AWS answer already has.
"""

from __future__ import annotations

from typing import Any

from moto.rds.responses import RDSResponse

from . import timeline

_original_call_action = None


def _consistent_call_action(self: RDSResponse) -> Any:
    with timeline.exclusive():
        return _original_call_action(self)


def apply() -> None:
    global _original_call_action
    if RDSResponse.call_action is not _consistent_call_action:
        _original_call_action = RDSResponse.call_action
        RDSResponse.call_action = _consistent_call_action
