"""Rows dropped by cleaning, counted per month and reason on real months with faults put in; the
expected figures come from the files themselves (pandas, and the seed's own cleaning)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from bench import seed_route
from mlops.utils.data_preparation.cleaning import clean, report_table
from mlops.utils.data_preparation.config import pipeline_variables
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.on_dask import cleaning_report, prepare_month
from mlops.utils.data_preparation.steps import build_training_sets, prepare_and_count, prepare_trips
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS, trip_features
from mlops.utils.model_code.vectorizer import transform
from tests.utils.data_preparation.faults import (
    DROPOFF,
    PICKUP,
    faulty_positions,
    link_months,
    month_file,
    original,
    with_faults,
    write_month,
)

MONTHS = ('2024-01', '2024-02')
IDS = ['PULocationID', 'DOLocationID']


def expected_counts(frame: pd.DataFrame) -> dict:
    """What cleaning should report for one month file, from pandas on the file: each dropped
    row under the first reason that applies, in the documented order."""
    times = frame[PICKUP].isna() | frame[DROPOFF].isna()
    ids = frame[IDS].isna().any(axis=1) & ~times
    distance = frame['trip_distance'].isna() & ~times & ~ids
    in_range = frame['trip_distance'].between(0, 1e6)
    for column in IDS:
        in_range &= frame[column].between(1, 2**31 - 1)
    refused = ~in_range & ~times & ~ids & ~distance
    minutes = (frame[DROPOFF] - frame[PICKUP]).dt.total_seconds() / 60
    duration = ~minutes.between(1, 60) & ~times & ~ids & ~distance & ~refused
    counts = {
        'time_missing_or_unparsable': int(times.sum()),
        'location_id_null': int(ids.sum()),
        'trip_distance_missing': int(distance.sum()),
        'outside_input_rule': int(refused.sum()),
        'duration_out_of_range': int(duration.sum()),
    }
    return {'rows': len(frame), **counts, 'kept': len(frame) - sum(counts.values())}


@pytest.fixture(scope='module')
def source(shared_data, tmp_path_factory):
    """January with faults (a few ids nulled, times lost, distances missing), February as it is."""
    base = tmp_path_factory.mktemp('faulty-source')
    write_month(base, MONTHS[0], with_faults(original(shared_data, MONTHS[0])))
    link_months(base, shared_data, MONTHS[1:])
    return base


@pytest.fixture(scope='module')
def raw(source):
    return ingest_files(*MONTHS, source=str(source))


@pytest.fixture(scope='module')
def prepared(raw):
    return prepare_and_count(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration')


def test_drops_are_counted_per_month_and_reason(source, prepared):
    report = prepared[3]
    assert list(report) == list(MONTHS)
    for month in MONTHS:
        assert report[month] == expected_counts(pd.read_parquet(month_file(source, month))), month
    assert report['2024-01']['location_id_null'] > 0 and report['2024-01']['time_missing_or_unparsable'] > 0
    assert sum(counts['kept'] for counts in report.values()) == len(prepared[0])


def test_the_rows_that_survive_are_the_seeds(shared_data, source):
    """The seed's cleaning on the untouched month, without the rows given faults, keeps the same
    trips with the same durations as ours on the faulty month."""
    untouched = original(shared_data, MONTHS[0])
    seed = seed_route.clean(untouched.drop(index=untouched.index[faulty_positions(untouched)]))
    ours = clean(ingest_files(MONTHS[0], MONTHS[0], source=str(source)))
    columns = [PICKUP, DROPOFF, *IDS, 'trip_distance', 'duration']
    pd.testing.assert_frame_equal(ours[columns].reset_index(drop=True), seed[columns].reset_index(drop=True))


def test_null_ids_never_make_float_routes(shared_data, raw, prepared):
    """Arrow reads the nulled ids as floats; the routes are still '74_75', the served feature
    step gives the same routes from the prepared ids, and a served trip finds its route."""
    assert pd.api.types.is_float_dtype(raw['PULocationID'])  # the hazard is real
    df, df_train, df_val, _ = prepared
    assert all(pd.api.types.is_integer_dtype(df[column]) for column in IDS)
    assert df['PU_DO'].str.fullmatch(r'\d+_\d+').all()
    untouched = pd.concat([original(shared_data, month) for month in MONTHS], ignore_index=True)
    routes = untouched['PULocationID'].astype(str) + '_' + untouched['DOLocationID'].astype(str)
    assert set(df['PU_DO']) <= set(routes)
    pd.testing.assert_series_equal(trip_features(df[INPUT_COLUMNS])['PU_DO'], df['PU_DO'])
    sets = build_training_sets(df, df_train, df_val)
    assert not [name for name in sets.dv.feature_names_ if '.' in name and name.startswith('PU_DO=')]
    trip = df_train.iloc[0]
    served = trip_features(
        [{'PULocationID': int(trip['PULocationID']), 'DOLocationID': int(trip['DOLocationID']), 'trip_distance': 1.0}]
    )
    route = sets.dv.vocabulary_[f'PU_DO={trip["PU_DO"]}']
    assert transform(sets.dv, served).toarray()[0, route] == 1.0


def test_the_dask_paths_month_task_counts_and_keeps_the_same_rows(source, prepared, tmp_path):
    """``prepare_month`` (a worker's task, run here in-process) cleans with the same function:
    the same report for its month, the same routes and durations; the months' reports make the
    pandas path's."""
    variables = pipeline_variables({'data_source': str(source), 'compute': 'dask'})
    figures = [prepare_month(month, str(tmp_path / f'{month}.parquet'), variables) for month in MONTHS]
    assert figures[0]['cleaning'] == {MONTHS[0]: prepared[3][MONTHS[0]]}
    assert cleaning_report(figures) == prepared[3]
    written = pq.read_table(tmp_path / f'{MONTHS[0]}.parquet').to_pandas()
    alone, _, _ = prepare_trips(
        ingest_files(MONTHS[0], MONTHS[0], source=str(source)), 'lpep_pickup_datetime', '2024-01-15', 'duration'
    )
    assert written['PU_DO'].tolist() == alone['PU_DO'].tolist()
    assert np.array_equal(written['duration'].to_numpy(), alone['duration'].to_numpy())


def block(path: str, name: str):
    return getattr(importlib.import_module(f'mlops.unit_1_data_preparation.{path}'), name)


def test_the_pipelines_blocks_report_the_counts(source):
    """ingest -> prepare -> build as Mage calls them: prepare's fourth output is the report, and
    build's eighth (what the preparation used, which the summary and training read) has it."""
    kwargs = {'data_source': str(source)}
    raw = block('data_loaders.ingest', 'ingest')(**kwargs)
    assert raw['source_month'].astype(str).value_counts().to_dict() == {
        month: pq.ParquetFile(month_file(source, month)).metadata.num_rows for month in MONTHS
    }
    outputs = block('transformers.prepare', 'prepare')(raw, **kwargs)
    assert len(outputs) == 4
    facts = block('data_exporters.build', 'build')(outputs, **kwargs)[7]
    expected = {month: expected_counts(pd.read_parquet(month_file(source, month))) for month in MONTHS}
    assert outputs[3] == expected
    assert facts['rows_read'] == sum(counts['rows'] for counts in expected.values())
    reasons = [r for r in next(iter(expected.values())) if r not in ('rows', 'kept')]
    assert facts['dropped_rows'] == {r: sum(counts[r] for counts in expected.values()) for r in reasons}
    assert facts['dropped_rows_by_month'] == {
        month: {r: n for r, n in counts.items() if r in reasons and n} for month, counts in expected.items()
    }
    assert facts['rows'] == sum(counts['kept'] for counts in expected.values())
    columns, months, rows = report_table(outputs[3])  # what a table chart on prepare would show
    assert months == list(MONTHS) and [dict(zip(columns, row)) for row in rows] == list(expected.values())


@pytest.fixture
def no_usable_february(shared_data, tmp_path):
    """February with every dropoff at its pickup (0 minutes: the duration rule drops them all)."""
    february = original(shared_data, '2024-02')
    february[DROPOFF] = february[PICKUP]
    write_month(tmp_path, '2024-02', february)
    link_months(tmp_path, shared_data, ['2024-01'])
    return tmp_path, len(february)


def test_a_month_with_no_usable_rows_is_named(no_usable_february):
    base, rows = no_usable_february
    raw = ingest_files(*MONTHS, source=str(base))
    message = f'month 2024-02 has no usable rows: all {rows} were dropped \\(duration_out_of_range: {rows}\\)'
    with pytest.raises(DataError, match=message):
        prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration')
    variables = pipeline_variables({'data_source': str(base), 'compute': 'dask'})
    with pytest.raises(DataError, match=message):  # the Dask path's task, the same way
        prepare_month('2024-02', str(base / 'out.parquet'), variables)
