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
    """Categorical features hold strings, the others numbers; DataError naming the column."""
    for column in df.columns:
        series = df[column]
        if _is_categorical(series):
            if series.isna().any():
                raise DataError(f'categorical feature {column!r} has missing values')
        elif not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise DataError(f'feature {column!r} has type {series.dtype}; use strings or numbers')


def _require_strings(distinct_values, column: str) -> np.ndarray:
    """The distinct values of a categorical column, which must all be strings."""
    values = np.asarray(distinct_values, dtype=object)
    if not all(isinstance(value, str) for value in values):
        raise DataError(f'categorical feature {column!r} must hold strings only')
    return values


def fit_vectorizer(df: pd.DataFrame) -> DictVectorizer:
    """A DictVectorizer fitted on every distinct (column, value) of ``df``: same vocabulary
    as fitting on all rows, at the cost of the distinct values only."""
    _check_types(df)
    vocabulary_rows: List[dict] = []
    for column in df.columns:
        if _is_categorical(df[column]):
            vocabulary_rows.extend({column: v} for v in _require_strings(pd.unique(df[column]), column))
        else:
            vocabulary_rows.append({column: 0.0})
    return DictVectorizer().fit(vocabulary_rows)


def _column_entries(dv: DictVectorizer, series: pd.Series, vocabulary: pd.Index):
    """(feature index, value) of one column for every row; index -1 for unseen categories."""
    if _is_categorical(series):
        codes, distinct = pd.factorize(series)
        names = series.name + dv.separator + _require_strings(distinct, series.name)
        return vocabulary.get_indexer(names)[codes], np.ones(len(series), dtype=dv.dtype)
    position = dv.vocabulary_.get(series.name, -1)
    return np.full(len(series), position, dtype=np.int64), series.to_numpy(dtype=dv.dtype)


def transform(dv: DictVectorizer, df: pd.DataFrame) -> scipy.sparse.csr_matrix:
    """``dv.transform(df.to_dict('records'))`` computed column-wise.

    DictVectorizer keeps explicit zeros of numeric features and drops categories it has not
    seen; so does this. Entries within a row are sorted by feature index, as DictVectorizer's.
    """
    _check_types(df)
    n_rows, n_columns = df.shape
    vocabulary = pd.Index(dv.feature_names_)
    indices = np.empty((n_rows, n_columns), dtype=np.int64)
    data = np.empty((n_rows, n_columns), dtype=dv.dtype)
    for j, column in enumerate(df.columns):
        indices[:, j], data[:, j] = _column_entries(dv, df[column], vocabulary)
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
