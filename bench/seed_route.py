"""The seed's data-preparation route, row-wise as the course notes wrote it.

Reference only: the equivalence tests compare the project's vectorized code with it, and
the benchmark times both on the same data.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

import pandas as pd
from sklearn.feature_extraction import DictVectorizer


def read_months(paths: Sequence[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(path) for path in paths])


def clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.lpep_dropoff_datetime = pd.to_datetime(df.lpep_dropoff_datetime)
    df.lpep_pickup_datetime = pd.to_datetime(df.lpep_pickup_datetime)
    df['duration'] = df.lpep_dropoff_datetime - df.lpep_pickup_datetime
    df.duration = df.duration.apply(lambda td: td.total_seconds() / 60)
    df = df[(df.duration >= 1) & (df.duration <= 60)].copy()
    categorical = ['PULocationID', 'DOLocationID']
    df[categorical] = df[categorical].astype(str)
    return df


def combine_features(df: pd.DataFrame) -> pd.DataFrame:
    df['PU_DO'] = df['PULocationID'].astype(str) + '_' + df['DOLocationID'].astype(str)
    return df


def select_features(df: pd.DataFrame, features: List[str] = None) -> pd.DataFrame:
    return df[['PU_DO', 'trip_distance'] + (features or [])]


def vectorize_features(training_set, validation_set=None):
    dv = DictVectorizer()
    X_train = dv.fit_transform(training_set.to_dict(orient='records'))
    X_val = None
    if validation_set is not None:
        X_val = dv.transform(validation_set[training_set.columns].to_dict(orient='records'))
    return X_train, X_val, dv


def prepare_and_build(raw: pd.DataFrame, split_value: str = '2024-02-01', target: str = 'duration'):
    """(X, X_train, X_val, y, y_train, y_val, dv) as the seed's prepare + build blocks."""
    feature = 'lpep_pickup_datetime'
    df = select_features(combine_features(clean(raw)), [feature, target])
    df_train = df[df[feature] < split_value].drop(columns=[feature])
    df_val = df[df[feature] >= split_value].drop(columns=[feature])
    X, _, _ = vectorize_features(select_features(df))
    X_train, X_val, dv = vectorize_features(select_features(df_train), select_features(df_val))
    return X, X_train, X_val, df[target], df_train[target], df_val[target], dv
