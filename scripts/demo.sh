#!/usr/bin/env bash
# The product's main job, locally: installs the local tools if needed, then runs the demo —
# moto (local AWS) and the six functions under `cargo lambda watch`, a sample Aurora MySQL
# cluster, and the real state machine upgrading it stage by stage. Stops all it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
exec cargo run --quiet -p e2e --bin demo "$@"
