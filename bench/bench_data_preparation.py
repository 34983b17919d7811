"""Read + clean + features + split + vectorize: the project's code vs the seed's row-wise route.

    python bench/bench_data_preparation.py [--repeat 3] [--data ../shared/data]

Both routes run on the same local months in the same process; each figure is the best of
``--repeat`` runs. The outputs are checked to be identical before any time is reported.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench import seed_route
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.months import month_range
from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips
from mlops.utils.paths import REPO_ROOT

CASES = [('2 months', '2024-01', '2024-02'), ('14 months', '2023-01', '2024-02')]


def ours(data: Path, start: str, end: str):
    raw = ingest_files(start, end, source=str(data))
    return build_training_sets(*prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration'))


def seed(data: Path, start: str, end: str):
    paths = [data / f'taxi/green/{y:04d}/{m:02d}.parquet' for y, m in month_range(start, end)]
    return seed_route.prepare_and_build(seed_route.read_months(paths))


def best_time(function, repeat: int, *args):
    best, result = float('inf'), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def same_output(a, b) -> bool:
    for x, y in zip(a[:3], b[:3]):
        y = y.tocsr()
        y.sort_indices()
        if x.shape != y.shape or not (np.array_equal(x.indices, y.indices) and np.array_equal(x.data, y.data)
                                      and np.array_equal(x.indptr, y.indptr)):
            return False
    targets = all(np.array_equal(x.to_numpy(), y.to_numpy()) for x, y in zip(a[3:6], b[3:6]))
    return targets and a[6].feature_names_ == list(b[6].feature_names_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data')
    args = parser.parse_args()
    for label, start, end in CASES:
        ours_seconds, ours_result = best_time(ours, args.repeat, args.data, start, end)
        seed_seconds, seed_result = best_time(seed, args.repeat, args.data, start, end)
        if not same_output(ours_result, seed_result):
            raise SystemExit(f'{label}: outputs differ; no timing reported')
        rows = ours_result[0].shape[0]
        print(f'{label}: {rows} rows, X {ours_result[0].shape}; seed route {seed_seconds:.3f} s, '
              f'ours {ours_seconds:.3f} s, {seed_seconds / ours_seconds:.1f}x faster, identical output')


if __name__ == '__main__':
    main()
