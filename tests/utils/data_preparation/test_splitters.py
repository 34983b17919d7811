import pandas as pd
import pytest

from mlops.utils.data_preparation.splitters import split_on_value
from mlops.utils.errors import ConfigError, DataError

FRAME = pd.DataFrame(
    {
        'when': pd.to_datetime(['2024-01-05 00:00', '2024-01-31 23:59', '2024-02-01 00:00', '2024-02-10 00:00']),
        'x': [1, 2, 3, 4],
    }
)


def test_split_is_strictly_before_the_value():
    train, val = split_on_value(FRAME, 'when', '2024-02-01')
    assert train['x'].tolist() == [1, 2] and val['x'].tolist() == [3, 4]
    assert 'when' not in train.columns


def test_keep_feature_and_return_indexes():
    train, val = split_on_value(FRAME, 'when', '2024-02-01', drop_feature=False)
    assert 'when' in train.columns
    train_index, val_index = split_on_value(FRAME, 'when', '2024-02-01', return_indexes=True)
    assert train_index.tolist() == [0, 1] and val_index.tolist() == [2, 3]


def test_numeric_split():
    train, val = split_on_value(FRAME, 'x', 3)
    assert len(train) == 2 and len(val) == 2


@pytest.mark.parametrize('value, side', [('2025-01-01', 'validation'), ('2023-01-01', 'training')])
def test_split_leaving_a_side_empty_is_an_error(value, side):
    with pytest.raises(DataError, match=f'leaves the {side} set empty'):
        split_on_value(FRAME, 'when', value)


def test_invalid_value_and_unknown_column_are_named():
    with pytest.raises(ConfigError, match="split_on_feature_value 'not-a-date'"):
        split_on_value(FRAME, 'when', 'not-a-date')
    with pytest.raises(ConfigError, match="split_on_feature 'pickup'"):
        split_on_value(FRAME, 'pickup', '2024-02-01')


def test_a_split_value_with_a_zone_means_that_moment_in_new_york_time():
    """FRAME's times are New York wall-clock times, as the TLC's; 05:00 UTC is midnight there."""
    train, val = split_on_value(FRAME, 'when', '2024-02-01T05:00:00+00:00')
    expected_train, expected_val = split_on_value(FRAME, 'when', '2024-02-01')
    pd.testing.assert_frame_equal(train, expected_train)
    pd.testing.assert_frame_equal(val, expected_val)


def test_zone_aware_data_takes_a_plain_value_in_its_own_zone():
    zoned = FRAME.assign(when=FRAME['when'].dt.tz_localize('America/New_York'))
    train, val = split_on_value(zoned, 'when', '2024-02-01')
    assert train['x'].tolist() == [1, 2] and val['x'].tolist() == [3, 4]
    train, val = split_on_value(zoned, 'when', '2024-02-01T04:59:00+00:00')  # 23:59 the day before
    assert train['x'].tolist() == [1] and val['x'].tolist() == [2, 3, 4]


def test_a_value_that_does_not_exist_in_the_datas_zone_is_named():
    zoned = FRAME.assign(when=FRAME['when'].dt.tz_localize('America/New_York'))
    with pytest.raises(ConfigError, match="split_on_feature_value '2024-03-10 02:30' is not a valid .* for 'when'"):
        split_on_value(zoned, 'when', '2024-03-10 02:30')  # clocks jumped from 02:00 to 03:00
