#!/usr/bin/env bash
# Serve the champion over HTTP with MLflow's scoring server (mlflow.pyfunc.scoring_server, what
# `mlflow models serve` runs) on models:/<registered model>@champion, from .venv, on loopback,
# behind a guard on the request size.
#
#   ./scripts/serve.sh                          http://127.0.0.1:5001/invocations
#   MODEL_SERVER_PORT=8080 ./scripts/serve.sh --timeout-keep-alive 30    (options go to uvicorn)
#   curl -s 127.0.0.1:5001/invocations -H 'Content-Type: application/json' \
#     -d '{"dataframe_records": [{"PULocationID": 74, "DOLocationID": 75, "trip_distance": 1.2}]}'
#
# Environment: MODEL_SERVER_HOST (127.0.0.1), MODEL_SERVER_PORT (5001), MODEL_SERVER_WORKERS (2),
# MODEL_SERVER_MODEL_URI (default models:/$MLOPS_REGISTERED_MODEL@champion, followed as the alias
# moves; any other URI, such as models:/<name>/7, is served as it is), MODEL_SERVER_POLL_SECONDS (2:
# how often the registry is asked where the alias points), MLFLOW_TRACKING_URI and
# MLOPS_REGISTERED_MODEL as for the pipelines; the request limits MLOPS_MAX_RECORDS (100000 trips a
# request, the same limit as the predict pipeline's) and MODEL_SERVER_MAX_BODY_BYTES (default 160
# bytes a record of it: 16000000); MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT (60 s) as for `mlflow
# models serve`. uvicorn also reads UVICORN_* variables (UVICORN_ACCESS_LOG=false: no line per
# request). See docs/model-server.md.
#
# Answers: {"predictions": [minutes, ...]} in the order of the trips, with the header
# X-Model-Version: <the registered version that answered> (a 413 for the body's size has none: no
# model saw it). Bad input is a 400 whose
# JSON "message" names the problem: a missing field ("Model is missing inputs ['trip_distance']"),
# a value of the wrong type ("Failed to convert column trip_distance to type 'float64'"), a value
# the input rule refuses (mlops/utils/model_code/input_rule.py: location ids are integers in
# [1, 2147483647], trip_distance a finite number in [0, 1000000] miles, null refused; "records[3].
# trip_distance must be a finite number >= 0, got -100.0"), an empty list (no columns at all:
# every input is reported missing), a payload that is not JSON or lacks dataframe_records /
# dataframe_split / inputs / instances. Too large is a 413: a body over MODEL_SERVER_MAX_BODY_BYTES
# (judged by its Content-Length before it is read; a chunked one once it passes the limit), more
# trips than MLOPS_MAX_RECORDS (counted by the model once parsed). 100k trips (6.6 MB of JSON)
# take about a second; send big batches as Parquet (Content-Type application/vnd.apache.parquet)
# or text/csv: parsing JSON is most of a big request's time.
#
# Workers: 2, one per core. A worker is one process that parses, predicts and answers in its
# threads, so it uses about one core (the GIL). uvicorn runs on uvloop and httptools
# (requirements.txt): on its plain asyncio loop, with --workers > 1 it left TCP_NODELAY off
# (github.com/Kludex/uvicorn/issues/3149) and every keep-alive request waited ~40 ms for the
# client's delayed ACK. Measured with bench/bench_serving.py --quick xgboost on this idle 2-core
# machine: one client p50 8.1 ms with 1 worker, 7.5 with 2; 16 clients 150 requests/s with 1,
# 224-232 with 2.
#
# Following the champion: when the alias moves, the new version answers within the poll and a
# fraction of a second (measured 0.4-2.3 s: the poll, its download, each worker loading it), with no
# request failed: each uvicorn worker loads it beside the model serving, checks it (finite minutes
# for its own input example) and swaps it in; a request runs to its end on the model it started
# with. A version that must not serve (its artifacts cannot be had or loaded, NaN or infinite
# minutes, a data contract other than minutes of trip duration) is not loaded: the version serving
# goes on, and the log names the version and why, once (it is tried again when the alias moves
# again). A registry that does not answer is logged, once, and the current model goes on: it never
# reads as "no champion", nor does an alias removed stop the server. Nothing of this is per request:
# the registry is asked by one process, every MODEL_SERVER_POLL_SECONDS.
#
# How: `python -m mlops.utils.inference.follow_champion start` (with the repository's code) resolves
# the alias, checks the version's contract, downloads its model into a temporary folder and names it
# in the folder's pointer (served.json); uvicorn runs there on scoring_app:following_scoring_server
# (mlops/utils/inference/scoring_app.py and mlops/utils/model_code/request_limits.py, copied in):
# MLflow's scoring server app on that model, wrapped in the body-size guard (`mlflow models serve`
# has no place for one), each worker reading the pointer twice a second. `follow_champion follow`
# runs beside it: it asks the registry, and downloads and names each new champion. uvicorn puts its
# working directory first on sys.path, and that folder holds nothing else importable: the model must
# import the model code it ships, never the repository's (a new model imports its own afresh). The
# pointer names the last 5 models downloaded: a worker uvicorn restarts (one died) serves the newest
# of them that loads and checks. The folder goes when the server stops; if the follower stops, the
# server is stopped too (exit 1, named), so that a supervisor (compose's restart policy) starts one
# that follows.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_venv.sh"

# The registry's name and tracking store exactly as the pipelines resolve them, and the request
# limits (a bad setting stops here, named).
{ IFS= read -r champion && IFS= read -r tracking && IFS= read -r limits; } < <("$VENV_PYTHON" -c '
import sys
from mlops.utils.model_code.request_limits import max_body_bytes, max_records
from mlops.utils.tracking.mlflow_setup import tracking_uri
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import CHAMPION
try:
    limits = f"at most {max_records()} trips and {max_body_bytes()} bytes a request"
except ValueError as error:
    sys.exit(f"error: {error}")
print(f"models:/{registered_model_name()}@{CHAMPION}"); print(tracking_uri()); print(limits)')
model_uri="${MODEL_SERVER_MODEL_URI:-$champion}"
if [[ "$tracking" == sqlite:///* && ! -f "${tracking#sqlite:///}" ]]; then
  echo "error: no MLflow store at ${tracking#sqlite:///}: train a model first (./scripts/run.sh)" >&2
  exit 1
fi
export MLFLOW_TRACKING_URI="$tracking"
# The model, once loaded, hides the server's ~340k long-lived objects from the garbage collector:
# full collections over them paused requests for 0.4-0.6 s (mlops/utils/model_code/model.py).
export MLOPS_SERVING_FREEZE_GC=1

workdir="$(mktemp -d "${TMPDIR:-/tmp}/mlops-serve-XXXXXX")"
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
# The first model, downloaded and named in the folder's pointer (a champion is checked first: its
# data contract must be minutes of trip duration); a missing champion or store stops here, named.
# It prints two lines last: follow or fixed, and what is served.
{ IFS= read -r mode && IFS= read -r serving; } < <(
  "$VENV_PYTHON" -m mlops.utils.inference.follow_champion start "$model_uri" "$workdir" | tail -n 2)
export MLOPS_SERVING_FOLDER="$workdir"
cp "$ROOT/mlops/utils/model_code/request_limits.py" "$ROOT/mlops/utils/inference/scoring_app.py" "$workdir/"
host="${MODEL_SERVER_HOST:-127.0.0.1}"
port="${MODEL_SERVER_PORT:-5001}"
workers="${MODEL_SERVER_WORKERS:-2}"
echo "serving $serving on http://$host:$port/invocations with $workers workers, $limits" >&2

# In the background so that the trap can remove the folder: a TERM or INT to this script is
# passed on to the server (and the follower), and the script exits once the server has. The
# follower asks the registry with the repository's code; the server imports only the model's.
follower=''
if [[ "$mode" == follow ]]; then
  "$VENV_PYTHON" -m mlops.utils.inference.follow_champion follow "$workdir" &
  follower=$!
fi
unset PYTHONPATH  # setup_venv.sh put the repository there; the served model brings its own code
"$VENV/bin/uvicorn" --factory scoring_app:following_scoring_server --host "$host" --port "$port" \
  --workers "$workers" "$@" &
server=$!
stopping=''
stop() { stopping=1; kill -TERM "$server" ${follower:+"$follower"} 2>/dev/null || true; }
trap stop TERM INT HUP
wait -n "$server" ${follower:+"$follower"} || true  # the first to end, or a signal
failed=''
if [[ -z "$stopping" && -n "$follower" ]] && ! kill -0 "$follower" 2>/dev/null && kill -0 "$server" 2>/dev/null; then
  gone=0
  wait "$follower" || gone=$?
  echo "error: the champion follower stopped (exit $gone): stopping the server, which would no longer follow" >&2
  failed=1
fi
stop
while kill -0 "$server" 2>/dev/null; do wait "$server" || true; done
status=0
wait "$server" || status=$?
exit "${failed:-$status}"
