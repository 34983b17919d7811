#!/usr/bin/env bash
# Create or refresh the MLflow tracking server's virtualenv (.venv-mlflow-server); quiet when
# current. Usage: source scripts/setup_mlflow_server.sh   (exports MLFLOW_SERVER_BIN)
# Meant to be sourced: it sets no shell options and returns (not exits) on failure.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_VENV="${MLOPS_MLFLOW_SERVER_VENV:-$ROOT/.venv-mlflow-server}"
wanted="$(sha256sum "$ROOT/requirements-mlflow-server.txt" | cut -d' ' -f1)"
if [[ ! -x "$SERVER_VENV/bin/mlflow" ]] || [[ "$(cat "$SERVER_VENV/.requirements.sha256" 2>/dev/null)" != "$wanted" ]]; then
  echo "setting up the MLflow server virtualenv in $SERVER_VENV..." >&2
  log="$(mktemp)"
  if ! { "${PYTHON:-python3}" -m venv --clear "$SERVER_VENV" && "$SERVER_VENV/bin/python" -m pip install \
         --disable-pip-version-check -r "$ROOT/requirements-mlflow-server.txt" >"$log" 2>&1; }; then
    grep -v "^WARNING: Location" "$log" | tail -40 >&2
    echo "pip install failed; full log: $log" >&2
    return 1 2>/dev/null || exit 1
  fi
  rm -f "$log"
  echo "$wanted" > "$SERVER_VENV/.requirements.sha256"
fi
export MLFLOW_SERVER_BIN="$SERVER_VENV/bin/mlflow"
