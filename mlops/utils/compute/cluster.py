"""A Dask client for one block: the scheduler at ``DASK_SCHEDULER_ADDRESS``, or a
``LocalCluster`` of worker processes on 127.0.0.1 started for the block and closed after it."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ContextManager, Iterator, Optional

from mlops.utils.compute.choice import SCHEDULER_ENV
from mlops.utils.compute.partitions import is_partitioned
from mlops.utils.errors import ConfigError

CONNECT_SECONDS = 15
LOCAL_WORKERS = 2  # this machine's cores; a real cluster is sized where it is deployed


class ClusterError(ConfigError):
    """The Dask scheduler cannot be reached, or a cluster could not start; the message names it."""


def scheduler_address() -> str:
    return os.environ.get(SCHEDULER_ENV, '').strip()


def cluster_for(*values: Any) -> ContextManager:
    """``dask_client()`` when any value is a partitioned reference, else nothing to open."""
    return dask_client() if any(is_partitioned(value) for value in values) else nullcontext()


@contextmanager
def dask_client(address: Optional[str] = None, workers: int = LOCAL_WORKERS) -> Iterator['distributed.Client']:  # noqa: F821
    """The Dask client for this block, the default client of ``xgboost.dask`` and ``dask`` too."""
    # XGBoost's OpenMP threads wait passively (see models.families) in the workers as well.
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    from distributed import Client

    address = scheduler_address() if address is None else address
    if address:
        try:
            client = Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as error:
            raise ClusterError(
                f'no Dask scheduler answered at {address} ({SCHEDULER_ENV}) within {CONNECT_SECONDS} s: {error}'
            ) from error
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


@contextmanager
def local_cluster(workers: int = LOCAL_WORKERS) -> Iterator['distributed.LocalCluster']:  # noqa: F821
    """A ``LocalCluster`` of worker processes on 127.0.0.1, one thread each, closed after.

    The environment of this process is the same after as before. distributed's nannies write
    their ``pre-spawn-environ`` (OMP_NUM_THREADS=1, MKL_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1,
    MALLOC_TRIM_THRESHOLD_, PYTHONHASHSEED) into the process that starts them, before spawning
    each worker, and leave it there (documented in distributed.yaml: "this leaks variables into
    the nanny process"; dask/distributed#6681, #6749). Every process started here afterwards
    then ran XGBoost on one OpenMP thread: seen in the tests, whose later children inherited it.
    Goes when distributed passes those variables to the worker's process alone."""
    import dask
    from distributed import LocalCluster

    # and, for the process titles of its children, the marker __DASK_PARENT_PID
    spawn_keys = [*dask.config.get('distributed.nanny.pre-spawn-environ', {}), 'PYTHONHASHSEED', '__DASK_PARENT_PID']
    before = {key: os.environ.get(key) for key in spawn_keys}

    def put_back() -> None:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # Worker processes are spawned with this process's sys.path. A model loaded here before
    # (mlflow.pyfunc.load_model: batch scoring loads its version, then starts the cluster) put its
    # code folder first there, whose ``mlops`` holds only model_code: a worker importing ``mlops``
    # found that copy, and the project's other modules (the task's own) were missing. The
    # folder this process imported ``mlops`` from comes first while the cluster lives (nannies
    # restarting a worker spawn it again).
    project = str(project_root())
    sys.path.insert(0, project)
    # The workers' scratch (spilled data, their lock files) in a folder of the cluster's own,
    # removed with it: distributed's default, TMPDIR/dask-scratch-space, keeps its locks for ever.
    scratch = tempfile.mkdtemp(prefix='mlops-dask-')
    try:
        with (
            dask.config.set({'temporary-directory': scratch}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host='127.0.0.1',
                dashboard_address='127.0.0.1:0',  # its HTTP server always starts: a free loopback port, never 8787
                silence_logs=logging.WARNING,
            ) as cluster,
        ):
            put_back()
            yield cluster
    finally:
        put_back()  # a nanny that restarted its worker wrote them again
        sys.path.remove(project)
        shutil.rmtree(scratch, ignore_errors=True)


def project_root() -> Path:
    """The folder this process imported the project's ``mlops`` package from."""
    import mlops

    return Path(next(iter(mlops.__path__))).resolve().parent
