#!/usr/bin/env bash
# Create or refresh the project virtualenv; quiet when it is already current.
# Usage: source scripts/setup_venv.sh [--dev]   (exports VENV_PYTHON, PATH, PYTHONPATH)
# The venv records a hash of what it was installed from: runtime requirements and, with
# --dev, the test requirements too. A changed file triggers a reinstall; nothing else does.
# Meant to be sourced: it sets no shell options and returns (not exits) on failure.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLOPS_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
runtime_hash="$(hash_of "$ROOT/requirements.txt" "$ROOT/constraints.txt")"
dev_hash="$(hash_of "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt")"

install() {  # install REQUIREMENTS_FILE...: pinned by constraints.txt, log shown on failure only
  local log args=(-c "$ROOT/constraints.txt")
  log="$(mktemp)"
  for f in "$@"; do args+=(-r "$f"); done
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check "${args[@]}" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" | tail -40 >&2
    echo "pip install failed; full log: $log" >&2
    return 1
  fi
  rm -f "$log"
}

if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$VENV/.runtime.sha256" 2>/dev/null)" != "$runtime_hash" ]]; then
  echo "setting up virtualenv in $VENV (pinned requirements)..." >&2
  # --clear: packages dropped from the requirements must not linger from an older install
  "$PYTHON_BIN" -m venv --clear "$VENV" && install "$ROOT/requirements.txt" || return 1 2>/dev/null || exit 1
  echo "$runtime_hash" > "$VENV/.runtime.sha256"
  rm -f "$VENV/.dev.sha256"
fi
if [[ "${1:-}" == "--dev" ]] && [[ "$(cat "$VENV/.dev.sha256" 2>/dev/null)" != "$dev_hash" ]]; then
  echo "installing test requirements..." >&2
  install "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" || return 1 2>/dev/null || exit 1
  echo "$dev_hash" > "$VENV/.dev.sha256"
fi

export VENV_PYTHON="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
