"""The steps of the data-preparation pipeline, as plain functions the blocks call."""

from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple

import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.data_preparation.cleaning import clean, datetime_columns
from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.encoders import vectorize_features
from mlops.utils.data_preparation.feature_selector import select_features
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.sources import default_source
from mlops.utils.data_preparation.splitters import split_on_value
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS, trip_features


class TrainingSets(NamedTuple):
    """What ``build`` hands to training, in the seed's order (Mage stores a block's tuple
    outputs by position, so the block returns these as a plain tuple)."""

    X: scipy.sparse.csr_matrix
    X_train: scipy.sparse.csr_matrix
    X_val: scipy.sparse.csr_matrix
    y: pd.Series
    y_train: pd.Series
    y_val: pd.Series
    dv: DictVectorizer


ID_COLUMNS = INPUT_COLUMNS[:2]


def pickup_column_for(df: pd.DataFrame, split_on_feature: str) -> str:
    """The split column; a pickup time named for the other taxi colour (``lpep_`` for yellow
    trips, ``tpep_`` for green) means this data's own pickup time."""
    if split_on_feature not in df.columns and split_on_feature.endswith('_pickup_datetime'):
        return datetime_columns(df)[0]
    return split_on_feature


def prepared_rows(df: pd.DataFrame, split_on_feature: str, target: str) -> Tuple[pd.DataFrame, str]:
    """Clean, compute the model features with the served model's own ``trip_features``, keep
    the raw location ids (as the model takes them), the split column and the target; with the
    split column's name as it is in this data. Row by row: a month at a time gives the same rows.

    Columns: ``PULocationID``, ``DOLocationID``, ``PU_DO``, ``trip_distance``, split, target.
    """
    if not df.index.is_unique:
        df = df.reset_index(drop=True)
    cleaned = clean(df)
    split_on_feature = pickup_column_for(cleaned, split_on_feature)
    missing = [c for c in (split_on_feature, target) if c and c not in cleaned.columns]
    if missing:
        raise DataError(f'columns not in the data: {", ".join(missing)}')
    raw_ids = df.loc[cleaned.index, ID_COLUMNS]  # clean() turned them into strings
    prepared = pd.concat(
        [raw_ids, trip_features(cleaned), cleaned[list(dict.fromkeys([split_on_feature, target]))]], axis=1
    )
    return prepared, split_on_feature


def prepare_trips(
    df: pd.DataFrame,
    split_on_feature: str,
    split_on_feature_value,
    target: str,
) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``prepared_rows``, then split on ``split_on_feature_value``: ``(df, df_train, df_val)``."""
    prepared, split_column = prepared_rows(df, split_on_feature, target)
    df_train, df_val = split_on_value(prepared, split_column, split_on_feature_value)
    return prepared, df_train, df_val


def prepare_months(source: Optional[str] = None, **overrides: str) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(df, df_train, df_val)`` of data preparation with the seed's configuration
    (``DEFAULT_CONFIGURATION``), any of it replaced by ``overrides``: the benchmarks' data."""
    config = {**DEFAULT_CONFIGURATION, **overrides}
    raw = ingest_files(config['start_month'], config['end_month'], colour=config['taxi_colour'], source=source)
    return prepare_trips(raw, config['split_on_feature'], config['split_on_feature_value'], config['target'])


def build_training_sets(
    df: pd.DataFrame,
    df_train: pd.DataFrame,
    df_val: pd.DataFrame,
    target: str = 'duration',
) -> TrainingSets:
    """The matrices and targets of the whole, training and validation sets, and the training
    set's vectorizer; X has its own vocabulary, as in the seed."""
    for name, part in (('whole', df), ('training', df_train), ('validation', df_val)):
        if target not in part.columns:
            raise DataError(f'target {target!r} is not a column of the {name} set')
    X, _, _ = vectorize_features(select_features(df))
    X_train, X_val, dv = vectorize_features(select_features(df_train), select_features(df_val))
    return TrainingSets(X, X_train, X_val, df[target], df_train[target], df_val[target], dv)


def preparation_facts(
    df: pd.DataFrame, df_train: pd.DataFrame, df_val: pd.DataFrame, variables: Mapping[str, Any]
) -> Dict[str, Any]:
    """What this preparation used, for whoever trains on it: the variables as resolved and
    the time range and split as they fell in the data."""
    facts: Dict[str, Any] = {
        k: variables[k]
        for k in ('start_month', 'end_month', 'taxi_colour', 'data_source', 'split_on_feature_value', 'target')
        if k in variables
    }
    facts['data_source'] = variables.get('data_source') or default_source()
    split = pickup_column_for(df, str(variables.get('split_on_feature') or ''))
    facts['split_on_feature'] = split
    facts.update({'rows': len(df), 'training_rows': len(df_train), 'validation_rows': len(df_val)})
    if split in df.columns:
        times = df[split]
        facts.update(
            {
                'data_start': str(times.min()),
                'data_end': str(times.max()),
                'training_end': str(times.loc[df_train.index].max()),
                'validation_start': str(times.loc[df_val.index].min()),
            }
        )
    return facts
