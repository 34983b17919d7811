import pandas as pd
import pytest

from mlops.utils.data_preparation.feature_selector import select_features
from mlops.utils.errors import DataError

FRAME = pd.DataFrame({'PU_DO': ['1_2'], 'trip_distance': [1.0], 'duration': [5.0], 'other': [0]})


def test_default_and_extra_columns_in_order():
    assert list(select_features(FRAME).columns) == ['PU_DO', 'trip_distance']
    assert list(select_features(FRAME, ['duration', None, 'PU_DO']).columns) == ['PU_DO', 'trip_distance', 'duration']


def test_missing_column_is_named():
    with pytest.raises(DataError, match='columns not in the data: target_x'):
        select_features(FRAME, ['target_x'])
