"""AWS takes time: transitions that happen later, on the emulated clock.

On AWS a Blue/Green deployment reads PROVISIONING while green is built (15 minutes to hours;
"Creating a blue/green deployment", RDS User Guide), a switchover reads
SWITCHOVER_IN_PROGRESS until it completes or its `SwitchoverTimeout` runs out
(API_SwitchoverBlueGreenDeployment: "If the switchover takes longer than the specified
duration, then any changes are rolled back"). moto changes every status at once. The patches
that model these states schedule the later transition here, in AWS seconds; it happens at the
first RDS request after it is due (moto has no clock of its own), stamped with the time it
was due.

AWS seconds are scaled like the Step Functions waits (`sfn_waits`): by `E2E_AWS_TIME_SCALE`
if set, else by `E2E_WAIT_SCALE` (the end-to-end stack runs at 0.01: a 60 s switchover lasts
0.6 s, the first poll of it sees SWITCHOVER_IN_PROGRESS). A server started with neither keeps
moto's instant transitions (scale 0: due at the next request), for tests that call the steps
directly without waiting between calls.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from moto.core.utils import utcnow

_lock = threading.RLock()
_pending: list[tuple[float, int, Callable[[datetime], None]]] = []
_sequence = itertools.count()


def scale() -> float:
    """Real seconds per emulated AWS second."""
    for var in ("E2E_AWS_TIME_SCALE", "E2E_WAIT_SCALE"):
        if os.environ.get(var):
            return float(os.environ[var])
    return 0.0


def after(aws_seconds: float, action: Callable[[datetime], None]) -> None:
    """Runs `action(due_time)` at the first request once `aws_seconds` (scaled) have passed."""
    with _lock:
        _pending.append((time.monotonic() + max(0.0, aws_seconds) * scale(), next(_sequence), action))


def exclusive() -> threading.RLock:
    """The lock the transitions run under; RDS requests take it too (`consistency`)."""
    return _lock


def advance() -> None:
    """Runs every due transition, oldest first. Called before each RDS request."""
    now = time.monotonic()
    with _lock:
        due = sorted(p for p in _pending if p[0] <= now)
        for entry in due:
            _pending.remove(entry)
        for at, _, action in due:
            action(utcnow() - timedelta(seconds=now - at))
