"""Starts moto's server for the tests on 127.0.0.1 with a free port.

Prints `PORT <n>` on stdout once it listens, then serves until its stdin closes: the test
process that started it holds the other end, so the server ends with that process even when
the process is killed (no orphan servers). Patches that make moto behave like AWS where the
product depends on it are applied by `moto_patches` before the server starts.
"""

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402

import moto_patches  # noqa: E402


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_patches.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT {port}", flush=True)
    # Block until the parent closes our stdin (or dies).
    while sys.stdin.read(65536):
        pass
    server.stop()


if __name__ == "__main__":
    main()
