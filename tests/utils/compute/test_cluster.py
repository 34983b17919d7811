"""``compute.cluster``: a LocalCluster started for a block leaves this process as it found it
(its environment, its TMPDIR), and an unreachable scheduler is named."""

from __future__ import annotations

import os
import tempfile

import pytest

from mlops.utils.compute import cluster as cluster_module
from mlops.utils.compute.cluster import ClusterError, dask_client, local_cluster
from testkit.servers import free_port


def test_a_local_cluster_gives_its_thread_settings_to_its_workers_alone(monkeypatch):
    """distributed writes the workers' OMP_NUM_THREADS=1 (and the like) into the process that
    starts them; every process started after would inherit one OpenMP thread."""
    from distributed import Client

    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    before = dict(os.environ)
    with local_cluster(1) as started, Client(started) as client:
        in_workers = client.run(lambda: os.environ.get('OMP_NUM_THREADS'))
        assert dict(os.environ) == before
    assert list(in_workers.values()) == ['1']
    assert dict(os.environ) == before


def test_a_local_cluster_leaves_nothing_in_tmpdir(tmp_path, monkeypatch):
    from distributed import Client

    monkeypatch.setenv('TMPDIR', str(tmp_path))
    monkeypatch.setattr(tempfile, 'tempdir', None)  # read TMPDIR again
    with local_cluster(1) as started, Client(started) as client:
        scratch = client.run(lambda dask_worker: dask_worker.local_directory)
        during = sorted(p.name for p in tmp_path.iterdir())
    assert all(str(folder).startswith(str(tmp_path)) for folder in scratch.values()), scratch
    assert during and all(name.startswith('mlops-dask-') for name in during), during
    assert sorted(tmp_path.iterdir()) == []


def test_an_unreachable_scheduler_is_named(monkeypatch):
    monkeypatch.setattr(cluster_module, 'CONNECT_SECONDS', 2)
    address = f'tcp://127.0.0.1:{free_port()}'
    monkeypatch.setenv('DASK_SCHEDULER_ADDRESS', address)
    with pytest.raises(ClusterError, match=f'no Dask scheduler answered at {address} \\(DASK_SCHEDULER_ADDRESS\\)'):
        with dask_client():
            pass
