"""Which Dask worker trains on which partitions: the same every run, so the same data and
parameters give the same booster.

``xgboost.dask.DaskDMatrix`` hands each worker the partitions the scheduler happened to put
there, and only workers holding some train. Placement changes from run to run (which worker was
free first), and with it the per-worker quantile sketches and how many workers train: the
validation RMSE moved in its fourth digit between runs (5.2693, 5.2724, 5.2734, 5.2698 on the same
months). XGBoost's maintainers: "one needs to ensure the data partitioning is exactly the same
for each and every run" (dmlc/xgboost#8701); ``DaskDMatrix`` takes no placement.

So, once a ``DaskDMatrix`` is built, its private ``worker_map`` is replaced: partition ``i`` goes
to the ``i % n``-th worker in XGBoost's own rank order (its tracker sorts workers by the task id
``[xgboost.dask-<name>]:<address>``). A worker fetches a partition it does not hold, as for any
task. Goes when ``DaskDMatrix`` accepts a placement, or orders its partitions itself.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Sequence


def workers_in_rank_order(client) -> List[str]:
    """The cluster's worker addresses, sorted as XGBoost's tracker ranks them."""
    workers = client.scheduler_info(n_workers=-1)['workers']
    return sorted(workers, key=lambda address: f'[xgboost.dask-{workers[address].get("name", address)}]:{address}')


def partitions_per_worker(partitions: int, workers: Sequence[str]) -> Dict[str, List[int]]:
    """Partition indices per worker, round robin in rank order (workers beyond the partitions
    get none, and do not train)."""
    if not workers:
        raise ValueError('no Dask worker is connected to the scheduler')
    placement: Dict[str, List[int]] = defaultdict(list)
    for index in range(partitions):
        placement[workers[index % len(workers)]].append(index)
    return dict(placement)


def ordered_parts(dmatrix: Any) -> List[Any]:
    """The ``DaskDMatrix``'s partitions (futures), in the collection's order, wherever they are."""
    return sorted(
        (part for held in dmatrix.worker_map.values() for part in held),
        key=lambda part: dmatrix.partition_order[part.key],
    )


def pin_partitions(dmatrix: Any, workers: Sequence[str]) -> Any:
    """``dmatrix`` with its partitions assigned by ``partitions_per_worker``; returns it."""
    parts = ordered_parts(dmatrix)
    dmatrix.worker_map = defaultdict(
        list,
        {
            worker: [parts[index] for index in indices]
            for worker, indices in partitions_per_worker(len(parts), workers).items()
        },
    )
    return dmatrix
