"""Test-only measurement: how many RDS API calls each account and Region received, by action.

`GET /moto-api/rds-calls` answers `[{"account", "region", "action", "calls"}]`. The fleet test
reads it to state the RDS calls per database of a fleet (each of its lanes, an account and a
Region, holds only that test's databases). Not an AWS behaviour: a meter.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any, Callable

from moto.rds.responses import RDSResponse

ROUTE = "/moto-api/rds-calls"
_counts: Counter = Counter()
_lock = threading.Lock()
_original_call_action = None


def _counting_call_action(self: RDSResponse) -> Any:
    with _lock:
        _counts[(self.current_account, self.region, self._get_action())] += 1
    return _original_call_action(self)


def wsgi(app: Callable[..., Any]) -> Callable[..., Any]:
    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != ROUTE:
            return app(environ, start_response)
        with _lock:
            rows = [{"account": a, "region": r, "action": act, "calls": n} for (a, r, act), n in sorted(_counts.items())]
        body = json.dumps(rows).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return route


def apply() -> None:
    """Counts every RDS call; applied last, so it counts what the other patches answer too."""
    global _original_call_action
    if RDSResponse.call_action is not _counting_call_action:
        _original_call_action = RDSResponse.call_action
        RDSResponse.call_action = _counting_call_action
