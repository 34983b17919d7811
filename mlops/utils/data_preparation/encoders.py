"""One-hot + numeric encoding equal to ``DictVectorizer`` on row dicts, without the row dicts.

The seed built one dict per row (``to_dict(orient='records')``) and let DictVectorizer walk
them. Here sklearn fits the vocabulary on each column's *unique* values only, and the sparse
matrix is assembled from column arrays. Result: the same fitted ``DictVectorizer`` (usable on
dicts at inference time) and the same CSR matrix, entry for entry.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.errors import DataError


def _is_categorical(series: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype))


def _check_types(df: pd.DataFrame) -> None:
    for column in df.columns:
        series = df[column]
        if _is_categorical(series):
            if series.isna().any():
                raise DataError(f'categorical feature {column!r} has missing values')
            if not all(isinstance(v, str) for v in pd.unique(series)):
                raise DataError(f'categorical feature {column!r} must hold strings only')
        elif not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise DataError(f'feature {column!r} has type {series.dtype}; use strings or numbers')


def fit_vectorizer(df: pd.DataFrame) -> DictVectorizer:
    """A DictVectorizer fitted on every distinct (column, value) of ``df``: same vocabulary
    as fitting on all rows, at the cost of the distinct values only."""
    _check_types(df)
    vocabulary_rows: List[dict] = []
    for column in df.columns:
        if _is_categorical(df[column]):
            vocabulary_rows.extend({column: value} for value in pd.unique(df[column]))
        else:
            vocabulary_rows.append({column: 0.0})
    return DictVectorizer().fit(vocabulary_rows)


def transform(dv: DictVectorizer, df: pd.DataFrame) -> scipy.sparse.csr_matrix:
    """``dv.transform(df.to_dict('records'))`` computed column-wise.

    DictVectorizer keeps explicit zeros of numeric features and drops categories it has not
    seen; so does this. Within a row, entries are in column order, as DictVectorizer emits them.
    """
    _check_types(df)
    n_rows = len(df)
    column_indices, column_values = [], []
    for column in df.columns:
        series = df[column]
        if _is_categorical(series):
            names = column + dv.separator + series.astype(str).to_numpy(dtype=object)
            index = pd.Index(dv.feature_names_).get_indexer(names)
            values = np.ones(n_rows, dtype=dv.dtype)
        else:
            position = dv.vocabulary_.get(column, -1)
            index = np.full(n_rows, position, dtype=np.int64)
            values = series.to_numpy(dtype=dv.dtype)
        column_indices.append(index)
        column_values.append(values)
    indices = np.column_stack(column_indices) if column_indices else np.empty((n_rows, 0), np.int64)
    data = np.column_stack(column_values) if column_values else np.empty((n_rows, 0), dv.dtype)
    known = indices >= 0  # unseen categories (index -1) are dropped, as DictVectorizer does
    indptr = np.concatenate(([0], np.cumsum(known.sum(axis=1))))
    matrix = scipy.sparse.csr_matrix(
        (data[known], indices[known].astype(np.int32), indptr),
        shape=(n_rows, len(dv.feature_names_)),
    )
    matrix.sort_indices()
    return matrix


def vectorize_features(
    training_set: pd.DataFrame,
    validation_set: Optional[pd.DataFrame] = None,
) -> Tuple[scipy.sparse.csr_matrix, Optional[scipy.sparse.csr_matrix], DictVectorizer]:
    dv = fit_vectorizer(training_set)
    X_train = transform(dv, training_set)
    X_val = None
    if validation_set is not None:
        missing = [c for c in training_set.columns if c not in validation_set.columns]
        if missing:
            raise DataError(f'validation set lacks features: {", ".join(missing)}')
        X_val = transform(dv, validation_set[training_set.columns])
    return X_train, X_val, dv
