"""Each RDS and DynamoDB call is answered from one consistent state, as AWS answers it.

moto's threaded server runs requests at the same time over the same dictionaries, with no lock:
- RDS: a request listing a cluster's instances while another created or deleted one (or the
  emulated clock's transitions, `timeline.py`, changed one) failed with `RuntimeError:
  OrderedDict mutated during iteration`, an HTTP 500 that AWS does not answer (about once per
  run of the emulator tier; a cleanup's DeleteDBInstance retried after it then read
  DBInstanceNotFound and could not say what it had deleted).
- DynamoDB: two conditional UpdateItems on one item both read the old item, both passed the
  condition and both wrote: two approvals racing for one waiting token both took it (CI, stop
  27). AWS: "Individual write operations such as UpdateItem are atomic and always operate on the
  most recent version of the item, regardless of concurrency"
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html);
  a condition expression is checked against the item as it is when the write applies
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).

Here each service's requests run one at a time: RDS under the lock the timeline's transitions
take, DynamoDB under its own. A request sees the world before or after a change, never in the
middle of one. Only services whose handlers never call back into the emulator are serialised
(a Lambda invoke or a Step Functions task may, and would wait for itself).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from moto.dynamodb.responses import DynamoHandler
from moto.rds.responses import RDSResponse

from . import timeline

_dynamodb_lock = threading.RLock()


def _serialised(original: Callable[[Any], Any], lock: Callable[[], Any]) -> Callable[[Any], Any]:
    def call_action(self: Any) -> Any:
        with lock():
            return original(self)

    call_action.serialised = True  # type: ignore[attr-defined]
    return call_action


def apply() -> None:
    for handler, lock in (
        (RDSResponse, timeline.exclusive),
        (DynamoHandler, lambda: _dynamodb_lock),
    ):
        if not getattr(handler.call_action, "serialised", False):
            handler.call_action = _serialised(handler.call_action, lock)
