"""Drift figures: computed from the samples, zero for identical data, growing with a shift."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlops.utils.errors import DataError
from mlops.utils.observability.drift import numeric_drift, population_stability_index, unseen_share


def test_unseen_share_counts_rows_not_distinct_values():
    current = pd.Series(['1_2', '1_2', '3_4', '9_9'])
    assert unseen_share(['1_2', '3_4'], current) == 0.25
    assert unseen_share([], current) == 1.0
    assert unseen_share(['1_2'], pd.Series([], dtype=object)) == 0.0


def test_identical_samples_do_not_drift():
    sample = np.random.default_rng(0).exponential(3.0, 5000)
    figures = numeric_drift(sample, sample, 'trip_distance')
    assert figures == {'trip_distance_wasserstein': 0.0, 'trip_distance_ks': 0.0, 'trip_distance_psi': 0.0}


def test_a_shift_shows_in_every_figure_and_grows_with_it():
    rng = np.random.default_rng(1)
    reference = rng.normal(5.0, 1.0, 20000)
    small, large = (numeric_drift(reference, rng.normal(5.0 + shift, 1.0, 20000), 'x') for shift in (0.2, 1.0))
    assert small['x_wasserstein'] == pytest.approx(0.2, abs=0.03)  # in the column's unit
    assert large['x_wasserstein'] == pytest.approx(1.0, abs=0.03)
    assert small['x_ks'] < large['x_ks'] and small['x_psi'] < large['x_psi']
    assert large['x_psi'] > 0.25 > small['x_psi']


def test_psi_by_hand_on_two_bins():
    reference = np.array([0.0, 0.0, 1.0, 1.0])  # deciles collapse to the edges 0 and 1
    current = np.array([0.0, 1.0, 1.0, 1.0])
    # bins: below 1 / from 1 on -> reference 0.5/0.5, current 0.25/0.75
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert population_stability_index(reference, current) == pytest.approx(expected)


def test_ks_is_scipys_statistic_and_nan_is_left_out():
    reference, current = np.array([1.0, 2.0, 3.0, np.nan]), np.array([2.0, 3.0, 4.0])
    figures = numeric_drift(reference, current, 'x')
    assert figures['x_ks'] == pytest.approx(stats.ks_2samp([1.0, 2.0, 3.0], current).statistic)


def test_nothing_to_compare_is_named():
    with pytest.raises(DataError, match='no current values of predictions'):
        numeric_drift([1.0], [np.nan], 'predictions')


def test_a_constant_reference_still_sees_a_change():
    assert population_stability_index(np.zeros(10), np.zeros(10)) == 0.0
    assert population_stability_index(np.zeros(10), np.ones(10)) > 1.0
