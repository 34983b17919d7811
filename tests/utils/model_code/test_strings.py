import numpy as np
import pandas as pd
import pytest

from mlops.utils.model_code.strings import FEW_ROWS, as_strings, join_strings


def test_same_as_astype_str_for_ints_floats_nan_and_strings():
    for series in (
        pd.Series([3, 1, 3, 265], index=[5, 6, 7, 8]),
        pd.Series([1.0, np.nan, 2.5]),
        pd.Series(['a', 'b', 'a']),
        pd.Series([], dtype='int64'),
    ):
        pd.testing.assert_series_equal(as_strings(series), series.astype(str))


def test_join_same_as_concatenation():
    left = pd.Series([1, 2, 1, 7, 2], index=list('abcde'))
    right = pd.Series(['10', '20', '10', '10', '30'], index=list('abcde'))
    expected = left.astype(str) + '_' + right.astype(str)
    pd.testing.assert_series_equal(join_strings(left, right), expected, check_names=False)


def test_join_on_real_ids(shared_data):
    df = pd.read_parquet(shared_data / 'taxi/green/2024/02.parquet', columns=['PULocationID', 'DOLocationID'])
    expected = df['PULocationID'].astype(str) + '_' + df['DOLocationID'].astype(str)
    assert join_strings(df['PULocationID'], df['DOLocationID']).tolist() == expected.tolist()


@pytest.mark.parametrize('rows', [0, 1, FEW_ROWS, FEW_ROWS + 1])
@pytest.mark.parametrize('dtype', ['int64', 'int32', 'Int64', 'float64'])
def test_few_and_many_rows_give_the_same_strings(rows, dtype):
    """Few integer rows are formatted one by one; every size and type equals astype(str)."""
    left = pd.Series(np.arange(rows) * 7 + 1, index=np.arange(rows) + 10).astype(dtype)
    right = pd.Series(np.arange(rows) % 3, index=left.index).astype(dtype)
    if dtype == 'Int64' and rows:
        left.iloc[0] = pd.NA
    expected = left.astype(str) + '_' + right.astype(str)
    pd.testing.assert_series_equal(join_strings(left, right), expected, check_names=False)
