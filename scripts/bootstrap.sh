#!/usr/bin/env bash
# Installs the local tools the project runs (Python venv with moto, cargo-lambda, SAM CLI,
# statelint; a second venv with checkov and parliament; asl-validator and iam-simulate from npm) into the work tree. Safe to run again: it does nothing
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

# The template linters pin their own AWS SDK versions: a venv of their own.
lint_venv="$root/.venv-lint"
lint_req="$root/tests/tools/requirements-lint.txt"
lint_stamp="$lint_venv/.requirements.sha"
lint_want=$(sha256sum "$lint_req" | cut -d' ' -f1)
if [ ! -x "$lint_venv/bin/python" ] || [ "$(cat "$lint_stamp" 2>/dev/null)" != "$lint_want" ]; then
  echo "bootstrap: installing checkov and parliament into .venv-lint" >&2
  python3 -m venv "$lint_venv"
  "$lint_venv/bin/pip" install --quiet --disable-pip-version-check -r "$lint_req"
  echo "$lint_want" > "$lint_stamp"
fi

tools="$root/tests/tools"
npm_stamp="$tools/node_modules/.package-lock.sha"
npm_want=$(sha256sum "$tools/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
  echo "bootstrap: installing asl-validator and iam-simulate with npm" >&2
  (cd "$tools" && npm ci --silent --no-audit --no-fund >/dev/null)
  echo "$npm_want" > "$npm_stamp"
fi
