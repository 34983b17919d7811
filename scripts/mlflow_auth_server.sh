#!/usr/bin/env bash
# `mlflow server` behind MLflow's basic-auth app (`--app-name basic-auth`): the one way this
# project runs an MLflow server (docker-compose.yml's mlflow service, the image's CMD,
# scripts/mlflow_server.sh). Options go to `mlflow server`.
#
# Its admin user is MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, the variables MLflow's
# client reads, so the pipelines, the model server and the tests sign in with the same two:
# created on the first start and given MLFLOW_TRACKING_PASSWORD again on every start
# (scripts/mlflow_auth_admin.py). Without a password (or with one MLflow refuses) it exits 2 before
# anything starts. Anonymous requests get 401 (only /health answers them); users the admin adds
# get nothing until granted (default_permission NO_PERMISSIONS).
#
# Environment:
#   MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD   the admin user (required; 12+ characters)
#   MLOPS_MLFLOW_AUTH_DIR   folder of the users' database (basic_auth.db, SQLite) and its
#                           basic_auth.ini (required; created 0700). Never inside the artifact root.
#   MLFLOW_SERVER_BIN       the `mlflow` to run (default: the one on PATH)
#   MLFLOW_FLASK_SERVER_SECRET_KEY   the CSRF key of MLflow's add-user form; default: a fresh one
#                           per start (all workers of one start share it)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() {
  echo "error: $*" >&2
  exit 2
}

[[ -n "${MLFLOW_TRACKING_USERNAME:-}" ]] ||
  fail "MLFLOW_TRACKING_USERNAME is not set: the MLflow server's admin user (basic authentication)"
[[ -n "${MLFLOW_TRACKING_PASSWORD:-}" ]] ||
  fail "MLFLOW_TRACKING_PASSWORD is not set: the MLflow server runs behind basic authentication and" \
       "will not start without its admin's password (12 or more characters; openssl rand -hex 18 makes one)"
[[ -n "${MLOPS_MLFLOW_AUTH_DIR:-}" ]] ||
  fail "MLOPS_MLFLOW_AUTH_DIR is not set: the folder of the MLflow server's users database"

mlflow_bin="${MLFLOW_SERVER_BIN:-$(command -v mlflow || true)}"
[[ -x "$mlflow_bin" ]] || fail "no mlflow to run (MLFLOW_SERVER_BIN, or mlflow on PATH): scripts/setup_mlflow_server.sh installs it"

auth_dir="$MLOPS_MLFLOW_AUTH_DIR"
mkdir -p "$auth_dir"
chmod 700 "$auth_dir"  # password hashes
auth_dir="$(cd "$auth_dir" && pwd)"
# MLflow reads the configuration in every worker; the admin's name and password come from the
# environment (MLFLOW_AUTH_ADMIN_*), never from this file.
cat > "$auth_dir/basic_auth.ini" <<EOF
[mlflow]
default_permission = NO_PERMISSIONS
database_uri = sqlite:///$auth_dir/basic_auth.db
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
grant_default_workspace_access = false
EOF
export MLFLOW_AUTH_CONFIG_PATH="$auth_dir/basic_auth.ini"
export MLFLOW_AUTH_ADMIN_USERNAME="$MLFLOW_TRACKING_USERNAME"
export MLFLOW_AUTH_ADMIN_PASSWORD="$MLFLOW_TRACKING_PASSWORD"
MLFLOW_FLASK_SERVER_SECRET_KEY="${MLFLOW_FLASK_SERVER_SECRET_KEY:-$(od -vAn -N32 -tx1 /dev/urandom | tr -d ' \n')}"
export MLFLOW_FLASK_SERVER_SECRET_KEY

"$(dirname "$mlflow_bin")/python" "$HERE/mlflow_auth_admin.py" || exit 2
exec "$mlflow_bin" server --app-name basic-auth "$@"
