"""Read + clean + features + split + vectorize: the project's code vs the seed's row-wise route.

    python bench/bench_data_preparation.py [--repeat 3] [--data ../shared/data] [--cases 2]

Both routes run on the same local months in the same process. An untimed warm-up run of each
checks that the outputs are identical; then each figure is the best of ``--repeat`` timed runs.
Exit status 1 when the outputs differ (no timing is reported then).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the documented command runs from anywhere

from bench import seed_route  # noqa: E402
from mlops.utils.data_preparation.ingest import ingest_files  # noqa: E402
from mlops.utils.data_preparation.months import month_range  # noqa: E402
from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips  # noqa: E402
from mlops.utils.paths import REPO_ROOT  # noqa: E402

CASES = [('2 months', '2024-01', '2024-02'), ('14 months', '2023-01', '2024-02')]


def ours(data: Path, start: str, end: str):
    raw = ingest_files(start, end, source=str(data))
    return build_training_sets(*prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration'))


def seed(data: Path, start: str, end: str):
    paths = [data / f'taxi/green/{y:04d}/{m:02d}.parquet' for y, m in month_range(start, end)]
    return seed_route.prepare_and_build(seed_route.read_months(paths))


def best_time(function, repeat: int, *args) -> float:
    best = float('inf')
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - started)
    return best


def same_output(a, b) -> bool:
    for x, y in zip(a[:3], b[:3]):
        y = y.tocsr()
        y.sort_indices()
        if x.shape != y.shape or not (
            np.array_equal(x.indices, y.indices)
            and np.array_equal(x.data, y.data)
            and np.array_equal(x.indptr, y.indptr)
        ):
            return False
    targets = all(np.array_equal(x.to_numpy(), y.to_numpy()) for x, y in zip(a[3:6], b[3:6]))
    return targets and a[6].feature_names_ == list(b[6].feature_names_)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data')
    parser.add_argument('--cases', type=int, default=len(CASES), help='run the first N cases (2 and 14 months)')
    args = parser.parse_args()
    for label, start, end in CASES[: args.cases]:
        ours_result, seed_result = ours(args.data, start, end), seed(args.data, start, end)  # warm-up, untimed
        if not same_output(ours_result, seed_result):
            print(f'{label}: outputs differ; no timing reported', file=sys.stderr)
            return 1
        ours_seconds = best_time(ours, args.repeat, args.data, start, end)
        seed_seconds = best_time(seed, args.repeat, args.data, start, end)
        print(
            f'{label}: {ours_result[0].shape[0]} rows, X {ours_result[0].shape}; seed route {seed_seconds:.3f} s, '
            f'ours {ours_seconds:.3f} s, {seed_seconds / ours_seconds:.1f}x faster, identical output',
            flush=True,
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
