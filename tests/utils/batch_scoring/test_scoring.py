"""A month scored: the rows data preparation's cleaning keeps, predicted by the registered model;
figures recomputed here from the parquet file and the pyfunc model loaded directly."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from mlops.utils.batch_scoring.scoring import OUTPUT_COLUMNS, predict_in_chunks, score_month, score_trips
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.errors import DataError
from tests.utils.batch_scoring.conftest import MODEL
from tests.utils.batch_scoring.expected import expected_scores


@pytest.fixture(scope='module')
def model(registry):
    return mlflow.pyfunc.load_model(f'models:/{MODEL}/{registry.champion}')


def test_a_month_is_the_models_own_predictions_on_its_cleaned_trips(registry, model):
    scored = score_month(model, 'green', '2023-03', MODEL, registry.champion, source=str(registry.source))
    expected, dropped, rows = expected_scores(registry.source, '2023-03', f'models:/{MODEL}/{registry.champion}')
    written = scored.rows
    assert list(written.columns) == OUTPUT_COLUMNS
    assert written['source_row'].tolist() == expected.index.tolist()
    assert written['trip_key'].tolist() == [f'green:2023-03:{i}' for i in expected.index]
    np.testing.assert_allclose(written['predicted_minutes'], expected['predicted'], rtol=0, atol=1e-9)
    np.testing.assert_allclose(written['actual_minutes'], expected['minutes'], rtol=0, atol=1e-9)
    assert (written['pickup_datetime'].to_numpy() == expected['lpep_pickup_datetime'].to_numpy()).all()
    for column in ('PULocationID', 'DOLocationID', 'trip_distance'):
        assert (written[column].to_numpy() == expected[column].to_numpy()).all(), column
    assert set(written['model']) == {MODEL} and set(written['model_version']) == {registry.champion}
    assert scored.rows_in == rows and scored.refused == dropped and sum(dropped.values()) > 0
    assert scored.rows_scored + scored.rows_refused == rows


def test_chunks_give_the_same_predictions_as_one_call(registry, model):
    trips = ingest_files('2023-03', '2023-03', source=str(registry.source))
    whole = score_trips(model, trips, 'green', '2023-03', MODEL, registry.champion)
    chunked = score_trips(model, trips, 'green', '2023-03', MODEL, registry.champion, chunk_rows=7919)
    pd.testing.assert_frame_equal(whole.rows, chunked.rows, check_exact=True)
    assert predict_in_chunks(model, whole.rows.iloc[:0][['PULocationID', 'DOLocationID', 'trip_distance']]).size == 0
    with pytest.raises(ValueError, match='chunk_rows must be at least 1'):
        predict_in_chunks(model, whole.rows, 0)


def test_refused_rows_are_counted_per_reason_and_keep_their_positions_out(registry, model):
    trips = ingest_files('2023-03', '2023-03', source=str(registry.source)).iloc[:40].copy()
    trips['lpep_dropoff_datetime'] = trips['lpep_pickup_datetime'] + pd.Timedelta(minutes=10)
    trips.loc[3, 'PULocationID'] = 0  # an id the input rule refuses
    trips.loc[5, 'trip_distance'] = -1.0  # so is a negative distance
    trips.loc[7, 'lpep_dropoff_datetime'] = pd.NaT
    trips.loc[9, 'lpep_dropoff_datetime'] = trips.loc[9, 'lpep_pickup_datetime'] + pd.Timedelta(hours=3)
    trips.loc[11, 'trip_distance'] = np.nan
    trips.loc[13, 'DOLocationID'] = None
    scored = score_trips(model, trips, 'green', '2023-03', MODEL, registry.champion)
    assert scored.refused == {
        'outside_input_rule': 2,
        'time_missing_or_unparsable': 1,
        'duration_out_of_range': 1,
        'trip_distance_missing': 1,
        'location_id_null': 1,
    }
    assert scored.rows_in == 40 and scored.rows_scored == 34
    assert not {3, 5, 7, 9, 11, 13} & set(scored.rows['source_row'])
    assert scored.rows['DOLocationID'].dtype == 'int64'  # the column held a null: integers again


def test_a_month_without_a_usable_row_or_its_positions_is_refused(registry, model):
    trips = ingest_files('2023-03', '2023-03', source=str(registry.source)).iloc[:5].copy()
    with pytest.raises(DataError, match='must keep their row positions'):
        score_trips(model, trips.iloc[::-1], 'green', '2023-03', MODEL, registry.champion)
    trips['lpep_dropoff_datetime'] = trips['lpep_pickup_datetime']  # 0 minutes: every trip dropped
    with pytest.raises(DataError, match='month 2023-03 has no usable rows: all 5 were dropped'):
        score_trips(model, trips, 'green', '2023-03', MODEL, registry.champion)


def test_parts_predicted_side_by_side_in_threads_give_one_calls_numbers_in_order(registry, model):
    import threading

    trips = ingest_files('2023-03', '2023-03', source=str(registry.source))
    inputs = score_trips(model, trips, 'green', '2023-03', MODEL, registry.champion).rows[
        ['PULocationID', 'DOLocationID', 'trip_distance']
    ]
    one_call = np.asarray(model.predict(inputs), dtype=float)
    seen = []

    class Watched:
        def predict(self, part):
            seen.append((threading.current_thread().name.split('_')[0], len(part)))
            return model.predict(part)

    threaded = predict_in_chunks(Watched(), inputs, threads=2)
    assert np.array_equal(threaded, one_call)  # to the bit, in the trips' order
    assert {name for name, _ in seen} == {'predict'} and sum(rows for _, rows in seen) == len(inputs)
    assert len(seen) == 2  # two halves of the month
