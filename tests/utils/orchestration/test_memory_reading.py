"""``install_memory_reading`` by its effect on Mage's own scheduler (``PipelineScheduler.start``
on a real database, whose heartbeat cancels runs at 95% memory use), in a container whose cgroup
files say: limit 24 GiB, 23.5 GiB in use. With 12 GiB of it inactive file cache, the run goes on
with the workaround, and Mage alone (the control, its own reading pointed at the same files)
cancels it; with almost none of it cache, both cancel: the safety net stays, and
``mage_internals.scheduler_note`` reads Mage's reason from the run's scheduler log."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from mlops.utils.orchestration.workarounds.memory_reading import MB, working_set
from testkit.chain import REPO_ROOT, chain_env
from testkit.commands import run_ok

GIB = 1024**3
MAGES_REASON = 'Memory usage across all pipeline runs has reached or exceeded the maximum limit of 95%.'
LIMIT, IN_USE = 24 * GIB, int(23.5 * GIB)


def cgroup_v2(folder: Path, current: int, inactive_file: int, limit: str = str(LIMIT)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'memory.current').write_text(f'{current}\n')
    (folder / 'memory.max').write_text(f'{limit}\n')
    (folder / 'memory.stat').write_text(f'anon 1000\nfile {inactive_file + 5}\ninactive_file {inactive_file}\n')
    return folder


def cgroup_v1(folder: Path, usage: int, inactive_file: int, limit: int = LIMIT) -> Path:
    memory = folder / 'memory'
    memory.mkdir(parents=True, exist_ok=True)
    (memory / 'memory.usage_in_bytes').write_text(f'{usage}\n')
    (memory / 'memory.limit_in_bytes').write_text(f'{limit}\n')
    (memory / 'memory.stat').write_text(
        f'cache 10\ntotal_cache {inactive_file + 5}\ntotal_inactive_file {inactive_file}\n'
    )
    return folder


@pytest.mark.parametrize('layout', [cgroup_v2, cgroup_v1])
def test_the_working_set_is_use_less_inactive_file_cache(tmp_path, layout):
    root = layout(tmp_path, IN_USE, 12 * GIB)
    free, used, total = working_set(root)
    assert (used, total) == ((IN_USE - 12 * GIB) / MB, LIMIT / MB) and free == total - used


def test_without_a_limit_or_readable_files_mage_reads_memory_its_own_way(tmp_path):
    assert working_set(cgroup_v2(tmp_path / 'v2', IN_USE, 0, limit='max')) is None
    assert working_set(cgroup_v1(tmp_path / 'v1', IN_USE, 0, limit=9223372036854771712)) is None
    assert working_set(tmp_path / 'none') is None
    broken = cgroup_v2(tmp_path / 'broken', IN_USE, 0)
    (broken / 'memory.current').write_text('not a number')
    assert working_set(broken) is None


# argv: patched|unpatched, the fake cgroup folder. Prints "result: <status with 12 GiB of cache>
# <status with almost none>" of a run after one scheduler tick.
A_TICK_IN_A_FULL_CONTAINER = textwrap.dedent("""
    import builtins, os, sys
    from pathlib import Path

    from mlops.utils.orchestration import mage_internals as mage
    from mlops.utils.orchestration.workarounds import memory_reading
    if sys.argv[1] != 'patched':  # the runner installs every workaround: leave this one out
        memory_reading.install_memory_reading = lambda: None
    cgroup = Path(sys.argv[2])
    memory_reading.CGROUP_ROOT = cgroup
    project = Path('mlops') / 'unit_4_triggering'
    mage.bind_project(project.resolve())
    from mage_ai.data_preparation.models.pipeline import Pipeline
    from mage_ai.data_preparation.models.triggers import ScheduleType
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule
    from mage_ai.orchestration.pipeline_scheduler import PipelineScheduler
    from mage_ai.orchestration.utils import resources

    def inside(path):  # Mage's own reading sees the same container
        return cgroup / os.path.relpath(path, '/sys/fs/cgroup') if str(path).startswith('/sys/fs/cgroup') else path

    class ContainerOs:
        name, cpu_count = os.name, staticmethod(os.cpu_count)
        class path:
            exists = staticmethod(lambda p: os.path.exists(inside(p)))

    resources.os = ContainerOs
    resources.open = lambda path, *args, **kwargs: builtins.open(inside(path), *args, **kwargs)

    def write(cache):
        (cgroup / 'memory.current').write_text(str(int(23.5 * 1024**3)))
        (cgroup / 'memory.max').write_text(str(24 * 1024**3))
        (cgroup / 'memory.stat').write_text(f'inactive_file {cache}')

    pipeline = Pipeline.get('predict')
    schedule = PipelineSchedule.create(name='api', pipeline_uuid='predict', schedule_type=ScheduleType.API,
                                       repo_path=str(project.resolve()))
    statuses = []
    for cache in (12 * 1024**3, 10 * 1024**2):
        write(cache)
        run = PipelineRun.create(pipeline_uuid='predict', pipeline_schedule_id=schedule.id, variables={})
        PipelineScheduler(run).start()
        statuses.append(mage.run_status(run))
        if statuses[-1] == 'running':
            mage.stop_run(run)
    print('result:', *statuses, flush=True)
    print('why:', mage.scheduler_note(run), flush=True)  # the last run's: cancelled in both arms
""")


def statuses_after_a_tick(tmp_path: Path, how: str) -> list:
    env = chain_env(tmp_path / how)  # a state folder of its own, on the migrated template
    cgroup = tmp_path / how / 'cgroup'
    cgroup.mkdir(parents=True)
    command = [sys.executable, '-c', A_TICK_IN_A_FULL_CONTAINER, how, str(cgroup)]
    result = run_ok(command, cwd=REPO_ROOT, env=env, timeout=300)
    [line] = [line for line in result.stdout.splitlines() if line.startswith('result: ')]
    [why] = [line for line in result.stdout.splitlines() if line.startswith('why: ')]
    assert why == f'why: {MAGES_REASON}', result.stdout[-2000:]  # what a cancelled child's retraining says
    return line.split()[1:]


@pytest.mark.slow
def test_a_container_full_of_file_cache_does_not_cancel_runs(tmp_path):
    assert statuses_after_a_tick(tmp_path, 'patched') == ['running', 'cancelled']
    assert statuses_after_a_tick(tmp_path, 'unpatched') == ['cancelled', 'cancelled']  # Mage alone
