"""Run-health chart values from frames shaped like Mage's ``pipeline_runs`` and
``pipeline_schedules`` chart data sources (which list every pipeline's records)."""

import pandas as pd

from mlops.utils.observability.run_health import (
    DAY_COLUMNS,
    TRIGGER_COLUMNS,
    run_seconds,
    runs_by_day,
    trials_per_run,
    trigger_table,
)

RUNS = pd.DataFrame(
    [
        # id, pipeline, status, created, started, completed
        (1, 'sklearn_training', 'completed', '2026-11-25 10:00:00', '2026-11-25 10:00:05', '2026-11-25 10:03:05'),
        (2, 'sklearn_training', 'failed', '2026-11-25 23:59:00', '2026-11-25 23:59:01', '2026-11-26 00:00:01'),
        (3, 'xgboost_training', 'completed', '2026-11-26 08:00:00', '2026-11-26 08:00:00', '2026-11-26 08:30:00'),
        (4, 'sklearn_training', 'running', '2026-11-26 09:00:00', '2026-11-26 09:00:02', None),
        (
            5,
            'sklearn_training',
            'completed',
            '2026-11-26 10:00:00+00:00',
            '2026-11-26 10:00:00+00:00',
            '2026-11-26 10:01:30+00:00',
        ),
    ],
    columns=['id', 'pipeline_uuid', 'status', 'created_at', 'started_at', 'completed_at'],
)


def test_runs_per_day_count_completed_failed_and_the_rest_newest_day_first():
    columns, rows = runs_by_day(RUNS, 'sklearn_training')
    assert columns == DAY_COLUMNS
    own = RUNS[RUNS['pipeline_uuid'] == 'sklearn_training']
    days = pd.to_datetime(own['created_at'], utc=True, format='mixed').dt.strftime('%Y-%m-%d')
    expected = sorted(
        (
            (
                day,
                int((group['status'] == 'completed').sum()),
                int((group['status'] == 'failed').sum()),
                int((~group['status'].isin(['completed', 'failed'])).sum()),
            )
            for day, group in own.groupby(days.to_numpy())
        ),
        reverse=True,
    )
    assert [tuple(row) for row in rows] == expected
    assert sum(sum(row[1:]) for row in rows) == len(own)


def test_run_seconds_of_finished_runs_oldest_first():
    x, seconds = run_seconds(RUNS, 'sklearn_training')
    assert x == ['#1', '#2', '#5']  # run 4 has not finished
    assert seconds == [180, 60, 90]
    assert run_seconds(RUNS, 'sklearn_training', last=1) == (['#5'], [90])


def test_trigger_table_lists_only_the_pipelines_triggers():
    schedules = pd.DataFrame(
        [
            {
                'pipeline_uuid': 'sklearn_training',
                'name': 'weekly',
                'schedule_type': 'time',
                'status': 'active',
                'schedule_interval': '@weekly',
                'sla': 7200,
                'last_pipeline_run_status': 'completed',
            },
            {
                'pipeline_uuid': 'xgboost_training',
                'name': 'other',
                'schedule_type': 'api',
                'status': 'inactive',
                'schedule_interval': None,
                'sla': None,
                'last_pipeline_run_status': None,
            },
        ]
    )
    columns, rows = trigger_table(schedules, 'sklearn_training')
    assert columns == TRIGGER_COLUMNS
    assert rows == [['weekly', 'time', 'active', '@weekly', 7200, 'completed']]


def test_trials_per_run_counts_each_mage_runs_trials():
    trials = pd.DataFrame(
        {
            'pipeline_uuid': ['sklearn_training'] * 3 + ['xgboost_training', 'sklearn_training'],
            'pipeline_run_id': ['7', '7', '12', '7', None],
        }
    )
    assert trials_per_run(trials, 'sklearn_training') == (['#7', '#12'], [2, 1])


def test_no_records_no_values():
    assert runs_by_day(pd.DataFrame(), 'sklearn_training') == (DAY_COLUMNS, [])
    assert runs_by_day(None, 'sklearn_training') == (DAY_COLUMNS, [])
    assert run_seconds(pd.DataFrame(), 'sklearn_training') == ([], [])
    assert trigger_table(pd.DataFrame(), 'sklearn_training') == (TRIGGER_COLUMNS, [])
    assert trials_per_run(pd.DataFrame(columns=['pipeline_uuid', 'pipeline_run_id']), 'x') == ([], [])
