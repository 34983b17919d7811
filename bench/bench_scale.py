"""Data preparation and XGBoost training as the data grows, on the pandas and the Dask path.

    python bench/bench_scale.py [--scales 1,4,16] [--paths pandas,dask] [--data ../shared/data]
                                [--base-months 14]

Scale 1 is the 14 green months 2023-01..2024-02 (about 0.8 M trips); scale k repeats them k
times as further months of a source folder of links (16: about 13 M trips). Each path and scale
runs in a process of its own, which prepares the months (split on 2024-02-01: every copy of
February 2024 validates) and trains XGBoost with fixed parameters and rounds. Printed for each:
wall time, trips per second, the peak memory of the driving process and, on Dask, of each
worker (a LocalCluster of two worker processes). A run that fails (out of memory) is reported
as such. Then the cost curve: time at the largest scale over time at scale 1 (goal: at most
the scale ratio x 1.25, i.e. 20 at 16x), and the drivers' peak memory on Dask (goal: flat).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the documented command runs from anywhere

from bench.verdicts import exit_status  # noqa: E402
from mlops.utils.paths import REPO_ROOT  # noqa: E402
from testkit.commands import run_command  # noqa: E402

MONTHS = [(2023, m) for m in range(1, 13)] + [(2024, 1), (2024, 2)]
PARAMS = {'max_depth': 10, 'max_leaves': 63, 'learning_rate': 0.3, 'min_child_weight': 1.0}
ROUNDS = 30


def scaled_source(data: Path, scale: int, folder: Path, base_months: int) -> str:
    """A source folder holding the last ``base_months`` of the 14 months ``scale`` times, as
    consecutive months from 2023-01; returns its end month."""
    index = 2023 * 12
    for _ in range(scale):
        for year, month in MONTHS[-base_months:]:
            target = folder / 'taxi' / 'green' / f'{index // 12:04d}' / f'{index % 12 + 1:02d}.parquet'
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(data / 'taxi' / 'green' / f'{year:04d}' / f'{month:02d}.parquet')
            index += 1
    index -= 1
    return f'{index // 12:04d}-{index % 12 + 1:02d}'


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one_run(path: str, source: str, end_month: str) -> Dict:
    """In this process: prepare and train on ``path``; the figures as a dict."""
    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.models.families import xgboost_family
    from mlops.utils.models.training_data import TrainingData
    from mlops.utils.models.tuning import evaluate

    variables = pipeline_variables(
        {'data_source': source, 'start_month': '2023-01', 'end_month': end_month, 'compute': path}
    )
    family = xgboost_family(early_stopping_rounds=0, num_boost_round=ROUNDS)
    started = time.perf_counter()
    if path == 'pandas':
        from mlops.utils.data_preparation.ingest import ingest_files
        from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips

        raw = ingest_files('2023-01', end_month, source=source)
        prepared = prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration')
        del raw
        data = TrainingData.from_sets(build_training_sets(*prepared))
        trips, prepared_at = data.X_train.shape[0] + data.X_val.shape[0], time.perf_counter()
        _, metrics = evaluate(family, PARAMS, data)
        workers: List[float] = []
    else:
        from mlops.utils.compute.cluster import dask_client
        from mlops.utils.data_preparation.on_dask import build_on_dask, prepare_on_dask

        with dask_client() as client:
            sets = build_on_dask(client, prepare_on_dask(client, variables), 'duration')
            data = TrainingData.from_sets(sets)
            trips, prepared_at = sets.X_train.shape[0] + sets.X_val.shape[0], time.perf_counter()
            _, metrics = evaluate(family, PARAMS, data)
            workers = sorted(client.run(peak_mb).values())
    finished = time.perf_counter()
    return {
        'trips': trips,
        'prepare_seconds': prepared_at - started,
        'seconds': finished - started,
        'driver_mb': peak_mb(),
        'workers_mb': workers,
        'rmse': metrics['rmse'],
    }


def measure(path: str, scale: int, data: Path, scratch: Path, base_months: int) -> Dict:
    folder = scratch / f'source-{scale}'
    if not folder.exists():
        end = scaled_source(data, scale, folder, base_months)
        (folder / 'end_month').write_text(end)
    end = (folder / 'end_month').read_text()
    env = {**os.environ, 'MLOPS_DATA_DIR': str(scratch / f'state-{path}-{scale}'), 'PYTHONPATH': str(REPO_ROOT)}
    result = run_command(
        [sys.executable, __file__, '--one', path, str(folder), end], cwd=Path.cwd(), env=env, timeout=3600
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith('{')]
    if result.returncode != 0 or not lines:
        killed = result.returncode < 0 or 'MemoryError' in result.stderr
        return {'failed': 'out of memory' if killed else result.stderr.strip().splitlines()[-1][:200]}
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--scales', default='1,4,16')
    parser.add_argument('--paths', default='pandas,dask')
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data')
    parser.add_argument('--base-months', type=int, default=len(MONTHS), help='months of scale 1 (the last ones)')
    parser.add_argument('--one', nargs=3, metavar=('PATH', 'SOURCE', 'END_MONTH'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(*args.one)), flush=True)
        return 0
    scales = [int(s) for s in args.scales.split(',')]
    paths = args.paths.split(',')
    figures: Dict = {}
    failures: List[str] = []
    print('| path | scale | trips | prepare s | total s | trips/s | driver peak MB | worker peaks MB | RMSE |')
    print('|---|---|---|---|---|---|---|---|---|')
    with tempfile.TemporaryDirectory(prefix='mlops-bench-scale-') as scratch:
        for path in paths:
            for scale in scales:
                run = figures[(path, scale)] = measure(
                    path, scale, args.data.resolve(), Path(scratch), args.base_months
                )
                if 'failed' in run:
                    print(f'| {path} | {scale}x | | | | | | | failed: {run["failed"]} |', flush=True)
                    if run['failed'] != 'out of memory':  # running out of memory is a figure, not a fault
                        failures.append(f'{path} at {scale}x failed')
                    continue
                workers = ', '.join(f'{mb:.0f}' for mb in run['workers_mb']) or '-'
                print(
                    f'| {path} | {scale}x | {run["trips"]:,} | {run["prepare_seconds"]:.1f} | {run["seconds"]:.1f} | '
                    f'{run["trips"] / run["seconds"]:,.0f} | {run["driver_mb"]:.0f} | {workers} | {run["rmse"]:.4f} |',
                    flush=True,
                )
    missed = list(failures)
    low, high = min(scales), max(scales)
    for path in paths:
        small, large = figures[(path, low)], figures[(path, high)]
        if high == low or 'failed' in small or 'failed' in large:
            continue
        ratio, allowed = large['seconds'] / small['seconds'], 1.25 * high / low
        verdict = 'met' if ratio <= allowed else 'MISSED'
        print(f'{path}: time at {high}x / time at {low}x = {ratio:.1f} x (target ≤ {allowed:.1f} x: {verdict})')
        if verdict == 'MISSED':
            missed.append(f'{path} cost ratio {ratio:.1f}')
        if path == 'dask':
            growth = large['driver_mb'] / small['driver_mb']
            print(f'dask: driver peak memory at {high}x / at {low}x = {growth:.2f} (flat is 1.0)')
    return exit_status(missed)


if __name__ == '__main__':
    sys.exit(main())
