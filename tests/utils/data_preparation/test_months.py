import pytest

from mlops.utils.data_preparation.months import month_label, month_range, parse_month
from mlops.utils.errors import ConfigError


def test_range_is_inclusive_and_crosses_years():
    months = month_range('2023-11', '2024-02')
    assert [month_label(m) for m in months] == ['2023-11', '2023-12', '2024-01', '2024-02']


def test_single_month():
    assert month_range('2024-01', '2024-01') == [(2024, 1)]


@pytest.mark.parametrize('value', ['2024-13', '2024/01', 'january', '', '24-01', '2024-00'])
def test_bad_month_names_the_value(value):
    with pytest.raises(ConfigError, match='start_month'):
        month_range(value, '2024-02')


def test_reversed_range_is_an_error():
    with pytest.raises(ConfigError, match="end_month '2023-12' is before start_month '2024-01'"):
        month_range('2024-01', '2023-12')


def test_parse_month_accepts_single_digit_month():
    assert parse_month('2024-2') == (2024, 2)
