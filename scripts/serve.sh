#!/usr/bin/env bash
# Serve the champion over HTTP with MLflow's scoring server: `mlflow models serve` on
# models:/<registered model>@champion, from .venv (--env-manager local), on loopback.
#
#   ./scripts/serve.sh                          http://127.0.0.1:5001/invocations
#   MODEL_SERVER_PORT=8080 ./scripts/serve.sh --timeout 30    (options go to `mlflow models serve`)
#   curl -s 127.0.0.1:5001/invocations -H 'Content-Type: application/json' \
#     -d '{"dataframe_records": [{"PULocationID": 74, "DOLocationID": 75, "trip_distance": 1.2}]}'
#
# Environment: MODEL_SERVER_HOST (127.0.0.1), MODEL_SERVER_PORT (5001), MODEL_SERVER_WORKERS (1),
# MODEL_SERVER_MODEL_URI (default models:/$MLOPS_REGISTERED_MODEL@champion, resolved when the
# server starts: restart it to serve a new champion), MLFLOW_TRACKING_URI and MLOPS_REGISTERED_MODEL
# as for the pipelines; uvicorn also reads UVICORN_* variables (UVICORN_ACCESS_LOG=false: no line
# per request). See README.md.
#
# Answers: {"predictions": [minutes, ...]} in the order of the trips. Bad input is a 400 whose
# JSON "message" names the problem: a missing field ("Model is missing inputs ['trip_distance']"),
# a value of the wrong type ("Failed to convert column trip_distance to type 'float64'"), an
# empty list (no columns at all: every input is reported missing), a payload that is not JSON or
# lacks dataframe_records / dataframe_split / inputs / instances. No batch limit: 100k trips
# (6.6 MB of JSON) take about a second; send big batches as dataframe_split (about twice as fast
# to parse as dataframe_records) or text/csv.
#
# Workers: 1. One worker is one process: the scoring server parses, predicts and answers in
# threads of it, so it uses about one core. With --workers > 1, uvicorn 0.54 binds the listening
# socket itself and leaves TCP_NODELAY off (github.com/Kludex/uvicorn/issues/3149): every
# keep-alive request after the first then waits ~40 ms for the client's delayed ACK, which also
# caps 16 keep-alive clients at ~16 / 0.045 s = 350 requests/s. Measured with
# bench/bench_serving.py --quick on this 2-core machine, busy with other test runs (two rounds):
# one client p50 6.1 / 12.3 ms with 1 worker, 52 ms with 2 or 4; 16 clients 153 / 102 requests/s
# with 1 worker, 135 / 195 with 2, 140 / 125 with 4. The latency cost is certain, the throughput
# gain is within the noise (the clients and the server share the two cores).
#
# The server runs in an empty temporary folder: uvicorn puts its working directory first on
# sys.path, and the model must import the serving code it ships, never the repository's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_venv.sh"

# The registry's name and tracking store exactly as the pipelines resolve them.
{ IFS= read -r champion && IFS= read -r tracking; } < <("$VENV_PYTHON" -c '
from mlops.utils.tracking.mlflow_setup import tracking_uri
from mlops.utils.tracking.registry import CHAMPION, registered_model_name
print(f"models:/{registered_model_name()}@{CHAMPION}"); print(tracking_uri())')
model_uri="${MODEL_SERVER_MODEL_URI:-$champion}"
if [[ "$tracking" == sqlite:///* && ! -f "${tracking#sqlite:///}" ]]; then
  echo "error: no MLflow store at ${tracking#sqlite:///}: train a model first (./scripts/run.sh)" >&2
  exit 1
fi
export MLFLOW_TRACKING_URI="$tracking"
unset PYTHONPATH  # setup_venv.sh put the repository there; the served model brings its own code
# The model, once loaded, hides the server's ~340k long-lived objects from the garbage collector:
# full collections over them paused requests for 0.4-0.6 s (mlops/utils/serving/model.py).
export MLOPS_SERVING_FREEZE_GC=1

workdir="$(mktemp -d "${TMPDIR:-/tmp}/mlops-serve-XXXXXX")"
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
host="${MODEL_SERVER_HOST:-127.0.0.1}"
port="${MODEL_SERVER_PORT:-5001}"
echo "serving $model_uri on http://$host:$port/invocations" >&2

# In the background so that the trap can remove the folder: a TERM or INT to this script is
# passed on to the server, and the script exits once the server has.
"$VENV/bin/mlflow" models serve -m "$model_uri" --env-manager local --host "$host" --port "$port" \
  --workers "${MODEL_SERVER_WORKERS:-1}" "$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' TERM INT HUP
status=0
wait "$server" || status=$?
while kill -0 "$server" 2>/dev/null; do wait "$server" || status=$?; done
exit "$status"
