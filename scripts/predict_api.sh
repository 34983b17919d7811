#!/usr/bin/env bash
# The predict pipeline's API endpoint on a running Mage server (./scripts/start.sh):
#   ./scripts/predict_api.sh                      print a ready-to-use curl command
#   ./scripts/predict_api.sh --run '{"inputs": [{"PULocationID": 74, "DOLocationID": 75, "trip_distance": 1.3}]}'
#                                                 post, wait, print the predictions
#   ./scripts/predict_api.sh --retrain            the same for automatic_retraining's retrain_now
#   ./scripts/predict_api.sh --show-token         the curl with the trigger's token in its URL (by
#                                                 default it reads it from $MLOPS_API_TOKEN)
#   ./scripts/predict_api.sh --rotate-token [TRIGGER]
#                                                 a new token (predict_api or retrain_now): the
#                                                 old URL is refused from then on
# The trigger's id and token are read through Mage's API: MAGE_URL (http://127.0.0.1:6789),
# DEFAULT_OWNER_EMAIL / DEFAULT_OWNER_PASSWORD when set, else the owner start.sh wrote for this install
# (<state>/owner-credentials, .mage_data/platform/ by default), else .env (the Docker stack).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_venv.sh"
cd "$ROOT"
exec "$VENV_PYTHON" -m mlops.utils.triggering.api_command "$@"
