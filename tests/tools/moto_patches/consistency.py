"""Each RDS and DynamoDB call, and each StartExecution, is answered from one consistent state,
as AWS answers it.

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
- Step Functions: StartExecution looked for an execution of the same name, then built the new
  one (a deep copy of the machine) before adding it: starts racing under one name made two
  executions of it. AWS: "If StartExecution is called with the same name and input as a running
  execution, the call succeeds and return the same response as the original request. If the
  execution is closed or if the input is different, it returns a 400 ExecutionAlreadyExists
  error" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).

Here each service's requests run one at a time: RDS under the lock the timeline's transitions
take, DynamoDB under its own, and StartExecution under its own (it only starts the execution's
thread, it never waits for it). A request sees the world before or after a change, never in the
middle of one. Only what never calls back into the emulator while it holds the lock is
serialised (a Lambda invoke or a Step Functions task may, and would wait for itself).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from moto.dynamodb.responses import DynamoHandler
from moto.rds.responses import RDSResponse
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from . import timeline

_dynamodb_lock = threading.RLock()
_start_execution_lock = threading.RLock()


def _serialised(original: Callable[..., Any], lock: Callable[[], Any]) -> Callable[..., Any]:
    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with lock():
            return original(*args, **kwargs)

    one_at_a_time.serialised = True  # type: ignore[attr-defined]
    return one_at_a_time


def apply() -> None:
    for owner, method, lock in (
        (RDSResponse, "call_action", timeline.exclusive),
        (DynamoHandler, "call_action", lambda: _dynamodb_lock),
        (StepFunctionBackend, "start_execution", lambda: _start_execution_lock),
        (StepFunctionsParserBackend, "start_execution", lambda: _start_execution_lock),
    ):
        original = getattr(owner, method)
        if not getattr(original, "serialised", False):
            setattr(owner, method, _serialised(original, lock))
