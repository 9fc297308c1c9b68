#!/usr/bin/env bash
# The project's benchmark: release sizes (x86_64, and aarch64 with --arm64), cold start and
# peak memory of the six Lambda functions under AWS's Runtime Interface Emulator against
# moto, and a Python 3.11 + boto3 baseline. What it measures and the figures: docs/benchmarks.md.
#
#   scripts/bench.sh [--runs N] [--functions a,b] [--no-build] [--arm64] [--no-python] [--json FILE]
#
# Builds with the workspace's [profile.release] into target/release (cargo lambda writes the
# aarch64 builds to target/lambda/). To try another profile without editing Cargo.toml:
#   CARGO_PROFILE_RELEASE_OPT_LEVEL=3 scripts/bench.sh --functions poll-status
# Exits non-zero only when something fails to run; figures are printed, never judged.
# Not part of scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python="$root/.venv/bin/python"
[ -x "$python" ] || { echo "bench: $python is missing: run scripts/bootstrap.sh" >&2; exit 1; }

functions=create,poll-status,precheck,switchover,delete-old,notify
build=1 arm64=0 pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --functions) functions=$2; pass+=("$1" "$2"); shift 2 ;;
        --runs|--json) pass+=("$1" "$2"); shift 2 ;;
        --no-python) pass+=("$1"); shift ;;
        --no-build) build=0; shift ;;
        --arm64) arm64=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
packages=()
for f in ${functions//,/ }; do packages+=(-p "$f"); done

pid=
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
    echo "==> cargo build --release (${functions})" >&2
    SECONDS=0
    cargo build --release --locked --bins "${packages[@]}"
    pass+=(--build-seconds "$SECONDS")
fi
if [ "$arm64" = 1 ]; then
    rustup target list --installed | grep -qx aarch64-unknown-linux-gnu ||
        { echo "bench: --arm64 needs: rustup target add aarch64-unknown-linux-gnu" >&2; exit 1; }
    if [ "$build" = 1 ]; then
        echo "==> cargo lambda build --release --arm64 (${functions})" >&2
        # cargo lambda finds zig through the venv's python (the ziglang package).
        PATH="$root/.venv/bin:$PATH" "$root/.venv/bin/cargo-lambda" lambda build --release --arm64 --locked "${packages[@]}"
    fi
    pass+=(--arm64-dir "$root/target/lambda")
fi

"$python" "$root/scripts/bench.py" "${pass[@]}" &
pid=$!
wait "$pid"
