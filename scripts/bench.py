"""Measures the six Lambda binaries: size on disk and zipped, cold start and peak memory.

Run by scripts/bench.sh (which builds the binaries first) with the project's venv python.
Everything it starts listens on 127.0.0.1 on free ports and is stopped by pid before it
exits: moto (tests/tools/moto_launcher.py) and, for every cold start, one AWS Runtime
Interface Emulator (shipped in aws-sam-cli) with the function as its `bootstrap`.

Each run seeds a fresh Aurora MySQL cluster in moto and walks it through the functions in
workflow order (precheck, create, poll-status, switchover, delete-old, notify), so every
function makes its real AWS calls on a realistic database. A cold start is the time from
spawning the emulator to the first answer; peak memory is the function process's VmHWM
read from /proc after it answered. Figures are medians over the runs. A function that
answers an error fails the benchmark (it would otherwise time an error path); no figure is
ever compared with a threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ["precheck", "create", "poll-status", "switchover", "delete-old", "notify"]
REGION = "us-east-1"
ACCOUNT = "123456789012"
SOURCE_VERSION = "8.0.mysql_aurora.3.05.2"
TARGET_VERSION = "8.0.mysql_aurora.3.08.0"
AWSLAMBDARIC = "awslambdaric==3.1.1"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"

# The Python baseline: the same reads as poll-status's `status` operation, written the way a
# typical boto3 Lambda is (client made at init, one handler).
PY_HANDLER = '''
import boto3

rds = boto3.client("rds")


def handler(event, context):
    d = rds.describe_blue_green_deployments(
        BlueGreenDeploymentIdentifier=event["deployment"]["id"]
    )["BlueGreenDeployments"][0]
    source = d["Source"].split(":")[-1]
    cluster = rds.describe_db_clusters(DBClusterIdentifier=source)["DBClusters"][0]
    members = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]]
    return {"status": d["Status"], "source": source, "members": members}
'''


class BenchError(RuntimeError):
    """Something did not run; the script exits non-zero with this message."""


@dataclass
class Sample:
    cold_ms: float
    warm_ms: float
    peak_kb: int
    init_ms: float | None


@dataclass
class Results:
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    # The last answer of each function, written to --json to show which path was timed.
    answers: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, sample: Sample, answer: dict) -> None:
        self.samples.setdefault(name, []).append(sample)
        self.answers[name] = answer


# --- processes we start, stopped by pid at the end ------------------------------------------

_started: list[subprocess.Popen] = []


def _spawn(args: list[str], **kw) -> subprocess.Popen:
    proc = subprocess.Popen(args, start_new_session=True, **kw)
    _started.append(proc)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """Stops a process we started and everything in its session (the emulator's runtime)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in _started:
        _started.remove(proc)


def stop_all(*_signal_args) -> None:
    for proc in list(_started):
        _stop(proc)
    if _signal_args:
        sys.exit(130)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- moto -------------------------------------------------------------------------------


def start_moto(python: str) -> tuple[subprocess.Popen, int]:
    proc = _spawn(
        [python, str(ROOT / "tests/tools/moto_launcher.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    m = re.match(r"PORT (\d+)", line)
    if not m:
        raise BenchError(f"moto launcher did not print its port (got {line!r})")
    return proc, int(m.group(1))


def boto(service: str, endpoint: str):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def seed_cluster(rds, ident: str) -> None:
    """An Aurora MySQL 3 cluster (writer + one reader) as tests/src/seed.rs makes it."""
    group = f"{ident}-cpg"
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        DBParameterGroupFamily="aurora-mysql8.0",
        Description="bench",
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[
            {"ParameterName": "binlog_format", "ParameterValue": "ROW", "ApplyMethod": "pending-reboot"}
        ],
    )
    rds.create_db_cluster(
        DBClusterIdentifier=ident,
        Engine="aurora-mysql",
        EngineVersion=SOURCE_VERSION,
        MasterUsername="admin",
        MasterUserPassword="password123",
        BackupRetentionPeriod=7,
        DBClusterParameterGroupName=group,
    )
    for n in range(2):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{ident}-{n}",
            DBClusterIdentifier=ident,
            Engine="aurora-mysql",
            DBInstanceClass="db.r6g.large",
        )


def request(ident: str, action: str = "upgrade") -> dict:
    return {
        "action": action,
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": ident, "engine": "aurora-mysql"},
        "options": {"targetEngineVersion": TARGET_VERSION, "gracePeriodSeconds": 0},
    }


# --- one cold start under the Runtime Interface Emulator ---------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    return kids


def _vm_hwm_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


def _post(url: str, body: bytes, deadline: float) -> bytes:
    """POSTs, retrying while the emulator is not listening yet."""
    while True:
        try:
            req = urllib.request.Request(url, data=body, method="POST")
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.read()
        except urllib.error.URLError as e:
            if not isinstance(e.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.001)
        except ConnectionResetError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.001)


def cold_start(rie: str, bootstrap_dir: Path, env: dict, event: dict, log: Path) -> tuple[Sample, dict]:
    """Spawns a fresh emulator for one function, invokes it twice (cold, warm), stops it."""
    api, port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}{INVOKE_PATH}"
    body = json.dumps(event).encode()
    with open(log, "ab") as out:
        t0 = time.perf_counter()
        proc = _spawn(
            [
                rie,
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{port}",
                "--runtime-api-address",
                f"127.0.0.1:{api}",
                str(bootstrap_dir / "bootstrap"),
            ],
            cwd=bootstrap_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = _post(url, body, time.monotonic() + 30)
            cold = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            _post(url, body, time.monotonic() + 30)
            warm = (time.perf_counter() - t1) * 1000
            kids = _children(proc.pid)
            if not kids:
                raise BenchError(f"the emulator has no runtime process (see {log})")
            peak = max(_vm_hwm_kb(k) for k in kids)
        finally:
            _stop(proc)
    text = log.read_text(errors="replace")
    # The REPORT line's Init Duration and Max Memory Used are placeholders under the emulator;
    # its own INIT REPORT line has the runtime's real init time.
    inits = re.findall(r"INIT REPORT\(durationMs: ([\d.]+)\)", text)
    parsed = json.loads(answer)
    if isinstance(parsed, dict) and "errorType" in parsed:
        raise BenchError(f"{bootstrap_dir.name} answered an error: {answer.decode()[:500]} (log: {log})")
    return Sample(cold, warm, peak, float(inits[-1]) if inits else None), parsed


# --- sizes --------------------------------------------------------------------------------


def zipped_size(binary: Path) -> int:
    """The size of a Lambda deployment zip holding `binary` as `bootstrap` (deflate, level 9)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, binary.read_bytes(), compresslevel=9)
        return path.stat().st_size


def is_stripped(binary: Path) -> bool:
    out = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True, text=True).stdout
    return ".symtab" not in out


def size_rows(functions: list[str], dirs: dict[str, Path]) -> list[list[str]]:
    rows = []
    for arch, where in dirs.items():
        for name in functions:
            binary = where / name if arch == "x86_64" else where / name / "bootstrap"
            if not binary.exists():
                raise BenchError(f"{binary} is missing: build it first (scripts/bench.sh builds it)")
            rows.append(
                [
                    name,
                    arch,
                    f"{binary.stat().st_size / 1e6:.2f} MB",
                    f"{zipped_size(binary) / 1e6:.2f} MB",
                    "yes" if is_stripped(binary) else "NO",
                ]
            )
    return rows


# --- the walk through the workflow ----------------------------------------------------------


def function_env(moto_endpoint: str, topic_arn: str, home: Path) -> dict:
    """What Lambda gives the function, plus the local endpoint; no shared AWS config files."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # The emulator blanks an unset session token; Lambda always sets one.
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "TOPIC_ARN": topic_arn,
        "SLACK_WEBHOOK_SECRET_ARN": "none",
    }
    return env


def python_bootstrap(where: Path, python: str) -> Path:
    where.mkdir(parents=True)
    (where / "handler.py").write_text(PY_HANDLER)
    boot = where / "bootstrap"
    boot.write_text(f'#!/bin/sh\ncd "{where}"\nexec "{python}" -m awslambdaric handler.handler\n')
    boot.chmod(0o755)
    return where


def ensure_awslambdaric(python: str) -> None:
    if subprocess.run([python, "-c", "import awslambdaric"], capture_output=True).returncode == 0:
        return
    print(f"installing {AWSLAMBDARIC} into the venv for the Python baseline", file=sys.stderr)
    subprocess.run([python, "-m", "pip", "install", "--quiet", AWSLAMBDARIC], check=True)


def walk(args, rie: str, bin_dir: Path, work: Path, moto_endpoint: str, results: Results) -> None:
    rds = boto("rds", moto_endpoint)
    topic = boto("sns", moto_endpoint).create_topic(Name="bench-notify")["TopicArn"]
    env = function_env(moto_endpoint, topic, work)
    dirs = {}
    for name in args.functions:
        d = work / name
        d.mkdir()
        shutil.copy2(bin_dir / name, d / "bootstrap")
        dirs[name] = d
    if args.python:
        dirs["python-boto3"] = python_bootstrap(work / "python-boto3", args.python_bin)
    logs = work / "logs"
    logs.mkdir()

    for run in range(args.runs):
        ident = f"bench{run}-{uuid.uuid4().hex[:6]}"
        seed_cluster(rds, ident)
        req = request(ident)
        deployment = None

        def invoke(label: str, event: dict) -> dict:
            sample, answer = cold_start(rie, dirs[label], env, event, logs / f"{label}.log")
            results.add(label, sample, answer)
            return answer

        def want(name: str) -> bool:
            return name in args.functions

        # Prechecks and create are what every workflow starts with; later steps need the deployment.
        if want("precheck"):
            invoke("precheck", {"request": request(ident, "dry-run")})
        if args.python or any(want(f) for f in ("create", "poll-status", "switchover", "delete-old")):
            if want("create"):
                created = invoke("create", {"request": req})
            else:
                created = create_with_boto(rds, ident)
            deployment = {k: created[k] for k in ("id", "name", "sourceArn") if k in created}
        if want("poll-status"):
            invoke("poll-status", {"operation": "status", "request": req, "deployment": deployment})
        if args.python and deployment:
            invoke("python-boto3", {"deployment": deployment})
        if want("switchover"):
            invoke("switchover", {"operation": "switchover", "request": req, "deployment": deployment})
        if want("delete-old"):
            invoke("delete-old", {"operation": "cleanup", "request": req, "deployment": deployment})
        if want("notify"):
            invoke(
                "notify",
                {
                    "stage": "switchover-completed",
                    "outcome": "success",
                    "request": req,
                    "deployment": deployment,
                    "execution": {"id": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bluegreen:{ident}", "name": ident},
                },
            )
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)


def create_with_boto(rds, ident: str) -> dict:
    """When `create` is not benchmarked, the deployment the later steps need, made directly."""
    source = rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0]["DBClusterArn"]
    d = rds.create_blue_green_deployment(
        BlueGreenDeploymentName=f"{ident}-bg", Source=source, TargetEngineVersion=TARGET_VERSION
    )["BlueGreenDeployment"]
    return {"id": d["BlueGreenDeploymentIdentifier"], "name": d["BlueGreenDeploymentName"], "sourceArn": source}


# --- output -------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *map(line, rows)])


def timing_rows(results: Results) -> list[list[str]]:
    rows = []
    for name, samples in results.samples.items():
        med = lambda xs: statistics.median(xs)  # noqa: E731
        inits = [s.init_ms for s in samples if s.init_ms is not None]
        rows.append(
            [
                name,
                str(len(samples)),
                f"{med([s.cold_ms for s in samples]):.0f} ms",
                f"{min(s.cold_ms for s in samples):.0f}-{max(s.cold_ms for s in samples):.0f} ms",
                f"{med(inits):.0f} ms" if inits else "-",
                f"{med([s.warm_ms for s in samples]):.1f} ms",
                f"{med([s.peak_kb for s in samples]) / 1024:.1f} MB",
            ]
        )
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--functions", default=",".join(FUNCTIONS))
    p.add_argument("--bin-dir", default=str(ROOT / "target/release"))
    p.add_argument("--arm64-dir", help="target/lambda (cargo lambda's output) to report aarch64 sizes")
    p.add_argument("--no-python", dest="python", action="store_false", help="skip the Python baseline")
    p.add_argument("--build-seconds", help="the build's wall time, printed with the figures")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    args.functions = [f for f in args.functions.split(",") if f]
    unknown = set(args.functions) - set(FUNCTIONS)
    if unknown:
        raise BenchError(f"unknown functions {sorted(unknown)}; choose from {FUNCTIONS}")
    args.python_bin = sys.executable

    import samcli

    rie = str(Path(samcli.__file__).parent / "local/rapid/aws-lambda-rie-x86_64")
    if not os.access(rie, os.X_OK):
        raise BenchError(f"{rie} is missing: install aws-sam-cli (scripts/bootstrap.sh)")
    bin_dir = Path(args.bin_dir)
    dirs = {"x86_64": bin_dir}
    if args.arm64_dir:
        dirs["aarch64"] = Path(args.arm64_dir)
    sizes = size_rows(args.functions, dirs)
    if args.python:
        ensure_awslambdaric(args.python_bin)

    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        moto, port = start_moto(args.python_bin)
        try:
            walk(args, rie, bin_dir, Path(tmp), f"http://127.0.0.1:{port}", results)
        finally:
            moto.stdin.close()
            _stop(moto)

    profile = {k: v for k, v in os.environ.items() if k.startswith("CARGO_PROFILE_RELEASE_")}
    print()
    print(f"# Sizes ({bin_dir}{', ' + args.arm64_dir if args.arm64_dir else ''})")
    print(table(["function", "arch", "binary", "zipped", "stripped"], sizes))
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# Under the Runtime Interface Emulator, x86_64, {args.runs} runs, moto on loopback")
    print(f"# {os.cpu_count()} cores, load average {load} (other builds slow cold starts)")
    print(
        table(
            ["function", "runs", "cold start (median)", "cold start (range)", "runtime init", "warm invoke", "peak memory"],
            timing_rows(results),
        )
    )
    if args.build_seconds:
        print(f"\nrelease build: {args.build_seconds} s wall time; profile overrides: {profile or 'none'}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "sizes": sizes,
                    "timings": {k: [s.__dict__ for s in v] for k, v in results.samples.items()},
                    "answers": results.answers,
                    "build_seconds": args.build_seconds,
                    "profile_overrides": profile,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        stop_all()
