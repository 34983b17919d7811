#!/usr/bin/env bash
# The MLflow UI and tracking server over the embedded store the pipelines write
# (.mage_data/mlflow: SQLite + artifacts), on http://127.0.0.1:5000 by default.
# Point the pipelines at it with MLFLOW_TRACKING_URI=http://127.0.0.1:5000 if you like;
# by default they write the same store directly. Options go to `mlflow server`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_mlflow_server.sh"
store="${MLOPS_DATA_DIR:-$ROOT/.mage_data}/mlflow"
mkdir -p "$store/artifacts"
# No background job runner (7 extra consumer processes): the pipelines do not use it.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
exec "$MLFLOW_SERVER_BIN" server --host "${MLFLOW_HOST:-127.0.0.1}" --port "${MLFLOW_PORT:-5000}" \
  --backend-store-uri "sqlite:///$store/mlflow.db" --artifacts-destination "$store/artifacts" \
  --serve-artifacts "$@"
