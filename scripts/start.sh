#!/usr/bin/env bash
# Start the Mage UI on http://localhost:6789 with the multi-project platform in ./mlops.
#
#   ./scripts/start.sh            Docker when an engine answers, else the local virtualenv
#   MLOPS_START_MODE=docker|local ./scripts/start.sh
#
# Docker: docker compose (v2) or docker-compose (v1) with docker-compose.yml (PostgreSQL,
# MLflow server, Mage). Local: `mage start mlops` from .venv on Mage's embedded SQLite DB.
# Environment: MAGE_HOST (127.0.0.1), MAGE_PORT (6789), DEFAULT_OWNER_EMAIL / _PASSWORD,
# REQUIRE_USER_AUTHENTICATION, MLOPS_UI_PROJECT (local mode); see README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# docker-compose.yml mounts .gitconfig; a missing file would be created as a folder.
[[ -e .gitconfig ]] || touch .gitconfig

mode="${MLOPS_START_MODE:-auto}"
if [[ "$mode" == auto ]]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then mode=docker; else mode=local; fi
fi

case "$mode" in
  docker)
    if docker compose version >/dev/null 2>&1; then
      exec docker compose up --build "$@"
    elif command -v docker-compose >/dev/null 2>&1; then
      exec docker-compose up --build "$@"
    fi
    echo "error: neither 'docker compose' nor 'docker-compose' is available" >&2
    exit 1
    ;;
  local)
    source "$ROOT/scripts/setup_venv.sh"
    # The sub-project the server opens on: MLOPS_UI_PROJECT when set (unit_4_triggering serves
    # the API endpoint and runs the daily retraining); otherwise the one the UI last chose, or
    # unit_1_data_preparation the first time.
    state_dir="${MAGE_DATA_DIR:+$MAGE_DATA_DIR/mlops}"
    state_dir="${state_dir:-$ROOT/.mage_data/platform}"
    if [[ -n "${MLOPS_UI_PROJECT:-}" ]]; then
      if ! grep -q "^  ${MLOPS_UI_PROJECT}:" "$ROOT/mlops/settings.yaml"; then
        echo "error: MLOPS_UI_PROJECT=$MLOPS_UI_PROJECT is not a sub-project in mlops/settings.yaml" >&2
        exit 2
      fi
      mkdir -p "$state_dir"
      printf 'projects:\n  %s:\n    active: true\n' "$MLOPS_UI_PROJECT" > "$state_dir/.settings.yaml"
    elif [[ ! -e "$state_dir/.settings.yaml" ]]; then
      mkdir -p "$state_dir"
      printf 'projects:\n  unit_1_data_preparation:\n    active: true\n' > "$state_dir/.settings.yaml"
    fi
    # Dashboards (block layouts) are files of the repo: mlops/presenters/<page>/block_layout.yaml.
    export MAGE_PRESENTERS_DIRECTORY="${MAGE_PRESENTERS_DIRECTORY:-$ROOT/mlops/presenters}"
    host="${MAGE_HOST:-127.0.0.1}"
    port="${MAGE_PORT:-6789}"
    echo "Mage UI: http://localhost:$port (sign in with \$DEFAULT_OWNER_EMAIL, default admin@admin.com)" >&2
    exec "$VENV_PYTHON" -m mlops.utils.orchestration.mage_cli start mlops --host "$host" --port "$port" "$@"
    ;;
  *)
    echo "error: MLOPS_START_MODE must be docker, local or auto, got '$mode'" >&2
    exit 2
    ;;
esac
