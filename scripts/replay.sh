#!/usr/bin/env bash
# The replay (and soak): train on the first months of an archive, then make each later month
# arrive at a staged source the Mage server reads, through the server's real triggers (new-month
# sensor, retraining, monitoring, batch scoring), on quick training budgets; measures the soak
# (server memory, stuck runs, database and log growth, catch-up runs after a restart in the middle).
# Resumable: stopped and started again, it continues where it was. See docs/replay-and-soak.md.
#   ./scripts/replay.sh --source ../shared/data
#   ./scripts/replay.sh --source ../shared/data --months 2023-01..2023-06 --train-months 3 --stop-server
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_venv.sh"
cd "$ROOT"
exec "$VENV_PYTHON" -m mlops.utils.replay "$@"
