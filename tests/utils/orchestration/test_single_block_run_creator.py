"""``install_single_block_run_creator`` by its effect on Mage's own run creation (the path of an
API trigger's request, ``triggers.utils.create_and_start_pipeline_run``, on a real database):
with it the request makes the run and no block run, and the scheduler's tick makes one block
run per block, under its lock; Mage alone makes them in the request (the control), which a tick
landing between the request's two commits doubles."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from testkit.mage_database import seeded

pytestmark = pytest.mark.slow

# argv: patched|unpatched. Prints "result: <block runs after the request> <after a scheduler
# tick> <after a second tick> <blocks of the pipeline>".
API_REQUEST_THEN_TICKS = textwrap.dedent("""
    import sys
    from pathlib import Path

    from mlops.utils.orchestration import mage_internals as mage
    from mlops.utils.orchestration.workarounds import single_block_run_creator
    if sys.argv[1] != 'patched':  # the runner installs every workaround: leave this one out
        single_block_run_creator.install_single_block_run_creator = lambda: None
    project = Path('mlops') / 'unit_4_triggering'
    mage.bind_project(project.resolve())
    from mage_ai.data_preparation.models.pipeline import Pipeline
    from mage_ai.data_preparation.models.triggers import ScheduleType
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineSchedule
    from mage_ai.orchestration.pipeline_scheduler import PipelineScheduler
    from mage_ai.orchestration.triggers.utils import create_and_start_pipeline_run

    pipeline = Pipeline.get('predict')
    schedule = PipelineSchedule.create(name='api', pipeline_uuid='predict', schedule_type=ScheduleType.API,
                                       repo_path=str(project.resolve()))
    run = create_and_start_pipeline_run(pipeline, schedule, {'variables': {}})
    counts = [len(run.block_runs)]
    for _ in range(2):  # the scheduler's ticks
        PipelineScheduler(run).start()
        db_connection.session.refresh(run)
        counts.append(len(run.block_runs))
    print('result:', *counts, len(pipeline.blocks_by_uuid), flush=True)
""")


def block_runs(tmp_path, how: str) -> list:
    env = {
        **os.environ,
        'PYTHONPATH': str(REPO_ROOT),
        'MAGE_DATA_DIR': str(tmp_path / how / 'mage'),
        'MLOPS_DATA_DIR': str(tmp_path / how / 'data'),
    }
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    seeded(tmp_path / how / 'mage')
    result = run_ok([sys.executable, '-c', API_REQUEST_THEN_TICKS, how], cwd=REPO_ROOT, env=env, timeout=300)
    [line] = [line for line in result.stdout.splitlines() if line.startswith('result: ')]
    return [int(n) for n in line.split()[1:]]


def test_block_runs_are_made_by_the_scheduler_alone(tmp_path):
    after_request, after_tick, after_second_tick, blocks = block_runs(tmp_path, 'patched')
    assert blocks >= 1 and (after_request, after_tick, after_second_tick) == (0, blocks, blocks)
    made_by_the_request, *_ = block_runs(tmp_path, 'unpatched')
    assert made_by_the_request == blocks  # Mage alone: in the request, outside the scheduler's lock
