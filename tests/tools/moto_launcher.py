"""Starts moto's server for the tests on 127.0.0.1 with a free port.

Prints `PORT <n>` on stdout once it listens, then serves until its stdin closes: the test
process that started it holds the other end, so the server ends with that process even when
the process is killed (no orphan servers). Patches that make moto behave like AWS where the
product depends on it are applied by `moto_patches` before the server starts.

Step Functions executions really run (moto's `execute_state_machine`); their Lambda tasks go
to `E2E_LAMBDA_ENDPOINT` (a `cargo lambda watch` server) and their waits are scaled by
`E2E_WAIT_SCALE` (see `moto_patches/sfn_*.py`). Tests register faults at `/moto-api/faults`.
"""

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from moto.core.config import default_user_config  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

import moto_patches  # noqa: E402
from moto_patches import call_counts, faults, request_ids  # noqa: E402


class Server(ThreadedMotoServer):
    """moto's threaded server with the test-only fault route in front of it."""

    def _server_entry(self) -> None:
        app = request_ids.wsgi(call_counts.wsgi(faults.wsgi(DomainDispatcherApplication(create_backend_app))))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if not os.environ.get("E2E_ENGINE_LOGS"):
        # The engine logs every error a state raises at ERROR, even those a Catch or an
        # IsPresent handles; the execution history says what matters.
        logging.getLogger("moto.stepfunctions.parser.asl").setLevel(logging.CRITICAL)
    moto_patches.apply()
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    server = Server(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # The engine's own AWS clients (SDK integrations) call back into this server.
    os.environ["MOTO_PORT"] = str(port)
    print(f"PORT {port}", flush=True)
    # Block until the parent closes our stdin (or dies).
    while sys.stdin.read(65536):
        pass
    server.stop()


if __name__ == "__main__":
    main()
