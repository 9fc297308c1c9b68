"""Runs a group of processes for a test process and ends them all when that process ends.

Usage: process_group.py '<json>' where the JSON is a list of `{"argv": [...], "env": {...},
"restart": bool}`. Each command starts with this process's environment plus its `env`. The
test process holds our stdin: when it closes (the test process exited, however it exited),
or on SIGTERM, every process of the group gets SIGTERM, then SIGKILL after 5 s.

A command with `restart` is started again when it exits (after a short pause), as Lambda
starts a new execution environment when one ends: the local function hosts of
`tests/src/lambda.rs` use it, so a function process that crashed or exited does not leave
its function without a host for the rest of the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

RESTART_PAUSE_SECONDS = 0.2


def main() -> None:
    specs = json.loads(sys.argv[1])
    stopping = threading.Event()
    lock = threading.Lock()
    children: list[subprocess.Popen] = []

    def spawn(spec: dict) -> subprocess.Popen:
        env = dict(os.environ)
        env.update(spec.get("env", {}))
        # A session of its own, so ending it ends what it spawned too.
        return subprocess.Popen(spec["argv"], env=env, stdin=subprocess.DEVNULL, start_new_session=True)

    def keep(spec: dict) -> None:
        while not stopping.is_set():
            with lock:
                if stopping.is_set():
                    return
                child = spawn(spec)
                children.append(child)
            child.wait()
            if not spec.get("restart"):
                return
            stopping.wait(RESTART_PAUSE_SECONDS)

    def stop(*_: object) -> None:
        with lock:
            stopping.set()
            for child in children:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for child in children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    for spec in specs:
        threading.Thread(target=keep, args=(spec,), daemon=True).start()
    while sys.stdin.buffer.read(65536):
        pass
    stop()


if __name__ == "__main__":
    main()
