#!/usr/bin/env bash
# Installs the local tools the project runs (Python venv with moto, cargo-lambda, SAM CLI,
# statelint; asl-validator from npm) into the work tree. Safe to run again: it does nothing
# when the pinned versions are already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/tests/tools/requirements.txt"
stamp="$venv/.requirements.sha"
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python tools into .venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

tools="$root/tests/tools"
if [ ! -x "$tools/node_modules/.bin/asl-validator" ]; then
  echo "bootstrap: installing asl-validator with npm" >&2
  (cd "$tools" && npm install --silent --no-audit --no-fund >/dev/null)
fi
