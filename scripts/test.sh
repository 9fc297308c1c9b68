#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: installs the local tools it
# needs (scripts/bootstrap.sh), then format, lint, template and state machine validators,
# and the whole test suite (unit, moto integration, state machine end to end).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Each step prints the seconds since the start, so a slow phase shows in any CI log.
started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

# The local tools (Python venvs, npm packages) install in the background while cargo builds:
# nothing cargo does needs them, and on a fresh machine each takes minutes.
step "bootstrap local tools (in the background)"
boot_log=$(mktemp)
scripts/bootstrap.sh > "$boot_log" 2>&1 &
boot=$!
trap 'kill "$boot" 2>/dev/null || true; rm -f "$boot_log"' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build the Lambda binaries the end-to-end tests serve"
# The same command, features and environment as the tests' own build (tests/src/lambda.rs),
# so `cargo lambda watch` finds them fresh and a compile error shows here, not in a test.
cargo build --quiet --bin precheck --bin create --bin poll-status --bin switchover --bin delete-old --bin notify

step "wait for the local tools"
if ! wait "$boot"; then
  cat "$boot_log" >&2
  echo "test.sh: scripts/bootstrap.sh failed" >&2
  exit 1
fi
cat "$boot_log" >&2

step "template and state machine validators"
scripts/validate.sh

step "cargo test (unit, emulator, end to end)"
cargo test --workspace --no-fail-fast "$@"
step "done"
