from __future__ import annotations

from typing import Tuple, Union

import numpy as np
import pandas as pd
from pandas import DataFrame, Index

from mlops.utils.data_preparation.times import split_timestamp
from mlops.utils.errors import ConfigError, DataError

SplitValue = Union[float, int, str]


def coerce_split_value(series: pd.Series, value: SplitValue, feature: str):
    """``value`` in the column's own type, so a bad value fails here and not mid-comparison
    (time zones: ``times.split_timestamp``)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return split_timestamp(value, series, feature)
    try:
        if pd.api.types.is_numeric_dtype(series):
            return float(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f'split_on_feature_value {value!r} is not a valid {series.dtype} value for {feature!r}'
        ) from error
    return value


def training_rows(df: DataFrame, feature: str, value: SplitValue) -> np.ndarray:
    """True where ``feature < value``: the rows that train."""
    if feature not in df.columns:
        raise ConfigError(f'split_on_feature {feature!r} is not a column of the data')
    threshold = coerce_split_value(df[feature], value, feature)
    return (df[feature] < threshold).to_numpy()


def split_on_value(
    df: DataFrame,
    feature: str,
    value: SplitValue,
    drop_feature: bool = True,
    return_indexes: bool = False,
) -> Union[Tuple[DataFrame, DataFrame], Tuple[Index, Index]]:
    """Rows with ``feature < value`` train, the rest validate; both must be non-empty."""
    is_train = training_rows(df, feature, value)
    df_train, df_val = df[is_train], df[~is_train]
    for name, part in (('training', df_train), ('validation', df_val)):
        if part.empty:
            raise DataError(f'splitting {len(df)} rows on {feature} < {value!r} leaves the {name} set empty')
    if return_indexes:
        return df_train.index, df_val.index
    if drop_feature:
        df_train = df_train.drop(columns=[feature])
        df_val = df_val.drop(columns=[feature])
    return df_train, df_val
