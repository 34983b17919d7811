"""The blocks' functions against the seed's row-wise route, on real data."""

import numpy as np
import pytest

from bench import seed_route
from mlops.utils.data_preparation.checks import check_invariants, check_seed_shapes
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import build_training_sets, prepare_months, prepare_trips
from mlops.utils.errors import DataError


@pytest.fixture(scope='module')
def raw(shared_data):
    return ingest_files('2024-01', '2024-02', source=str(shared_data))


@pytest.fixture(scope='module')
def built(raw):
    return build_training_sets(*prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration'))


def test_identical_to_the_seed_route(raw, built):
    seed = seed_route.prepare_and_build(raw)
    for ours, theirs in zip(built[:3], seed[:3]):
        theirs = theirs.tocsr()
        theirs.sort_indices()
        assert ours.shape == theirs.shape
        assert np.array_equal(ours.indptr, theirs.indptr)
        assert np.array_equal(ours.indices, theirs.indices)
        assert np.array_equal(ours.data, theirs.data)
    for ours, theirs in zip(built[3:6], seed[3:6]):
        assert np.array_equal(ours.to_numpy(), theirs.to_numpy())
    assert built[6].feature_names_ == list(seed[6].feature_names_)
    # the names say the seed's positions: Mage hands the block's outputs on by position
    assert built.X is built[0] and built.X_val is built[2] and built.y_train is built[4] and built.dv is built[6]


def test_default_configuration_meets_the_checks(built):
    X, X_train, X_val, y, y_train, y_val, dv = built
    check_seed_shapes(X, X_train, X_val)
    check_invariants(X, X_train, X_val, y, y_train, y_val, dv)


def test_checks_can_fail(built):
    X, X_train, X_val, y, y_train, y_val, dv = built
    with pytest.raises(AssertionError, match='X_train should be 54378 x 5094'):
        check_seed_shapes(X, X_train[:-1], X_val)
    with pytest.raises(AssertionError, match='X_val has 51492 rows but 51491 targets'):
        check_invariants(X, X_train, X_val, y, y_train, y_val[:-1], dv)
    broken = X_val.copy()
    broken.data[0] = np.nan
    with pytest.raises(AssertionError, match='X_val has NaN'):
        check_invariants(X, X_train, broken, y, y_train, y_val, dv)
    with pytest.raises(AssertionError, match='outside \\[1, 60\\] minutes'):
        check_invariants(X, X_train, X_val, y, y_train * 100, y_val, dv)


def test_yellow_split_feature_follows_the_data(raw):
    yellow = raw.rename(columns=lambda c: c.replace('lpep_', 'tpep_'))
    df, train, val = prepare_trips(yellow, 'lpep_pickup_datetime', '2024-02-01', 'duration')
    _, green_train, green_val = prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration')
    assert 'tpep_pickup_datetime' in df.columns
    assert (len(train), len(val)) == (len(green_train), len(green_val))


def test_unknown_target_is_named(raw):
    with pytest.raises(DataError, match='columns not in the data: fare'):
        prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'fare')
    df, train, val = prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration')
    with pytest.raises(DataError, match="target 'fare' is not a column of the whole set"):
        build_training_sets(df, train, val, target='fare')


def test_prepare_months_is_the_seed_configuration_unless_told_otherwise(shared_data):
    """The seed's rows (105870 cleaned trips, 54378 before 2024-02-01, 51492 from it) and, with
    one month replaced, that month's trips only (as ingesting it alone gives)."""
    df, df_train, df_val = prepare_months(source=str(shared_data))
    assert (len(df), len(df_train), len(df_val)) == (105870, 54378, 51492)
    january, _, _ = prepare_months(source=str(shared_data), end_month='2024-01', split_on_feature_value='2024-01-15')
    alone, _, _ = prepare_trips(
        ingest_files('2024-01', '2024-01', source=str(shared_data)), 'lpep_pickup_datetime', '2024-01-15', 'duration'
    )
    assert len(january) == len(alone)  # (54373: February's file holds 5 more January pickups)
