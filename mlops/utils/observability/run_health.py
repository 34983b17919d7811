"""Run health of a pipeline for its dashboard: Mage's own run and trigger records (the frames
its ``pipeline_runs`` / ``pipeline_schedules`` chart data sources hand a chart) and the tuning
trials MLflow holds per Mage run. Each function returns a chart's values; none fails on an
empty frame."""

from __future__ import annotations

from typing import List, Tuple

import pandas as pd

Table = Tuple[List[str], List[list]]
DAY_COLUMNS = ['day (UTC)', 'completed', 'failed', 'other']
TIME_COLUMNS = ['created_at', 'started_at', 'completed_at']
TRIGGER_COLUMNS = ['trigger', 'type', 'status', 'interval', 'SLA (s)', 'last run']


def runs_of(runs: pd.DataFrame, pipeline_uuid: str) -> pd.DataFrame:
    """The runs of ``pipeline_uuid`` (Mage's data source lists every pipeline's), times parsed."""
    if runs is None or runs.empty or 'pipeline_uuid' not in runs.columns:
        runs = pd.DataFrame(columns=['id', 'pipeline_uuid', 'status', *TIME_COLUMNS])
    own = runs[runs['pipeline_uuid'] == pipeline_uuid].copy()
    for column in TIME_COLUMNS:
        own[column] = pd.to_datetime(own.get(column), utc=True, errors='coerce', format='mixed')
    return own


def runs_by_day(runs: pd.DataFrame, pipeline_uuid: str) -> Table:
    """Table: per day the pipeline ran, how many runs completed, failed, or are anything else."""
    own = runs_of(runs, pipeline_uuid)
    if own.empty:
        return DAY_COLUMNS, []
    status = own['status'].where(own['status'].isin(['completed', 'failed']), 'other')
    counts = pd.crosstab(own['created_at'].dt.strftime('%Y-%m-%d'), status)
    counts = counts.reindex(columns=DAY_COLUMNS[1:], fill_value=0).sort_index(ascending=False)
    return DAY_COLUMNS, [[day, *map(int, row)] for day, row in zip(counts.index, counts.to_numpy())]


def run_seconds(runs: pd.DataFrame, pipeline_uuid: str, last: int = 20) -> Tuple[List[str], List[int]]:
    """Bar chart: whole seconds from start to end of the ``last`` finished runs, oldest first.
    Seconds, not minutes: Mage 0.9.80's vertical bar chart leaves its y labels only the room of
    the bars' integer part, so fractional ticks (``0.8`` minutes) are cut."""
    own = runs_of(runs, pipeline_uuid).dropna(subset=['started_at', 'completed_at']).sort_values('id').tail(last)
    seconds = (own['completed_at'] - own['started_at']).dt.total_seconds()
    return [f'#{int(i)}' for i in own['id']], [int(round(float(s))) for s in seconds]


def trigger_table(schedules: pd.DataFrame, pipeline_uuid: str) -> Table:
    """Table: the pipeline's triggers, their type, status, interval, SLA and last run."""
    if schedules is None or schedules.empty or 'pipeline_uuid' not in schedules.columns:
        return TRIGGER_COLUMNS, []
    own = schedules[schedules['pipeline_uuid'] == pipeline_uuid]
    rows = [
        [
            row.get('name'),
            row.get('schedule_type'),
            row.get('status'),
            row.get('schedule_interval') or '',
            row.get('sla') or '',
            str((row.get('last_pipeline_run_status') or '')),
        ]
        for row in own.to_dict(orient='records')
    ]
    return TRIGGER_COLUMNS, rows


def trials_per_run(trials: pd.DataFrame, pipeline_uuid: str, last: int = 20) -> Tuple[List[str], List[int]]:
    """Bar chart: tuning trials MLflow recorded per Mage run of the pipeline (latest ``last``)."""
    own = trials[trials['pipeline_uuid'] == pipeline_uuid].dropna(subset=['pipeline_run_id'])
    counts = own.groupby(own['pipeline_run_id'].astype(int)).size().sort_index().tail(last)
    return [f'#{i}' for i in counts.index], [int(c) for c in counts]
