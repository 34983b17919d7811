"""Slices of a small hand-made set of validation rows; every expected figure is worked out here
with plain numpy/pandas from the rows, not with the card's code."""

import numpy as np
import pandas as pd
import pytest

from mlops.utils.model_card import slices

# 20 trips: distances 0.5..10 miles, one route per pair of trips, pickups at hours 0, 1, 2, 3, 0, ...
DISTANCE = np.arange(1, 21) * 0.5
ACTUAL = 2.0 + 3.0 * DISTANCE
ERROR = np.array([(-1) ** i * (1 + i % 3) for i in range(20)], dtype=float)  # -/+ 1, 2, 3 minutes
HOUR = np.arange(20) % 4
ROUTE = np.array(['1_2'] * 7 + ['3_4'] * 5 + ['5_6'] * 5 + ['7_8'] * 3, dtype=object)


@pytest.fixture
def rows():
    return slices.slice_rows(ACTUAL, ACTUAL + ERROR, DISTANCE, ROUTE, HOUR)


def rmse(errors):
    return float(np.sqrt(np.mean(np.square(errors))))


def test_overall_is_the_rmse_and_mae_of_every_trip(rows):
    assert slices.overall(rows) == {
        'trips': 20,
        'rmse': pytest.approx(rmse(ERROR)),
        'mae': pytest.approx(np.abs(ERROR).mean()),
    }


def test_distance_deciles_are_ten_bins_of_two_trips_each_right_closed(rows):
    edges = np.quantile(DISTANCE, np.linspace(0, 1, 11))
    deciles = slices.distance_deciles(rows)
    assert len(deciles) == 10
    for i, figures in enumerate(deciles):
        inside = (DISTANCE > edges[i]) & (DISTANCE <= edges[i + 1]) | ((i == 0) & (DISTANCE == edges[0]))
        assert figures['trips'] == inside.sum() == 2, i
        assert figures['rmse'] == pytest.approx(rmse(ERROR[inside])), i
        assert figures['mae'] == pytest.approx(np.abs(ERROR[inside]).mean()), i
    assert deciles[0]['slice'] == f'[0.5, {edges[1]:g}] mi' and deciles[-1]['slice'] == f'({edges[9]:g}, 10] mi'


def test_a_distance_on_an_edge_falls_in_the_bin_it_closes_as_pandas_qcut_says():
    distance = np.array([1.0] * 6 + [2.0] * 2 + [3.0, 4.0])  # many equal distances: repeated edges dropped
    rows = slices.slice_rows(np.zeros(10), np.arange(10.0), distance, ['1_1'] * 10)
    bins = pd.qcut(distance, 10, duplicates='drop')
    expected = [int((bins == interval).sum()) for interval in bins.categories]
    assert [s['trips'] for s in slices.distance_deciles(rows)] == expected
    assert sum(expected) == 10


def test_pickup_hours_are_the_hours_that_have_trips(rows):
    hours = slices.pickup_hours(rows)
    assert [h['slice'] for h in hours] == ['00:00', '01:00', '02:00', '03:00']
    for hour, figures in zip(range(4), hours):
        assert figures['trips'] == 5
        assert figures['rmse'] == pytest.approx(rmse(ERROR[HOUR == hour]))


def test_rows_without_a_pickup_time_have_no_hour_slices():
    rows = slices.slice_rows(ACTUAL, ACTUAL + ERROR, DISTANCE, ROUTE)
    assert slices.pickup_hours(rows) == []


def test_busiest_routes_most_trips_first_ties_by_route(rows):
    routes = slices.busiest_routes(rows, top=3)
    assert [(r['slice'], r['trips']) for r in routes] == [('route 1_2', 7), ('route 3_4', 5), ('route 5_6', 5)]
    assert routes[1]['mae'] == pytest.approx(np.abs(ERROR[ROUTE == '3_4']).mean())
    assert len(slices.busiest_routes(rows)) == 4  # fewer routes than the top ten: all of them


def test_no_rows_no_figures():
    empty = slices.slice_rows([], [], [], [], [])
    assert slices.overall(empty) == {'trips': 0, 'rmse': None, 'mae': None}
    assert slices.all_slices(empty) == {'distance_deciles': [], 'pickup_hour': [], 'busiest_routes': []}
