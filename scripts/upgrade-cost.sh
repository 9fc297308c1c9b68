#!/usr/bin/env bash
# The cost of one upgrade (docs/benchmarks.md, "Cost of one upgrade"): one Aurora MySQL
# upgrade on the local stack (moto + cargo lambda watch, waits scaled) whose green reads
# PROVISIONING for an hour of AWS time (27 polls). Prints `COST` lines and one `COST-JSON`
# line: Step Functions state transitions (states entered + retries, from the execution's
# history), each function's invocations, durations and GB-seconds (memory from template.yaml),
# RDS API calls by action (moto's meter), and the execution's own figures.
# Runs the measurement alone (one test, one thread) so the RDS meter counts only it. It
# judges no duration: it fails only when the upgrade itself fails.
#   scripts/upgrade-cost.sh                 # print the figures
#   scripts/upgrade-cost.sh --json out.json # also keep the COST-JSON document
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
json_out=""
if [[ "${1:-}" == "--json" ]]; then
  json_out="${2:?--json needs a file}"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --test end_to_end -- --ignored --nocapture --test-threads=1 \
  e2e_metrics::cost_of_an_upgrade_with_a_60_minute_green_build >"$log" 2>&1 || status=$?
grep '^COST ' "$log" || true
if [[ "$status" != 0 ]]; then
  tail -40 "$log" >&2
  exit "$status"
fi
if [[ -n "$json_out" ]]; then
  grep '^COST-JSON ' "$log" | sed 's/^COST-JSON //' >"$json_out"
  echo "wrote $json_out"
fi
