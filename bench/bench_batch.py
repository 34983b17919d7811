"""Batch scoring's throughput, cost split and memory: one month and whole years of months, on the
pandas and the Dask path, against the model's own in-process predictions.

Why it is this long: three parts, each needed for the figures: registering a champion-like model in
a temporary store, measuring its in-process limit, and running the pipeline's three steps in a
child process per path and scale (memory peaks are per process), then the table and the verdicts.

    python bench/bench_batch.py [--scales 1,16] [--paths pandas,dask] [--data ../shared/data]
                                [--base-months 14] [--model xgboost|linear] [--repeat 3]

First a model is fitted on 2024-01 and validated on 2024-02 (``--model``: XGBoost, the kind
of model that is champion here, by the family's own fit with hyperparameters like those tuning
chooses (``CHAMPION_LIKE``); or a LinearRegression) and
registered through the training pipelines' own functions (pyfunc model, data facts, registry
rule) in an MLflow store in a temporary folder. Its in-process limit: the pyfunc's ``predict``
on 2024-02's trips already cleaned, typed and in memory (the best of three calls): one call,
as a user scoring a month in a notebook would (the pipeline's pandas path splits a month over
every core).

Then, each in a process of its own, the pipeline's three steps as its blocks run them (plan,
score, publish, with ``compute=<path>``): on 2024-02 alone (``month``, about 51k trips scored;
``--repeat`` runs in one process, the fastest shown: a run of a fraction of a second is at the
mercy of whatever else the machine does), and on the last ``--base-months`` of the 14 green
months 2023-01..2024-02 repeated k times as further months of a source folder of links
(``bench_scale.scaled_source``; 16x is about 13.8 M trips). On Dask, a LocalCluster of two
worker processes is started in that process (its start counted) and the steps reach it through
DASK_SCHEDULER_ADDRESS, as on a deployment.

Printed per run: trips scored; total seconds (the three steps); scoring seconds and trips per
second (the months only: no model loading, no MLflow), also as a share of the in-process limit;
the cost split (read; features = cleaning + input typing; predict; write = the output rows with
their keys + Parquet), summed over the months (on Dask over both workers); the peak memory of
the process running the steps (the driver) and of each Dask worker. Goals: pandas scores one
month at >= 90 % of the in-process limit; the Dask driver's peak memory flat from the smallest
to the largest scale (at most 1.25 times); the time at the largest scale at most 1.25 x the
scale ratio times the time at the smallest (16x: 20 x). Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the documented command runs from anywhere

from bench.bench_scale import MONTHS, peak_mb, scaled_source  # noqa: E402
from bench.verdicts import exit_status  # noqa: E402
from mlops.utils.paths import REPO_ROOT  # noqa: E402
from testkit.commands import run_command  # noqa: E402

MODEL_NAME = 'bench-batch'
ONE_MONTH = '2024-02'
CHAMPION_LIKE = {
    'max_leaves': 440,
    'max_depth': 60,
    'learning_rate': 0.2,
    'min_child_weight': 1.5,
    'colsample_bynode': 0.4,
}
STAGES = ('read', 'features', 'predict', 'write')  # batch_scoring.scoring.STAGES
LIMIT_SHARE = 0.90  # pandas on one month, of the in-process limit
FLAT_MEMORY = 1.25  # the Dask driver's peak at the largest scale over the smallest
COST_SLACK = 1.25  # time ratio allowed, over the scale ratio


def register_model(kind: str, data: Path) -> str:
    """``kind`` fitted on 2024-01, validated on 2024-02, logged and registered through the
    training pipelines' functions in the store of ``MLOPS_DATA_DIR``; returns its version."""
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LinearRegression

    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.data_preparation.steps import build_training_sets, preparation_facts, prepare_months
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
        from mlops.utils.models.families import xgboost_family

        # The champion's kind: the XGBoost family's fit (loss-guided, early stopping on 2024-02)
        # with hyperparameters like those tuning chooses on this data.
        estimator = xgboost_family().fit(CHAMPION_LIKE, TrainingData.from_sets(sets))
    else:
        estimator = LinearRegression().fit(sets.X_train, sets.y_train)
    model = TripDurationModel(sets.dv, estimator)
    metrics = regression_metrics(sets.y_val, model.predict(None, validation))
    facts = preparation_facts(*prepared, pipeline_variables({'data_source': str(data)}))
    experiment = connect()  # first: it points MLflow at the store
    client = MlflowClient()
    parent = start_parent(client, experiment, f'bench_batch {kind}', {})
    _, uri = log_final_model(client, parent, model, {}, metrics, {'model_family': kind}, facts, validation)
    return str(register_and_promote(uri, metrics['rmse'], validation).version)


def in_process_limit(version: str, data: Path) -> Dict[str, Any]:
    """Trips per second of the registered model's ``predict`` on 2024-02's cleaned, typed trips
    already in memory: the best of three calls."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.data_preparation.cleaning import usable_trips
    from mlops.utils.data_preparation.ingest import ingest_files
    from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES
    from mlops.utils.tracking.loading import load_version

    model = load_version(MlflowClient(), MODEL_NAME, version)
    trips = usable_trips(ingest_files(ONE_MONTH, ONE_MONTH, source=str(data))).trips
    inputs = trips[INPUT_COLUMNS].astype(INPUT_TYPES)
    best = float('inf')
    for _ in range(3):
        started = time.perf_counter()
        model.predict(inputs)
        best = min(best, time.perf_counter() - started)
    return {'trips': len(inputs), 'seconds': best, 'per_second': len(inputs) / best}


def one_run(path: str, source: str, start: str, end: str, output: str, version: str, repeat: str) -> Dict[str, Any]:
    """In this process: plan, score and publish ``start``..``end`` of ``source`` on ``path``,
    ``repeat`` times (the run that scored fastest is reported; on Dask, one cluster for all,
    its start added to each run's total)."""
    from mlops.utils.batch_scoring.steps import plan_batch, publish_batch, score_batch
    from mlops.utils.compute.choice import SCHEDULER_ENV
    from mlops.utils.compute.cluster import dask_client, local_cluster

    quiet = {'log': lambda _: None}
    started = time.perf_counter()
    runs: List[Dict[str, Any]] = []
    workers: List[float] = []
    with local_cluster() if path == 'dask' else nullcontext() as cluster:
        if cluster is not None:
            os.environ[SCHEDULER_ENV] = cluster.scheduler_address
        cluster_seconds = time.perf_counter() - started
        for attempt in range(int(repeat)):
            kwargs = {
                'data_source': source,
                'start_month': start,
                'end_month': end,
                'output': output,
                'model_version': version,
                'compute': path,
                'pipeline_uuid': 'batch_scoring',
                'pipeline_run_id': attempt + 1,
            }
            began = time.perf_counter()
            scored = score_batch(plan_batch(kwargs, **quiet), **quiet)
            summary = publish_batch(scored, kwargs, **quiet)
            months = scored['months']
            runs.append(
                {
                    'trips': summary['rows_scored'],
                    'months': len(months),
                    'seconds': cluster_seconds + time.perf_counter() - began,
                    'scoring_seconds': scored['seconds']['months'],
                    'stages': {stage: sum(m['seconds'].get(stage, 0.0) for m in months) for stage in STAGES},
                }
            )
        if cluster is not None:
            with dask_client(cluster.scheduler_address) as client:
                workers = sorted(client.run(peak_mb).values())
    best = min(runs, key=lambda run: run['scoring_seconds'])
    return {**best, 'runs': len(runs), 'driver_mb': peak_mb(), 'workers_mb': workers}


def measure(path: str, case: str, source: str, start: str, end: str, version: str, scratch: Path, repeat: int) -> Dict:
    output = scratch / f'out-{path}-{case}'
    try:
        result = run_command(
            [sys.executable, __file__, '--one', path, source, start, end, str(output), version, str(repeat)],
            cwd=Path.cwd(),
            env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},
            timeout=3600,
        )
    finally:
        shutil.rmtree(output, ignore_errors=True)  # 16x writes hundreds of MB
    lines = [line for line in result.stdout.splitlines() if line.startswith('{')]
    if result.returncode != 0 or not lines:
        killed = result.returncode < 0 or 'MemoryError' in result.stderr
        return {'failed': 'out of memory' if killed else (result.stderr.strip().splitlines() or ['?'])[-1][:200]}
    return json.loads(lines[-1])


def row(path: str, case: str, run: Dict, limit: float) -> str:
    if 'failed' in run:
        return f'| {path} | {case} | | | | | | | | | | | failed: {run["failed"]} |'
    workers = ', '.join(f'{mb:,.0f}' for mb in run['workers_mb']) or '-'
    stages = ' | '.join(f'{run["stages"][stage]:.2f}' for stage in STAGES)
    rate = run['trips'] / run['scoring_seconds']
    return (
        f'| {path} | {case} | {run["trips"]:,} | {run["seconds"]:.1f} | {run["scoring_seconds"]:.2f} | '
        f'{rate:,.0f} | {100 * rate / limit:.0f} % | {stages} | {run["driver_mb"]:,.0f} | {workers} |'
    )


def verdict(text: str, value: float, target: float, unit: str, missed: List[str]) -> str:
    """``text: value unit (target ≤ target unit: met|MISSED)``; a miss is added to ``missed``."""
    met = value <= target
    if not met:
        missed.append(f'{text} {value:.2f}')
    return f'{text}: {value:.2f} {unit} (target ≤ {target:.2f} {unit}: {"met" if met else "MISSED"})'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--scales', default='1,16')
    parser.add_argument('--paths', default='pandas,dask')
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data')
    parser.add_argument('--base-months', type=int, default=len(MONTHS), help='months of scale 1 (the last ones)')
    parser.add_argument('--model', choices=['xgboost', 'linear'], default='xgboost')
    parser.add_argument('--repeat', type=int, default=3, help='runs of the one-month case (the fastest is shown)')
    parser.add_argument('--one', nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(*args.one)), flush=True)
        return 0
    scales = [int(s) for s in args.scales.split(',')]
    paths = args.paths.split(',')
    data = args.data.resolve()
    missed: List[str] = []
    figures: Dict = {}
    with tempfile.TemporaryDirectory(prefix='mlops-bench-batch-') as scratch_name:
        scratch = Path(scratch_name)
        os.environ.update({'MLOPS_DATA_DIR': str(scratch / 'state'), 'MLOPS_REGISTERED_MODEL': MODEL_NAME})
        os.environ.pop('MLFLOW_TRACKING_URI', None)  # the temporary store's, from MLOPS_DATA_DIR
        started = time.perf_counter()
        version = register_model(args.model, data)
        print(f'model: {MODEL_NAME} v{version} ({args.model}), trained in {time.perf_counter() - started:.1f} s')
        limit = in_process_limit(version, data)
        print(
            f'in-process limit: pyfunc predict on {ONE_MONTH} ({limit["trips"]:,} trips in memory): '
            f'{limit["per_second"]:,.0f} trips/s ({limit["seconds"]:.3f} s)',
            flush=True,
        )
        print(
            '| path | data | trips | total s | scoring s | trips/s | of the limit | read s | features s | predict s '
            '| write s | driver peak MB | worker peaks MB |'
        )
        print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
        cases = [('month', str(data), ONE_MONTH, ONE_MONTH, args.repeat)]
        for scale in scales:
            folder = scratch / f'source-{scale}'
            end = scaled_source(data, scale, folder, args.base_months)
            cases.append((f'{scale}x', str(folder), '2023-01', end, 1))
        for path in paths:
            for case, source, start, end, repeat in cases:
                run = figures[(path, case)] = measure(path, case, source, start, end, version, scratch, repeat)
                print(row(path, case, run, limit['per_second']), flush=True)
                if 'failed' in run and run['failed'] != 'out of memory':  # out of memory is a figure
                    missed.append(f'{path} on {case} failed')
    print(
        f'(month: {ONE_MONTH}, the fastest of {args.repeat} runs in one process; {", ".join(f"{s}x" for s in scales)}: '
        f'the last {args.base_months} of the 14 months repeated, one run each)'
    )
    month = figures.get(('pandas', 'month'), {})
    if 'trips' in month:
        share = 100 * month['trips'] / month['scoring_seconds'] / limit['per_second']
        met = share >= 100 * LIMIT_SHARE
        if not met:
            missed.append(f'pandas at {share:.0f} % of the in-process limit')
        print(
            f'pandas, one month, trips/s of the in-process limit: {share:.1f} % '
            f'(target ≥ {100 * LIMIT_SHARE:.0f} %: {"met" if met else "MISSED"})'
        )
    low, high = f'{min(scales)}x', f'{max(scales)}x'
    for path in paths:
        small, large = figures[(path, low)], figures[(path, high)]
        if low == high or 'failed' in small or 'failed' in large:
            continue
        allowed = COST_SLACK * max(scales) / min(scales)
        print(verdict(f'{path}: time at {high} / at {low}', large['seconds'] / small['seconds'], allowed, 'x', missed))
        if path == 'dask':
            growth = large['driver_mb'] / small['driver_mb']
            print(verdict(f'dask: driver peak memory at {high} / at {low}', growth, FLAT_MEMORY, 'x', missed))
    return exit_status(missed)


if __name__ == '__main__':
    sys.exit(main())
