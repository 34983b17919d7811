"""The steps of the data-preparation pipeline, as plain functions the blocks call."""

from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple

import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.data_preparation.cleaning import (
    CleaningReport,
    check_usable_months,
    datetime_columns,
    dropped_by_month,
    dropped_totals,
    usable_trips,
)
from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.encoders import vectorize_features
from mlops.utils.data_preparation.feature_selector import select_features
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.sources import default_source
from mlops.utils.data_preparation.splitters import split_on_value
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import DURATION, INPUT_COLUMNS, trip_features


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


class PreparedRows(NamedTuple):
    rows: pd.DataFrame
    split_column: str  # the split column's name as it is in this data
    cleaning: CleaningReport  # rows read, dropped per reason and kept, per month


def prepared_rows(df: pd.DataFrame, split_on_feature: str, target: str) -> PreparedRows:
    """Clean, compute the model features with the served model's own ``trip_features``, keep
    the raw location ids (as the model takes them: integers), the split column and the target;
    with what cleaning dropped per month. Row by row: a month at a time gives the same rows.
    DataError naming a month none of whose rows are usable (``check_usable_months``).

    Columns: ``PULocationID``, ``DOLocationID``, ``PU_DO``, ``trip_distance``, split, target.
    """
    if not df.index.is_unique:
        df = df.reset_index(drop=True)
    cleaned, report = usable_trips(df)
    check_usable_months(report)
    split_on_feature = pickup_column_for(cleaned, split_on_feature)
    missing = [c for c in (split_on_feature, target) if c and c not in cleaned.columns]
    if missing:
        raise DataError(f'columns not in the data: {", ".join(missing)}')
    prepared = pd.concat(
        [
            cleaned[ID_COLUMNS],  # null ids are gone before any id becomes text: '74_75', never '74.0_75.0'
            trip_features(cleaned),
            cleaned[list(dict.fromkeys([split_on_feature, target]))],
        ],
        axis=1,
    )
    return PreparedRows(prepared, split_on_feature, report)


def prepare_and_count(
    df: pd.DataFrame,
    split_on_feature: str,
    split_on_feature_value,
    target: str,
) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, CleaningReport]:
    """The prepare block's outputs: ``prepared_rows`` split on ``split_on_feature_value``
    (``df, df_train, df_val``), then what cleaning dropped per month and reason."""
    prepared, split_column, report = prepared_rows(df, split_on_feature, target)
    df_train, df_val = split_on_value(prepared, split_column, split_on_feature_value)
    return prepared, df_train, df_val, report


def prepare_trips(
    df: pd.DataFrame,
    split_on_feature: str,
    split_on_feature_value,
    target: str,
) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``prepared_rows``, then split on ``split_on_feature_value``: ``(df, df_train, df_val)``."""
    return prepare_and_count(df, split_on_feature, split_on_feature_value, target)[:3]


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
    target: str = DURATION,
) -> TrainingSets:
    """The matrices and targets of the whole, training and validation sets, and the training
    set's vectorizer; X has its own vocabulary, as in the seed."""
    for name, part in (('whole', df), ('training', df_train), ('validation', df_val)):
        if target not in part.columns:
            raise DataError(f'target {target!r} is not a column of the {name} set')
    X, _, _ = vectorize_features(select_features(df))
    X_train, X_val, dv = vectorize_features(select_features(df_train), select_features(df_val))
    return TrainingSets(X, X_train, X_val, df[target], df_train[target], df_val[target], dv)


def cleaning_facts(report: Optional[CleaningReport]) -> Dict[str, Any]:
    """The facts of what cleaning dropped: ``rows_read``, ``dropped_rows`` (per reason) and
    ``dropped_rows_by_month`` (per month, the reasons that dropped any); none without a report."""
    if not report:
        return {}
    return {
        'rows_read': int(sum(counts['rows'] for counts in report.values())),
        'dropped_rows': dropped_totals(report),
        'dropped_rows_by_month': dropped_by_month(report),
    }


def preparation_facts(
    df: pd.DataFrame,
    df_train: pd.DataFrame,
    df_val: pd.DataFrame,
    variables: Mapping[str, Any],
    cleaning: Optional[CleaningReport] = None,
) -> Dict[str, Any]:
    """What this preparation used, for whoever trains on it: the variables as resolved, the
    time range and split as they fell in the data, and what cleaning dropped (``cleaning``:
    the prepare block's report)."""
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
    facts.update(cleaning_facts(cleaning))
    return facts
