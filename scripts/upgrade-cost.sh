#!/usr/bin/env bash
# The cost of one upgrade (docs/benchmarks.md, "Cost of one upgrade"): one Aurora MySQL
# upgrade on the local stack (moto + cargo lambda watch, waits scaled) whose green reads
# PROVISIONING for an hour of AWS time (the first read, the one RDS-EVENT-0244 wakes, and a
# fallback read every 10 minutes). Prints `COST` lines and one `COST-JSON` line: Step Functions
# state transitions (states entered + retries, from the execution's history), each function's
# invocations, durations and GB-seconds (memory from template.yaml), RDS API calls by action
# (moto's meter), the status reads of each wait loop, and the execution's own figures (its
# output's `figures`: stateTransitions, rdsCalls and polls counted by the product itself, which
# the test holds equal to the history's, the meter's and the states' count). Ends with the date
# and commit measured and the rows of docs/benchmarks.md's table ("Cost of one upgrade"), ready
# to paste.
# Runs the measurement alone (one test, one thread) so the RDS meter counts only it. It
# judges no duration: it fails only when the upgrade itself fails or its own count is off.
#   scripts/upgrade-cost.sh                 # print the figures and the table's rows
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
doc=$(grep '^COST-JSON ' "$log" | sed 's/^COST-JSON //')
if [[ -n "$json_out" ]]; then
  printf '%s\n' "$doc" >"$json_out"
  echo "wrote $json_out"
fi
# The rows of docs/benchmarks.md's table, from the same document.
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . 2>/dev/null || commit="$commit + uncommitted changes"
COST_JSON="$doc" MEASURED="$(date -u +%F), commit $commit" python3 - <<'PY'
import json, os
d = json.loads(os.environ["COST_JSON"])
f = d["figures"]
lam = sorted(d["lambda"], key=lambda l: -l["invocations"])
calls = sorted(d["rdsCallsByAction"].items(), key=lambda a: (-a[1], a[0]))
reads = ", ".join(f"{stage} {n}" for stage, n in d["reads"].items())
by_state = ", ".join(f"`{state}` {n}" for state, n in d["readsByState"].items())
t = d["transitions"]
print()
print(f"measured {os.environ['MEASURED']}")
print()
print("| what | per upgrade |")
print("|---|---|")
print(f"| Step Functions state transitions | **{t}** ({d['statesEntered']} states entered + {d['retries']} retries; {d['greenPolls']} `Poll green`): ${t * 0.025 / 1000:.4f} at $0.025 per 1,000 |")
print(f"| the execution's own count (output `figures.stateTransitions`) | {f['stateTransitions']} (to its end message; {d['statesAfterEndMessage']} states follow it) |")
print("| Lambda invocations | **%d**: %s |" % (sum(l["invocations"] for l in lam), ", ".join(f"{l['function']} {l['invocations']}" for l in lam)))
print(f"| Lambda GB-seconds | **{d['gbSeconds']:.2f}** (local durations: an upper bound) |")
print("| RDS API calls | **%d** (output `figures.rdsCalls`: %s): %s |" % (d["rdsCalls"], f["rdsCalls"], ", ".join(f"{a} {n}" for a, n in calls)))
print(f"| status reads of the wait loops | **{sum(d['reads'].values())}** (output `figures.polls`: {f['polls']}): {reads} (states entered: {by_state}) |")
secs = lambda v: "-" if v is None else f"{v:.1f}"
print(f"| the execution's own figures | green build {secs(f['greenBuildSeconds'])} s, switchover {secs(f['switchoverSeconds'])} s, cleanup {secs(f['cleanupSeconds'])} s, total {secs(f['totalSeconds'])} s, {f['polls']} polls (wall time at 1/100) |")
PY
