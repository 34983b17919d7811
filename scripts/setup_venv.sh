#!/usr/bin/env bash
# Create or refresh the project virtualenv; prints nothing when it is already current.
# Usage: source scripts/setup_venv.sh [--dev]   (sets VENV_PYTHON, PYTHONPATH)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLOPS_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

files=("$ROOT/requirements.txt" "$ROOT/constraints.txt")
[[ "${1:-}" == "--dev" ]] && files+=("$ROOT/requirements-dev.txt")
stamp_value="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
stamp_file="$VENV/.requirements.sha256"

if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp_value" ]]; then
  echo "setting up virtualenv in $VENV (pinned requirements)..." >&2
  log="$(mktemp)"
  "$PYTHON_BIN" -m venv "$VENV"
  args=()
  for f in "${files[@]}"; do
    [[ "$f" == *constraints.txt ]] && args+=(-c "$f") || args+=(-r "$f")
  done
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check "${args[@]}" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" | tail -40 >&2
    echo "pip install failed; full log: $log" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$stamp_value" > "$stamp_file"
fi

export VENV_PYTHON="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
