#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: installs the local tools it
# needs (scripts/bootstrap.sh), then format, lint, template and state machine validators,
# and the whole test suite (unit, contract, moto integration, state machine end to end).
#
# Where the time goes, and why the steps are arranged as they are (README, "Tests"):
# - One compile. The AWS SDK is most of it; it is built once, with the features
#   `cargo test --workspace` resolves, and serves clippy, the tests and the Lambda functions the
#   end-to-end tier runs (tests/src/lambda.rs). clippy lints the workspace's own crates in that
#   same compile (its driver as the workspace's rustc wrapper, as `cargo clippy` runs it), rather
#   than type-checking the SDK a second time in a separate `cargo clippy`.
# - The local tools install while cargo compiles; the validators run while the tests run.
# - The end-to-end tier (mostly waiting on moto's engine) is on the critical path: the functions
#   and its test binary are built first, it starts, and the other test targets build and run
#   while it waits on the engine (its harness reads the functions' paths from that first build,
#   `E2E_FUNCTIONS_BUILT`, instead of running a cargo that would wait for the second build).
#   It runs as two shards, each with its own moto, so the engine is not held to one core.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Each step prints the seconds since the start, so a slow phase shows in any CI log.
started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

logs=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$logs"' EXIT

# Starts "$@" in the background, its output in $logs/<name>.log.
background() {
  local name=$1; shift
  "$@" > "$logs/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
}

# Waits for the background job <name>; prints its output; fails the run if it failed.
finish() {
  local name=$1 pid_var="pid_$1" status=0
  wait "${!pid_var}" || status=$?
  cat "$logs/$name.log" >&2
  if [ "$status" -ne 0 ]; then
    echo "test.sh: $name failed (exit $status)" >&2
    failed+=("$name")
  fi
}
failed=()

# The local tools (Python venvs, npm packages) install in the background while cargo builds:
# nothing cargo does needs them, and on a fresh machine each takes minutes.
step "bootstrap local tools (in the background)"
background bootstrap scripts/bootstrap.sh

step "cargo fmt --check"
cargo fmt --all -- --check

# clippy's driver as the workspace members' rustc (what `cargo clippy` does, with a full build
# instead of a check): `-D warnings` fails the build on any warning or lint. Exported, so the
# tests' own cargo (tests/src/lambda.rs) sees the same compile and finds it fresh.
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
if [ ! -x "$RUSTC_WORKSPACE_WRAPPER" ]; then
  echo "test.sh: clippy-driver not found (rustup component add clippy)" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "build the functions and the end-to-end tier (clippy -D warnings)"
# `--examples` resolves features as `cargo test` does (tests/src/lambda.rs), so the tests share
# this build of the SDK. Without a selection, the end-to-end tier's test binary is built in the
# same cargo run (it compiles while the functions link).
e2e_target=()
[ $# -gt 0 ] || e2e_target=(--test end_to_end)
cargo build --workspace --bins --examples "${e2e_target[@]}" --quiet --message-format=json-render-diagnostics \
  > "$logs/functions.json"
if [ $# -eq 0 ]; then
  # The tier's test binary, run directly (from tests/, as cargo test does): a `cargo test` in
  # the background would wait for the build below to free cargo's lock before running anything.
  e2e_binary=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "end_to_end" and m.get("executable"):
        print(m["executable"])' "$logs/functions.json")

  step "wait for the local tools"
  finish bootstrap
  [ ${#failed[@]} -eq 0 ] || exit 1

  step "the end-to-end tier (background, two shards); build everything else and lint it (clippy -D warnings)"
  # The tier's tests wait on moto's engine, one Python process per local stack that runs at a
  # full core while the tier runs: the tier runs as two shards, each with a stack of its own,
  # so both cores serve it once the build below is done. The first shard takes the modules
  # named here (the 12-database fleet, the longest test, sorts first and starts at once); the
  # second takes every other test, a new module included.
  first_shard=(e2e_fleet:: e2e_metrics:: e2e_slack:: e2e_template_stack:: e2e_upgrade:: e2e_waits::)
  second_shard=()
  for module in "${first_shard[@]}"; do second_shard+=(--skip "$module"); done
  threads=${E2E_TEST_THREADS:-4}
  background end_to_end_1 env -C tests E2E_FUNCTIONS_BUILT="$logs/functions.json" \
    "$e2e_binary" --test-threads "$threads" "${first_shard[@]}"
  background end_to_end_2 env -C tests E2E_FUNCTIONS_BUILT="$logs/functions.json" \
    "$e2e_binary" --test-threads "$threads" "${second_shard[@]}"
fi
cargo build --workspace --all-targets --quiet

if [ $# -gt 0 ]; then
  step "wait for the local tools"
  finish bootstrap
  [ ${#failed[@]} -eq 0 ] || exit 1
fi

step "validators (background), the other tests"
background validators scripts/validate.sh
if [ $# -gt 0 ]; then
  # A selection of tests (`scripts/test.sh -- e2e_lock::`): as cargo test runs it.
  cargo test --workspace --no-fail-fast "$@" || failed+=("tests")
else
  # Every other test target of the workspace, named from cargo's own metadata, so a new test
  # target runs without an edit here.
  others=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    for t in p["targets"]:
        if "test" in t["kind"] and t["name"] != "end_to_end":
            print("--test", t["name"])')
  # shellcheck disable=SC2086 # word splitting of "--test NAME" pairs is wanted
  cargo test --workspace --no-fail-fast --lib --bins $others || failed+=("tests")
  cargo test --workspace --no-fail-fast --doc || failed+=("doc tests")
fi

step "wait for the validators and the end-to-end tier"
finish validators
if [ $# -eq 0 ]; then
  finish end_to_end_1
  finish end_to_end_2
fi
if [ ${#failed[@]} -ne 0 ]; then
  step "failed: ${failed[*]}"
  exit 1
fi
step "done"
