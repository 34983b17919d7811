"""The champion rule across processes: a process killed inside the registry lock, and two
promotions at once (slow layer: real processes on one embedded MLflow store)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient

from testkit.servers import REPO_ROOT

pytestmark = pytest.mark.slow
MODEL = 'test-model'


@pytest.fixture
def store_env(tmp_path, monkeypatch):
    env = {
        **os.environ,
        'MLOPS_DATA_DIR': str(tmp_path / 'data'),
        'MLOPS_REGISTERED_MODEL': MODEL,
        'PYTHONPATH': str(REPO_ROOT),
        'REGISTRY_WORKER_SIGNAL': str(tmp_path / 'signal'),
    }
    env.pop('MLFLOW_TRACKING_URI', None)
    monkeypatch.setenv('MLOPS_DATA_DIR', env['MLOPS_DATA_DIR'])
    monkeypatch.delenv('MLFLOW_TRACKING_URI', raising=False)
    from mlops.utils.tracking.mlflow_setup import connect

    connect()
    yield env
    import mlflow

    mlflow.set_tracking_uri(None)


def worker(env, constant: float, mode: str = 'normal') -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, '-m', 'tests.utils.tracking.registry_worker', str(constant), mode],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple:
    """(version, promoted, rmse, *times): the times of a ``slow`` worker's lock."""
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    version, promoted, rmse, *times = out.split()
    return (version, promoted == 'True', float(rmse), *map(float, times))


def wait_for_file(path, processes, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert all(p.poll() is None for p in processes), [p.communicate()[1][-3000:] for p in processes]
        assert time.monotonic() < deadline, f'{path.name} not written within {timeout:.0f} s'
        time.sleep(0.05)


def test_a_process_killed_inside_the_lock_leaves_the_alias_and_frees_the_lock(store_env, tmp_path):
    champion = finished(worker(store_env, 12.0))[0]
    holder = worker(store_env, 13.0, 'hold')  # better: it would have been promoted
    wait_for_file(tmp_path / 'signal', [holder])
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(MODEL, 'champion').version) == champion
    lock = tmp_path / 'data' / 'locks' / f'registry-{MODEL}.lock'
    with open(lock) as handle:  # free at once: the kernel released the dead holder's lock
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    better = finished(worker(store_env, 13.0))  # the next registration goes through
    assert better[1] and str(client.get_model_version_by_alias(MODEL, 'champion').version) == better[0]


def test_two_promotions_at_once_keep_the_better_model(store_env, tmp_path):
    """Both ask for the registry lock at once and each holds it 1 s, so one waits for the other."""
    good, better = worker(store_env, 12.0, 'slow'), worker(store_env, 13.0, 'slow')  # truth averages 13
    for constant in (12.0, 13.0):
        wait_for_file(tmp_path / f'signal.ready-{constant}', [good, better])
    (tmp_path / 'signal.go').write_text('go')
    results = {'good': finished(good), 'better': finished(better)}
    # They overlapped: the second asked while the first held the lock, and got it only after.
    first, second = sorted(results.values(), key=lambda result: result[4])
    assert second[3] < first[5] <= second[4], (first[3:], second[3:])
    client = MlflowClient()
    assert results['better'][2] < results['good'][2]
    assert str(client.get_model_version_by_alias(MODEL, 'champion').version) == results['better'][0]
    roles = {name: client.get_model_version(MODEL, version).tags['role'] for name, (version, *_) in results.items()}
    assert roles['better'] == 'promoted to champion'
    # whichever came second saw the first as champion and was compared with it
    second = max(results, key=lambda name: int(results[name][0]))
    tags = client.get_model_version(MODEL, results[second][0]).tags
    assert float(tags['champion_validation_rmse']) == pytest.approx(
        results['good' if second == 'better' else 'better'][2]
    )
