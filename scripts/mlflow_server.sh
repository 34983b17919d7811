#!/usr/bin/env bash
# The MLflow UI and tracking server over the embedded store the pipelines write
# (.mage_data/mlflow: SQLite + artifacts), on http://127.0.0.1:5000 by default, behind MLflow's
# basic authentication (scripts/mlflow_auth_server.sh; users in .mage_data/mlflow/auth).
# Options go to `mlflow server`.
#
# Credentials: MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD when the password is set;
# otherwise the ones in .mage_data/mlflow/credentials (0600, git-ignored), generated the first
# time. The pipelines write the store directly by default; to go through this server instead:
#   set -a; . .mage_data/mlflow/credentials; set +a; export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_mlflow_server.sh"
store="${MLOPS_DATA_DIR:-$ROOT/.mage_data}/mlflow"
mkdir -p "$store/artifacts"

if [[ -z "${MLFLOW_TRACKING_PASSWORD:-}" ]]; then
  credentials="$store/credentials"
  if [[ ! -e "$credentials" ]]; then
    (
      umask 077
      printf '%s\n' \
        "# The MLflow server's admin user (scripts/mlflow_server.sh), generated for this store." \
        "# A client: set -a; . $credentials; set +a" \
        "MLFLOW_TRACKING_USERNAME=${MLFLOW_TRACKING_USERNAME:-mlops}" \
        "MLFLOW_TRACKING_PASSWORD=$(od -vAn -N18 -tx1 /dev/urandom | tr -d ' \n')" > "$credentials.new"
    )
    mv "$credentials.new" "$credentials"
    echo "generated the MLflow server's credentials into $credentials (readable only by you)" >&2
  elif [[ "$(stat -c %a "$credentials")" != 600 ]]; then
    chmod 600 "$credentials"
    echo "made $credentials readable only by you (it holds the MLflow server's password)" >&2
  fi
  set -a
  # shellcheck source=/dev/null
  source "$credentials"
  set +a
  if [[ -z "${MLFLOW_TRACKING_PASSWORD:-}" ]]; then
    echo "error: $credentials sets no MLFLOW_TRACKING_PASSWORD: remove it to generate new credentials" >&2
    exit 2
  fi
  echo "MLflow server admin: ${MLFLOW_TRACKING_USERNAME:-mlops}, password in $credentials" >&2
fi
export MLFLOW_TRACKING_USERNAME="${MLFLOW_TRACKING_USERNAME:-mlops}"
export MLOPS_MLFLOW_AUTH_DIR="$store/auth"
# No background job runner (7 extra consumer processes): the pipelines do not use it.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
exec "$ROOT/scripts/mlflow_auth_server.sh" --host "${MLFLOW_HOST:-127.0.0.1}" --port "${MLFLOW_PORT:-5000}" \
  --backend-store-uri "sqlite:///$store/mlflow.db" --artifacts-destination "$store/artifacts" \
  --serve-artifacts "$@"
