"""data_preparation run through Mage by the main job's runner (slow layer)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import seed_route
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips
from testkit.chain import run_chain, summaries

pytestmark = pytest.mark.slow
STEP = 'unit_1_data_preparation/data_preparation'


def summary(result: subprocess.CompletedProcess) -> dict:
    """The data_preparation line (the first step of the chain)."""
    lines = summaries(result)
    assert lines and lines[0]['pipeline'] == 'data_preparation', result.stdout + result.stderr
    return lines[0]


def build_outputs(tmp_path: Path) -> list:
    variables = tmp_path / 'mage' / 'unit_1_data_preparation' / 'pipelines' / 'data_preparation' / '.variables'
    return sorted(variables.rglob('build/output_*'))


def test_default_configuration_over_http_gives_the_seed_figures(tmp_path, trip_server, shared_data):
    result = run_chain(tmp_path, '--pipelines', STEP, '--source', trip_server.base('ok'))
    assert result.returncode == 0, result.stderr
    line = summary(result)
    assert line['status'] == 'completed' and line['seconds'] > 0
    X, X_train, X_val, *_ = seed_route.prepare_and_build(
        seed_route.read_months([shared_data / 'taxi/green/2024/01.parquet', shared_data / 'taxi/green/2024/02.parquet'])
    )
    assert (line['X'], line['X_train'], line['X_val']) == ([*X.shape], [*X_train.shape], [*X_val.shape])
    assert len(build_outputs(tmp_path)) == 8  # the seed's seven and what the preparation used
    log = Path(line['log']).read_text()
    assert 'FAIL' not in log


def test_another_month_range_meets_the_invariants(tmp_path, shared_data):
    result = run_chain(
        tmp_path,
        '--pipelines',
        STEP,
        '--source',
        str(shared_data),
        '--vars',
        json.dumps({'start_month': '2023-10', 'end_month': '2023-12', 'split_on_feature_value': '2023-12-01'}),
    )
    assert result.returncode == 0, result.stderr
    line = summary(result)
    df, train, val = prepare_trips(
        ingest_files('2023-10', '2023-12', source=str(shared_data)), 'lpep_pickup_datetime', '2023-12-01', 'duration'
    )
    sets = build_training_sets(df, train, val)
    assert (line['X'], line['X_train'], line['X_val']) == ([*sets.X.shape], [*sets.X_train.shape], [*sets.X_val.shape])


def test_a_missing_month_fails_naming_it_and_exports_nothing(tmp_path, trip_server):
    result = run_chain(tmp_path, '--pipelines', STEP, '--source', trip_server.base('404'))
    assert result.returncode == 1
    assert summary(result)['status'] == 'failed'
    assert 'green 2024-01: GET ' in result.stderr and 'answered HTTP 404' in result.stderr
    assert build_outputs(tmp_path) == []


def test_the_seed_figure_checks_run_inside_mage(tmp_path, shared_data):
    """Default variables over data whose February lost half its rows: the build block's
    @test must fail the run; with a non-default split only the invariants apply."""
    import pyarrow.parquet as pq

    fake = tmp_path / 'fake' / 'taxi' / 'green' / '2024'
    fake.mkdir(parents=True)
    shutil.copy(shared_data / 'taxi/green/2024/01.parquet', fake / '01.parquet')
    february = pq.read_table(shared_data / 'taxi/green/2024/02.parquet')
    pq.write_table(february.slice(0, february.num_rows // 2), fake / '02.parquet')
    source = str(tmp_path / 'fake')
    result = run_chain(tmp_path, '--pipelines', STEP, '--source', source, '--set', 'split_on_feature_value=2024-02-02')
    assert result.returncode == 0, result.stderr
    result = run_chain(tmp_path, '--pipelines', STEP, '--source', source)
    assert result.returncode == 1
    assert '--- block build failed' in result.stderr and 'X should be 105870 x 7027' in result.stderr


def test_bad_variables_are_rejected_before_mage_starts(tmp_path):
    def mage_state() -> dict:  # the seeded database (testkit/mage_database.py) and anything Mage adds
        return {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / 'mage').rglob('*') if p.is_file()}

    result = run_chain(tmp_path, '--vars', '{"start_month": 2024')
    seeded = mage_state()
    assert list(seeded) == [Path('mage/mlops/mage-ai.db')]
    assert result.returncode == 2 and '--vars is not valid JSON' in result.stderr
    result = run_chain(tmp_path, '--set', 'strat_month=2024-01')
    assert result.returncode == 2 and 'unknown pipeline variable(s) strat_month' in result.stderr
    assert mage_state() == seeded  # Mage never opened it


def test_runs_are_recorded_in_postgresql_as_in_docker_compose(tmp_path, shared_data, postgres):
    import psycopg2

    url = postgres.url('mage', driver='postgresql+psycopg2')
    result = run_chain(
        tmp_path, '--pipelines', STEP, '--source', str(shared_data), env={'MAGE_DATABASE_CONNECTION_URL': url}
    )
    assert result.returncode == 0, result.stderr
    run_id = summary(result)['pipeline_run_id']
    with psycopg2.connect(postgres.url('mage')) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT pipeline_uuid, status FROM pipeline_run WHERE id = %s', (run_id,))
        pipeline_uuid, status = cursor.fetchone()
        assert (pipeline_uuid, status.lower()) == ('data_preparation', 'completed')
    assert not list((tmp_path / 'mage').rglob('mage-ai.db'))  # no SQLite fallback
