#!/usr/bin/env bash
# Start the Mage UI on http://localhost:6789 with the multi-project platform in ./mlops.
#
#   ./scripts/start.sh            Docker when an engine answers, else the local virtualenv
#   MLOPS_START_MODE=docker|local ./scripts/start.sh
#   ./scripts/start.sh -d         (Docker) options go to `docker compose up --build`
#
# Docker: `docker compose` (v2) or `docker-compose` (v1) with docker-compose.yml: PostgreSQL,
# MLflow server (:5000), Mage (:6789), the champion's model server (:5001). The first time it
# writes .env (git-ignored) from .env.example with fresh passwords and your user and group ids;
# sign in with DEFAULT_OWNER_EMAIL / DEFAULT_OWNER_PASSWORD from there.
# Local: `mage start mlops` from .venv on Mage's embedded SQLite DB. The owner's password is
# DEFAULT_OWNER_PASSWORD when set, else the one in <state>/owner-credentials (.mage_data/platform/
# by default), made with a random password at the first start and printed then (readable only by you).
# Environment: MAGE_HOST (127.0.0.1; anything but loopback also needs MLOPS_EXPOSE_MAGE=1), MAGE_PORT
# (6789) (local), DEFAULT_OWNER_EMAIL / _PASSWORD, REQUIRE_USER_AUTHENTICATION, MLOPS_UI_PROJECT
# (both modes); see README.md and .env.example.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# docker-compose.yml mounts .gitconfig; a missing file would be created as a folder.
[[ -e .gitconfig ]] || touch .gitconfig

# The sub-project the UI opens on: MLOPS_UI_PROJECT when set; otherwise the one the UI last
# chose, or unit_1_data_preparation the first time. Every sub-project's pipelines, triggers and
# API endpoints work whichever is active. Written to Mage's platform settings in the folder given.
choose_ui_project() {
  local state_dir="$1"
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
}

# .env for the compose file, once: .env.example with fresh passwords and your user and group ids
# (the Mage container runs as you: what it writes into the checkout stays yours).
create_env_file() {
  local line key
  while IFS= read -r line || [[ -n "$line" ]]; do
    key="${line%%=*}"
    case "$key" in
      POSTGRES_PASSWORD|DEFAULT_OWNER_PASSWORD|MLFLOW_TRACKING_PASSWORD) line="$key=$(od -vAn -N18 -tx1 /dev/urandom | tr -d ' \n')" ;;
      MLOPS_UID) line="$key=$(id -u)" ;;
      MLOPS_GID) line="$key=$(id -g)" ;;
    esac
    printf '%s\n' "$line"
  done < .env.example | (umask 077 && cat > .env.new)
  mv .env.new .env
  echo "created .env from .env.example with fresh passwords (git-ignored; edit it to change them)" >&2
}

mode="${MLOPS_START_MODE:-auto}"
if [[ "$mode" == auto ]]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then mode=docker; else mode=local; fi
fi

case "$mode" in
  docker)
    if docker compose version >/dev/null 2>&1; then
      compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
      compose=(docker-compose)
    else
      echo "error: neither 'docker compose' nor 'docker-compose' is available" >&2
      exit 1
    fi
    # The container's Mage keeps its state in the checkout's .mage_data (mounted).
    choose_ui_project "$ROOT/.mage_data/platform"
    [[ -e .env ]] || create_env_file
    echo "Mage UI: http://localhost:6789 (sign in with DEFAULT_OWNER_EMAIL / DEFAULT_OWNER_PASSWORD from .env)," \
         "MLflow: http://localhost:5000, model server: http://localhost:5001/invocations" >&2
    exec "${compose[@]}" up --build "$@"
    ;;
  local)
    source "$ROOT/scripts/setup_venv.sh"
    state_dir="${MAGE_DATA_DIR:+$MAGE_DATA_DIR/mlops}"
    choose_ui_project "${state_dir:-$ROOT/.mage_data/platform}"
    # Dashboards (block layouts) are files of the repo: mlops/presenters/<page>/block_layout.yaml.
    export MAGE_PRESENTERS_DIRECTORY="${MAGE_PRESENTERS_DIRECTORY:-$ROOT/mlops/presenters}"
    host="${MAGE_HOST:-127.0.0.1}"
    port="${MAGE_PORT:-6789}"
    case "$host" in
      127.*|localhost|::1) ;;
      *)
        if [[ "${MLOPS_EXPOSE_MAGE:-}" != 1 ]]; then
          echo "error: MAGE_HOST=$host would let other machines reach Mage, whose blocks and terminal run any code" \
               "as $(id -un). Keep 127.0.0.1 (the default), or set MLOPS_EXPOSE_MAGE=1 to do it on purpose." >&2
          exit 2
        fi
        echo "warning: Mage listens on $host:$port (MLOPS_EXPOSE_MAGE=1): whoever reaches it and signs in runs code as" \
             "$(id -un); only loopback names, MAGE_PUBLIC_HOST's and those in MLOPS_ALLOWED_HOSTS are answered." >&2
        ;;
    esac
    "$VENV_PYTHON" -m mlops.utils.orchestration.workarounds  # settings checked now (SMTP), not at the first alert
    echo "Mage UI: http://localhost:$port" >&2
    exec "$VENV_PYTHON" -m mlops.utils.orchestration.mage_cli start mlops --host "$host" --port "$port" "$@"
    ;;
  *)
    echo "error: MLOPS_START_MODE must be docker, local or auto, got '$mode'" >&2
    exit 2
    ;;
esac
