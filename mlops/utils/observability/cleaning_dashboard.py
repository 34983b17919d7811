"""Unit 1's dashboard (the ``data_preparation`` pipeline's Dashboard tab): what cleaning dropped
in the newest completed preparation, per month and reason.

The figures are the report its ``prepare`` block stored (its fourth output, also in ``build``'s
facts and the runner's summary line); the charts only read it, so the dashboard never reads a
month of trips in Mage's request handler. No completed run yet, or one stored before the
report existed: empty charts. A stored report that is not one is an error, not "no data".
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from mlops.utils import pipelines
from mlops.utils.data_preparation.cleaning import DROP_REASON_LABELS, DROP_REASONS, CleaningReport
from mlops.utils.errors import DataError
from mlops.utils.orchestration.mage_internals import latest_completed_run, read_block_output
from mlops.utils.paths import project_dir

PREPARATION = pipelines.DATA_PREPARATION
REPORT_BLOCK, REPORT_OUTPUT = 'prepare', 3  # prepare returns df, df_train, df_val, the report
COUNTS = ('rows', *DROP_REASONS, 'kept')
TABLE_COLUMNS = ['month', 'rows read', *(DROP_REASON_LABELS[r] for r in DROP_REASONS), 'kept', 'kept (%)']


def checked_report(value: Any, where: str) -> CleaningReport:
    """``value`` as a cleaning report (``{month: {count: int}}``), or DataError naming ``where``."""
    if not isinstance(value, dict) or not all(
        isinstance(counts, dict) and all(isinstance(counts.get(name), int) for name in COUNTS)
        for counts in value.values()
    ):
        raise DataError(f'{where} is not a cleaning report ({{month: {{{", ".join(COUNTS)}}}}}): {value!r:.200}')
    return {str(month): {name: int(counts[name]) for name in COUNTS} for month, counts in value.items()}


def latest_cleaning_report() -> Optional[CleaningReport]:
    """The report of the newest completed ``data_preparation`` run; None without one."""
    run = latest_completed_run(PREPARATION.pipeline)
    if run is None:
        return None
    stored = read_block_output(
        project_dir(PREPARATION.project), PREPARATION.pipeline, REPORT_BLOCK, run.execution_partition, REPORT_OUTPUT
    )
    if stored is None:  # a run from before prepare reported what it dropped
        return None
    return checked_report(stored, f'{PREPARATION.pipeline} run {run.run_id}: {REPORT_BLOCK} output_{REPORT_OUTPUT}')


def dropped_rows_table(report: Optional[CleaningReport]) -> Tuple[List[str], List[list]]:
    """Table: per month, rows read, rows dropped for each reason, rows kept and their share."""
    if not report:
        return TABLE_COLUMNS, []
    rows = []
    for month, counts in report.items():
        share = round(100 * counts['kept'] / counts['rows'], 2) if counts['rows'] else 0.0
        rows.append([month, *(counts[name] for name in COUNTS), share])
    return TABLE_COLUMNS, rows


def dropped_rows_by_reason(report: Optional[CleaningReport]) -> Tuple[List[str], List[int]]:
    """Bar chart: rows dropped for each reason over the run's months, every reason listed."""
    totals = [sum(counts[name] for counts in (report or {}).values()) for name in DROP_REASONS]
    return [DROP_REASON_LABELS[name] for name in DROP_REASONS], totals
