"""The replay's parts without a server: the plan of months, the state file, a month's arrival,
the stuck-run rule and the catch-up count (the whole replay: tests/scripts/test_replay.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.mage_internals import RunRecord
from mlops.utils.replay import soak as soak_module
from mlops.utils.replay.arguments import parse_range, plan
from mlops.utils.replay.driving import STEPS, step_variables
from mlops.utils.replay.soak import Soak
from mlops.utils.replay.staged_source import arrive, arrived, source_months
from mlops.utils.replay.state import ReplayError, ReplayState
from tests.sources import months_folder


def test_the_plan_trains_on_the_first_months_and_restarts_in_the_middle():
    months = parse_range('2023-01..2023-06')
    assert plan(months, 3, None) == (['2023-01', '2023-02', '2023-03'], ['2023-04', '2023-05', '2023-06'], '2023-05')
    assert plan(months, 2, '2023-03').restart_at == '2023-03'
    for wrong in (lambda: plan(months, 6, None), lambda: plan(months, 1, None), lambda: plan(months, 3, '2023-02')):
        with pytest.raises(ConfigError):
            wrong()
    with pytest.raises(ConfigError, match='FIRST..LAST'):
        parse_range('2023-01')


def test_a_state_made_for_another_replay_is_refused(tmp_path):
    state = ReplayState.open(tmp_path, 'src', ['2023-01', '2023-02', '2023-03'], 2)
    state.record_run('2023-03', 'monitoring', {'run_id': 7, 'status': 'made'})
    again = ReplayState.open(tmp_path, 'src', ['2023-01', '2023-02', '2023-03'], 2)
    assert again.run_of('2023-03', 'monitoring') == {'run_id': 7, 'status': 'made'}
    assert not list(tmp_path.glob('*.partial'))
    with pytest.raises(ConfigError, match='belongs to another replay'):
        ReplayState.open(tmp_path, 'src', ['2023-01', '2023-02', '2023-03'], 3)


def test_months_arrive_whole_at_the_staged_source(tmp_path, shared_data):
    source = months_folder(tmp_path / 'archive', shared_data, ['2023-01', '2023-02'])
    assert source_months(str(source)) == ['2023-01', '2023-02']
    staged = tmp_path / 'staged'
    path = arrive(str(source), staged, '2023-02')
    assert arrived(staged) == ['2023-02']
    assert path.read_bytes() == (shared_data / 'taxi' / 'green' / '2023' / '02.parquet').read_bytes()
    assert arrive(str(source), staged, '2023-02') == path  # already there: nothing to do
    assert not [p for p in staged.rglob('*') if p.name.endswith('.arriving')]
    with pytest.raises(ConfigError, match='--months'):
        source_months('http://127.0.0.1:9/data')


def test_each_run_the_replay_makes_carries_its_month_and_the_quick_budgets():
    monitoring, _, retraining = (
        step_variables(step, '2023-05', 3, {'threshold_rmse_increase': 0.05}) for step in STEPS
    )
    assert monitoring['replay_month'] == retraining['replay_month'] == '2023-05'
    assert monitoring['threshold_rmse_increase'] == 0.05 and 'threshold_rmse_increase' not in retraining
    assert monitoring['retraining_variables']['xgboost_variables']['max_evaluations'] == 1
    assert retraining['retrain_after_new_months'] == 3 and retraining['sklearn_variables']['max_evaluations'] == 1


def record(run_id, status='running', blocks=(('a', 'completed'),), trigger='daily_monitoring', variables=None):
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return RunRecord(run_id, 'unit_3', 'monitoring', trigger, 'time', status, created, variables or {}, tuple(blocks))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_run_with_no_block_moving_for_more_than_three_ticks_is_stuck(tmp_path, monkeypatch):
    monkeypatch.delenv('SCHEDULER_TRIGGER_INTERVAL', raising=False)
    clock = Clock()
    soak = Soak(ReplayState.open(tmp_path, 's', ['2023-01', '2023-02', '2023-03'], 2), tmp_path / 'log', clock)
    busy = record(1, blocks=(('a', 'running'),))
    waiting = record(2, status='initial', blocks=())
    for now in (0, 20, 40):
        clock.now = now
        soak.observe([busy, waiting])
    assert soak.figures['stuck_runs'] == {'2': {**soak.figures['stuck_runs']['2'], 'seconds': 40.0}}  # > 30 s
    assert soak.figures['stuck_runs']['2']['status'] == 'initial'
    clock.now = 400
    with pytest.raises(ReplayError, match='scheduler is stuck'):
        soak.observe([busy, waiting])
    json.loads((tmp_path / 'replay.json').read_text())  # kept in the state as it is measured


def test_catch_up_counts_the_time_triggers_own_runs_in_the_window(tmp_path, monkeypatch):
    soak = Soak(ReplayState.open(tmp_path, 's', ['2023-01', '2023-02', '2023-03'], 2), tmp_path / 'log')
    runs = [
        record(11),
        record(12, trigger='daily_retraining'),
        record(13, variables={'replay_month': '2023-03'}),  # the replay's own
        record(14, trigger='retrain_now'),  # an API trigger's: not a catch-up
    ]
    monkeypatch.setattr(
        soak_module.mage, 'run_records', lambda after_id=0, **kw: [r for r in runs if r.run_id > after_id]
    )
    monkeypatch.setattr(
        soak_module, 'time_triggers', lambda: ['daily_monitoring', 'daily_retraining', 'daily_batch_scoring']
    )
    soak.open_window('restart', 10, 0.0)
    soak.figures['windows']['restart']['opened'] = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    soak.close_windows()
    window = soak.figures['windows']['restart']
    assert window['runs_per_time_trigger'] == {'daily_monitoring': 1, 'daily_retraining': 1, 'daily_batch_scoring': 0}
    assert window['run_ids'] == [11, 12]
