"""Latency and throughput of the model server (``scripts/serve.sh``: MLflow's scoring server) on
loopback, with clients on keep-alive connections.

Why it is this long: it needs nothing but a fresh clone, so it holds its own parts, used by no
other benchmark: registering a quick model, starting the server as ``scripts/serve.sh`` does and
waiting for every worker, checking the served answers against the model in-process, and a pool of
keep-alive clients timing four request bodies (records, split, CSV, Parquet) with the server's CPU
per request from /proc.

    python bench/bench_serving.py [--quick [linear|xgboost]] [--model-uri URI] [--workers N]
                                  [--requests 2000] [--batches 20] [--data ../shared/data]

Model: by default the champion of the default tracking store (as ``scripts/serve.sh`` serves
it); ``--model-uri`` another one; ``--quick`` fits and registers a small model (LinearRegression,
or a 50-round XGBoost booster) on the shared data in a temporary store, so the benchmark runs on
a fresh clone without training. Before timing, a 10k-trip batch answered by the server must equal
the model's in-process predictions.

Figures: single-trip p50/p99 latency and requests/s with 1 and with 16 concurrent clients
(``dataframe_records``, one trip a request), and rows/s for 10k-trip batches sent as
``dataframe_split`` (MLflow's column-wise JSON; ``dataframe_records`` and CSV printed beside it).
Beside each: the CPU time the server used per request (from /proc), which, unlike the times, does
not depend much on what else the machine is running: 1000 / that is what one worker can serve a
second on one core.
(The Mage API endpoint, ``scripts/predict_api.sh``, has its own: ``bench/bench_predict_api.py``.)
Targets (on this 2-core machine, clients included): p50 <= 5 ms, p99 <= 25 ms, >= 500
requests/s with 16 clients, >= 200k rows/s for the batch. Exit status 1 when a target is missed
or the answers differ (the benchmark reports; the tests time nothing).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import io
import json
import os
import re
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the documented command runs from anywhere

from bench.verdicts import exit_status  # noqa: E402
from mlops.utils.model_code.features import INPUT_TYPES  # noqa: E402
from mlops.utils.paths import REPO_ROOT  # noqa: E402
from testkit.servers import ServerProcess, free_port  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_P99_MS = 25.0
TARGET_REQUESTS_PER_SECOND = 500.0  # with 16 clients
TARGET_ROWS_PER_SECOND = 200_000.0  # 10k-trip batches
CONCURRENT_CLIENTS = 16
BATCH_ROWS = 10_000
QUICK_MODEL_NAME = 'bench-serving'
STARTUP_SECONDS = 300.0
JSON = 'application/json'
PARQUET = 'application/vnd.apache.parquet'  # MLflow's scoring server reads it with pandas


def sample_trips(rows: int, seed: int = 0) -> pd.DataFrame:
    """Trips as clients send them: NYC taxi zones 1-265 (some routes the model never saw) and
    miles; the server's work does not depend on the values."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            'PULocationID': rng.integers(1, 266, rows),
            'DOLocationID': rng.integers(1, 266, rows),
            'trip_distance': rng.exponential(3.0, rows).round(2),
        }
    ).astype(INPUT_TYPES)


def records_body(trips: pd.DataFrame) -> bytes:
    return json.dumps({'dataframe_records': trips.to_dict(orient='records')}).encode()


def split_body(trips: pd.DataFrame) -> bytes:
    return json.dumps({'dataframe_split': trips.to_dict(orient='split', index=False)}).encode()


def parquet_body(trips: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    trips.to_parquet(buffer, index=False)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------- the model


def register_quick_model(kind: str, data: Path) -> str:
    """Fits ``kind`` on 2024-01, logs and registers it through the pipelines' own code paths in
    the store of ``MLOPS_DATA_DIR``; returns its ``models:/`` URI."""
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LinearRegression

    from mlops.utils.data_preparation.steps import build_training_sets, prepare_months
    from mlops.utils.model_code.estimators import BoosterRegressor
    from mlops.utils.model_code.model import TripDurationModel
    from mlops.utils.models.metrics import regression_metrics
    from mlops.utils.models.training_data import TrainingData
    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import register_and_promote
    from mlops.utils.tracking.runs import log_final_model, start_parent

    prepared = prepare_months(source=str(data))
    sets = build_training_sets(*prepared)
    validation = TrainingData.from_sets(sets, df_val=prepared[2]).validation_records()
    if kind == 'xgboost':
        import xgboost

        estimator = BoosterRegressor(
            xgboost.train(
                {'max_depth': 8, 'seed': 1, 'nthread': 2},
                xgboost.DMatrix(sets.X_train, label=sets.y_train),
                num_boost_round=50,
            )
        )
    else:
        estimator = LinearRegression().fit(sets.X_train, sets.y_train)
    model = TripDurationModel(sets.dv, estimator)
    rmse = regression_metrics(sets.y_val, model.predict(None, validation))['rmse']
    experiment = connect()  # first: it points MLflow at the store
    client = MlflowClient()
    parent = start_parent(client, experiment, f'bench_serving {kind}', {})
    _, uri = log_final_model(client, parent, model, {}, {'rmse': rmse}, {}, {}, validation)
    version = register_and_promote(uri, rmse, validation).version
    return f'models:/{QUICK_MODEL_NAME}/{version}'


def champion_uri() -> str:
    from mlops.utils.tracking.registry import registered_model_name
    from mlops.utils.tracking.schema import CHAMPION

    return f'models:/{registered_model_name()}@{CHAMPION}'


def in_process_predictions(model_uri: str, trips: pd.DataFrame) -> np.ndarray:
    import mlflow

    from mlops.utils.tracking.mlflow_setup import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    return np.asarray(mlflow.pyfunc.load_model(model_uri).predict(trips), dtype=float)


# --------------------------------------------------------------------------------- the server


@dataclass
class Server:
    port: int
    process_group: int  # serve.sh, mlflow and uvicorn (start_new_session)

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used so far (Linux /proc; 0 elsewhere): how much
        work a request costs whatever else the machine is doing."""
        total = 0
        for stat in Path('/proc').glob('[0-9]*/stat'):
            try:
                fields = stat.read_text().rsplit(')', 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == self.process_group:
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf('SC_CLK_TCK')


@contextmanager
def model_server(model_uri: str, workers: Optional[int], log_path: Path) -> Iterator[Server]:
    """``scripts/serve.sh`` on a free loopback port (testkit/servers.py's harness) until ``/ping``
    answers and every worker has loaded the model; stops it and everything it started afterwards."""
    port = free_port()
    env = {'MODEL_SERVER_HOST': '127.0.0.1', 'MODEL_SERVER_PORT': str(port), 'MODEL_SERVER_MODEL_URI': model_uri}
    if workers:
        env['MODEL_SERVER_WORKERS'] = str(workers)

    def ready() -> bool:
        try:
            answered = request(http.client.HTTPConnection('127.0.0.1', port, timeout=2), 'GET', '/ping')[0] == 200
        except OSError:
            return False
        return answered and all_workers_started(log_path.read_text())

    server = ServerProcess(
        ['bash', str(REPO_ROOT / 'scripts' / 'serve.sh')], ready, log_path, env=env, timeout=STARTUP_SECONDS
    )
    with server:
        yield Server(port, server.process.pid)


def all_workers_started(log: str) -> bool:
    """Every uvicorn worker has loaded the model (serve.sh names how many it starts): a worker
    still loading would add its start-up to the CPU time measured."""
    match = re.search(r' with (\d+) workers', log)
    return bool(match) and log.count('Application startup complete') >= int(match.group(1))


# ------------------------------------------------------------------------------- the clients


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Optional[bytes] = None,
    content_type: str = JSON,
):
    """(status, body) over ``connection``, which stays open for the next request."""
    headers = {'Content-Type': content_type} if body is not None else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


@dataclass
class Timings:
    seconds: List[float]  # one per request
    wall: float  # from the first request's start to the last answer
    failures: int
    server_cpu: float  # seconds of CPU the server used meanwhile

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.seconds, q)) * 1e3

    def per_second(self, units_per_request: int = 1) -> float:
        return len(self.seconds) * units_per_request / self.wall

    def cpu_ms(self) -> str:
        return f'server CPU {self.server_cpu / len(self.seconds) * 1e3:.1f} ms a request'


def client_loop(
    port: int, bodies: List[bytes], content_type: str, count: int, start: threading.Barrier, out: Dict[str, list]
) -> None:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    request(connection, 'POST', '/invocations', bodies[0], content_type)  # connected and warm before the clock
    start.wait()
    seconds, failures = [], 0
    for i in range(count):
        began = time.perf_counter()
        status, _ = request(connection, 'POST', '/invocations', bodies[i % len(bodies)], content_type)
        seconds.append(time.perf_counter() - began)
        failures += status != 200
    connection.close()
    out['seconds'].extend(seconds)
    out['failures'].append(failures)


def timed(server: Server, bodies: List[bytes], requests: int, clients: int, content_type: str = JSON) -> Timings:
    """``requests`` POSTs shared by ``clients`` threads, each on its own keep-alive connection."""
    start = threading.Barrier(clients + 1)
    out: Dict[str, list] = {'seconds': [], 'failures': []}
    threads = [
        threading.Thread(
            target=client_loop, args=(server.port, bodies, content_type, max(1, requests // clients), start, out)
        )
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    cpu, began = server.cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return Timings(out['seconds'], wall, sum(out['failures']), server.cpu_seconds() - cpu)


def served_predictions(port: int, body: bytes) -> np.ndarray:
    status, answer = request(http.client.HTTPConnection('127.0.0.1', port, timeout=120), 'POST', '/invocations', body)
    if status != 200:
        raise RuntimeError(f'the server answered {status}: {answer[:500]!r}')
    return np.asarray(json.loads(answer)['predictions'], dtype=float)


# ----------------------------------------------------------------------------------- report


def check(label: str, value: float, target: float, higher_is_better: bool, unit: str, missed: List[str]) -> str:
    ok = value >= target if higher_is_better else value <= target
    if not ok:
        missed.append(f'{label} {value:,.1f} {unit}')
    bound = f'{"≥" if higher_is_better else "≤"} {target:,.0f}'
    return f'{label} {value:,.1f} {unit} (target {bound}: {"met" if ok else "MISSED"})'


def run(server: Server, model_uri: str, args: argparse.Namespace) -> List[str]:
    """Prints the figures; returns the targets missed (in words)."""
    missed: List[str] = []
    batch = sample_trips(BATCH_ROWS, seed=1)
    served = served_predictions(server.port, split_body(batch))
    expected = in_process_predictions(model_uri, batch)
    if served.shape != expected.shape or not np.allclose(served, expected, rtol=0, atol=1e-9):
        return [f"answers: the server's predictions differ from {model_uri} in-process"]
    print(f'answers: {BATCH_ROWS} trips, identical to {model_uri} in-process (atol 1e-9)', flush=True)
    gc.collect()
    gc.freeze()  # the clients' own heap (MLflow, the model) is never scanned: no pause of theirs is timed

    singles = [records_body(sample_trips(1, seed=seed)) for seed in range(100)]
    one = timed(server, singles, args.requests, 1)
    print(
        '1 client, 1 trip a request: '
        + check('p50', one.percentile(50), TARGET_P50_MS, False, 'ms', missed)
        + ', '
        + check('p99', one.percentile(99), TARGET_P99_MS, False, 'ms', missed)
        + f', {one.per_second():,.0f} requests/s, {one.cpu_ms()}',
        flush=True,
    )
    many = timed(server, singles, args.requests, CONCURRENT_CLIENTS)
    print(
        f'{CONCURRENT_CLIENTS} clients, 1 trip a request: '
        + check('throughput', many.per_second(), TARGET_REQUESTS_PER_SECOND, True, 'requests/s', missed)
        + f', p50 {many.percentile(50):.1f} ms, p99 {many.percentile(99):.1f} ms, {many.cpu_ms()}',
        flush=True,
    )
    split = timed(server, [split_body(batch)], args.batches, 1)
    records = timed(server, [records_body(batch)], args.batches, 1)
    csv = timed(server, [batch.to_csv(index=False).encode()], args.batches, 1, 'text/csv')
    parquet = timed(server, [parquet_body(batch)], args.batches, 1, PARQUET)
    print(
        f'{BATCH_ROWS} trips a request, dataframe_split: '
        + check('throughput', split.per_second(BATCH_ROWS), TARGET_ROWS_PER_SECOND, True, 'rows/s', missed)
        + f', p50 {split.percentile(50):.1f} ms, {split.cpu_ms()}',
        flush=True,
    )
    for name, timings in (('dataframe_records', records), ('text/csv', csv), ('Parquet', parquet)):
        print(
            f'{BATCH_ROWS} trips a request, {name}: {timings.per_second(BATCH_ROWS):,.0f} rows/s, '
            f'p50 {timings.percentile(50):.1f} ms, {timings.cpu_ms()}',
            flush=True,
        )
    failures = sum(t.failures for t in (one, many, split, records, csv, parquet))
    if failures:
        missed.append(f'{failures} requests failed')
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model-uri', help='default: the champion of the default tracking store')
    parser.add_argument(
        '--quick',
        nargs='?',
        const='linear',
        choices=['linear', 'xgboost'],
        help='register a small model in a temporary store and serve that',
    )
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data', help='for --quick')
    parser.add_argument('--workers', type=int, help="uvicorn workers (default: scripts/serve.sh's)")
    parser.add_argument('--requests', type=int, default=2000, help='single-trip requests per measurement')
    parser.add_argument('--batches', type=int, default=20, help='10k-trip requests per format')
    args = parser.parse_args()
    if args.quick and args.model_uri:
        parser.error('--quick registers its own model: leave out --model-uri')
    with tempfile.TemporaryDirectory(prefix='mlops-bench-serving-') as scratch:
        if args.quick:
            os.environ.update({'MLOPS_DATA_DIR': scratch, 'MLOPS_REGISTERED_MODEL': QUICK_MODEL_NAME})
            os.environ.pop('MLFLOW_TRACKING_URI', None)
            model_uri = register_quick_model(args.quick, args.data)
        else:
            model_uri = args.model_uri or champion_uri()
        print(f'model: {model_uri}', flush=True)
        try:
            with model_server(model_uri, args.workers, Path(scratch) / 'serve.log') as server:
                missed = run(server, model_uri, args)
        except RuntimeError as error:
            hint = (
                ''
                if args.quick or args.model_uri
                else '\n(without a champion, --quick serves a small model of its own)'
            )
            print(f'error: {error}{hint}', file=sys.stderr)
            return 1
    return exit_status(missed)


if __name__ == '__main__':
    sys.exit(main())
