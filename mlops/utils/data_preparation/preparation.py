"""The two steps of the data-preparation pipeline, as plain functions the blocks call."""
from __future__ import annotations

from typing import Tuple

import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.data_preparation.cleaning import clean, datetime_columns
from mlops.utils.data_preparation.encoders import vectorize_features
from mlops.utils.data_preparation.feature_engineering import combine_features
from mlops.utils.data_preparation.feature_selector import select_features
from mlops.utils.data_preparation.splitters import split_on_value
from mlops.utils.errors import DataError

TrainingSets = Tuple[
    scipy.sparse.csr_matrix, scipy.sparse.csr_matrix, scipy.sparse.csr_matrix,
    pd.Series, pd.Series, pd.Series, DictVectorizer,
]


def pickup_column_for(df: pd.DataFrame, split_on_feature: str) -> str:
    """The split column; a pickup time named for the other taxi colour (``lpep_`` for yellow
    trips, ``tpep_`` for green) means this data's own pickup time."""
    if split_on_feature not in df.columns and split_on_feature.endswith('_pickup_datetime'):
        return datetime_columns(df)[0]
    return split_on_feature


def prepare_trips(
    df: pd.DataFrame, split_on_feature: str, split_on_feature_value, target: str,
) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Clean, add PU_DO, keep the features plus split column and target, then split."""
    df = combine_features(clean(df))
    split_on_feature = pickup_column_for(df, split_on_feature)
    df = select_features(df, features=[split_on_feature, target])
    df_train, df_val = split_on_value(df, split_on_feature, split_on_feature_value)
    return df, df_train, df_val


def build_training_sets(
    df: pd.DataFrame, df_train: pd.DataFrame, df_val: pd.DataFrame, target: str = 'duration',
) -> TrainingSets:
    """(X, X_train, X_val, y, y_train, y_val, dv); X has its own vocabulary, as in the seed."""
    for name, part in (('whole', df), ('training', df_train), ('validation', df_val)):
        if target not in part.columns:
            raise DataError(f'target {target!r} is not a column of the {name} set')
    X, _, _ = vectorize_features(select_features(df))
    X_train, X_val, dv = vectorize_features(select_features(df_train), select_features(df_val))
    return X, X_train, X_val, df[target], df_train[target], df_val[target], dv
