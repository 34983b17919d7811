"""Batch scoring on a Dask cluster (``compute=dask``): one task per month on the workers, each
reading its month from the source, scoring it with the pandas path's own ``stage_month``
(``scoring.score_trips``, ``output.write_parquet``) and writing the staged file itself; the
block's process gets each month's figures back (rows in, scored, refused per reason, seconds),
never its rows. Staging, publishing and the MLflow run are the pandas path's (``steps``).

The workers write under the plan's output folder, so with a scheduler on other machines that
folder (and a local data source) must be the same path there: a shared file system, as data
preparation's Dask path needs for its prepared months.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from mlops.utils.batch_scoring.plan import Plan
from mlops.utils.batch_scoring.steps import month_job, month_line, stage_month
from mlops.utils.compute.cluster import dask_client
from mlops.utils.errors import DataError

Log = Callable[[str], None]
TASKS_PER_THREAD = 2  # months submitted at a time per worker thread: one running, one waiting


def months_in_flight(client: Any) -> int:
    """How many months are submitted at a time: enough to keep every worker thread busy, few
    enough that a failure stops the run soon (the months not submitted yet never start)."""
    return max(2, TASKS_PER_THREAD * sum(client.nthreads().values()))


def month_error(month: str, error: BaseException) -> BaseException:
    """A failed month's error as the run reports it: the worker's own (the project's errors name
    their month: a missing file, a month without a usable row), else one that names the month."""
    if month in str(error):
        return error
    return DataError(f'{month}: scoring it on a Dask worker failed: {type(error).__name__}: {error}')


def score_on_cluster(client: Any, plan: Plan, model: Any, log: Log = print) -> List[Dict[str, Any]]:
    """Every month of ``plan`` scored and staged by the workers of ``client``; the months'
    figures in plan order (``steps.stage_month``'s dicts: no rows). Months are submitted a few
    at a time (``months_in_flight``): the first one that fails stops the run, no further month
    starts, those submitted end (so none writes into the staging folder after the caller removed
    it), then its error is raised, naming the month.

    The model is loaded once, by the caller (``load_version``, in the block's process), and sent
    to every worker once (``scatter(broadcast=True)``), rather than loaded on each worker from
    its ``models:/`` URI: a worker on another machine has none of this process's environment (the
    MLflow tracking URI, the state folder of the embedded store, credentials), so it may not
    reach the registry or the artifacts at all; a model sent as an object needs only the
    project's code there, which the task itself runs. It is also the version the plan named,
    checked and loaded once (a broken one fails here, naming what is missing), not once per
    worker."""
    from distributed import as_completed

    files = list(plan.files().items())
    job = month_job(plan)
    shared = client.scatter(model, broadcast=True, hash=False)
    pending = iter(files)
    submitted: Dict[str, Any] = {}  # month -> its future
    running = as_completed()

    def submit_next() -> None:
        for month, final in pending:
            key = f'batch-scoring-{month}-{plan.token}'
            future = client.submit(stage_month, shared, month, final, job, key=key, pure=False)
            submitted[month] = future
            running.add(future)
            return

    for _ in range(months_in_flight(client)):
        submit_next()
    figures: Dict[str, Dict[str, Any]] = {}
    failed: Optional[Any] = None
    try:
        for future in running:
            if future.status == 'finished':
                figure = future.result()
                figures[figure['month']] = figure
                log(month_line(figure))
                if failed is None:
                    submit_next()
            elif failed is None:  # an error (or a cancelled task): no further month starts
                failed = future
    except BaseException:
        client.cancel(list(submitted.values()))  # interrupted: the months not started never start
        raise
    if failed is not None:
        raise_failure(next(month for month, future in submitted.items() if future is failed), failed)
    return [figures[month] for month, _ in files]


def raise_failure(month: str, future: Any) -> None:
    """The failed month's error, with the worker's traceback when it names the month."""
    try:
        future.result()
    except Exception as error:
        named = month_error(month, error)
        if named is error:
            raise
        raise named from error
    raise DataError(f'{month}: its task on the Dask cluster ended without a result')


def score_months_on_dask(plan: Plan, model: Any, log: Log = print) -> List[Dict[str, Any]]:
    """``score_on_cluster`` on this block's cluster (``compute.cluster.dask_client``: the
    scheduler at DASK_SCHEDULER_ADDRESS, else a LocalCluster started for the block)."""
    with dask_client() as client:
        return score_on_cluster(client, plan, model, log)
