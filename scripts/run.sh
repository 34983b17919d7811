#!/usr/bin/env bash
# The main job: set up the virtualenv if needed, then run the pipeline chain headless
# through Mage on the embedded defaults (SQLite; no services). Arguments go to the runner:
#   ./scripts/run.sh --source ../shared/data --set start_month=2023-11
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_venv.sh"
cd "$ROOT"
exec "$VENV_PYTHON" -m mlops.utils.orchestration "$@"
