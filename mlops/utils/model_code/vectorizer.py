"""``DictVectorizer.transform`` on a frame, column-wise, without building one dict per row."""

from __future__ import annotations

import weakref
from typing import Any, List, Tuple

import numpy as np
import pandas as pd
import scipy.sparse

from mlops.utils.errors import DataError
from mlops.utils.model_code.strings import FEW_ROWS


def is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype  # asked of the dtype: asked of an object Series, pandas scans its values
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def check_types(df: pd.DataFrame) -> None:
    """Categorical features hold strings, the others numbers; DataError naming the column."""
    for column in df.columns:
        series = df[column]
        if is_categorical(series):
            if pd.isna(series.to_numpy()).any():
                raise DataError(f'categorical feature {column!r} has missing values')
        elif not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
            raise DataError(f'feature {column!r} has type {series.dtype}; use strings or numbers')


def require_strings(distinct_values, column: str) -> np.ndarray:
    """The distinct values of a categorical column, which must all be strings."""
    values = np.asarray(distinct_values, dtype=object)
    if not all(isinstance(value, str) for value in values):
        raise DataError(f'categorical feature {column!r} must hold strings only')
    return values


# Per fitted vectorizer: its feature-name list and that list as an Index. Building the Index of
# ~10k names (and its hash table) was most of a one-trip prediction's time (2 of 4 ms).
_VOCABULARIES: 'weakref.WeakKeyDictionary[Any, Tuple[List[str], pd.Index]]' = weakref.WeakKeyDictionary()


def vocabulary_of(dv) -> pd.Index:
    """``pd.Index(dv.feature_names_)``, built once per fitted vectorizer (refitting replaces
    ``feature_names_``, which rebuilds it)."""
    cached = _VOCABULARIES.get(dv)
    if cached is None or cached[0] is not dv.feature_names_:
        cached = (dv.feature_names_, pd.Index(dv.feature_names_))
        _VOCABULARIES[dv] = cached
    return cached[1]


def _column_entries(dv, series: pd.Series, vocabulary: pd.Index):
    """(feature index, value) of one column for every row; index -1 for unseen categories."""
    if is_categorical(series) and len(series) <= FEW_ROWS:
        names = [f'{series.name}{dv.separator}{value}' for value in require_strings(series.tolist(), series.name)]
        return np.array([dv.vocabulary_.get(name, -1) for name in names], dtype=np.int64), np.ones(
            len(names), dtype=dv.dtype
        )
    if is_categorical(series):
        codes, distinct = pd.factorize(series)
        names = series.name + dv.separator + require_strings(distinct, series.name)
        return vocabulary.get_indexer(names)[codes], np.ones(len(series), dtype=dv.dtype)
    position = dv.vocabulary_.get(series.name, -1)
    return np.full(len(series), position, dtype=np.int64), series.to_numpy(dtype=dv.dtype)


def transform(dv, df: pd.DataFrame) -> scipy.sparse.csr_matrix:
    """``dv.transform(df.to_dict('records'))`` computed column-wise.

    DictVectorizer keeps explicit zeros of numeric features and drops categories it has not
    seen; so does this. Entries within a row are sorted by feature index, as DictVectorizer's.
    """
    check_types(df)
    n_rows, n_columns = df.shape
    vocabulary = vocabulary_of(dv)
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
