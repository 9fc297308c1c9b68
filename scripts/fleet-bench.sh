#!/usr/bin/env bash
# The fleet benchmark: a fleet of FLEET_BENCH_DATABASES (default 200) RDS MySQL upgrades over 4
# accounts and 2 Regions on the local stack (moto + cargo lambda watch, waits scaled), through
# the Distributed Map; asserts the caps from the children's start and stop times and prints the
# figures docs/fleet.md quotes (wall time, transitions, RDS calls per database and per lane).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export FLEET_BENCH_DATABASES="${FLEET_BENCH_DATABASES:-200}"
exec cargo test --workspace --test end_to_end -- --ignored --nocapture \
  e2e_fleet::a_large_fleet_keeps_its_caps_and_measures_its_pace
