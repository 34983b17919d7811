"""One-hot + numeric encoding equal to ``DictVectorizer`` on row dicts, without the row dicts.

Fitting lives here; ``transform`` lives in ``mlops.utils.model_code.vectorizer``, which the
registered model ships.

The seed built one dict per row (``to_dict(orient='records')``) and let DictVectorizer walk
them. Here sklearn fits the vocabulary on each column's *unique* values only, and the sparse
matrix is assembled from column arrays. Result: the same fitted ``DictVectorizer`` (usable on
dicts at inference time) and the same CSR matrix, entry for entry.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.errors import DataError
from mlops.utils.model_code.vectorizer import check_types, is_categorical, require_strings, transform


def fit_vectorizer(df: pd.DataFrame) -> DictVectorizer:
    """A DictVectorizer fitted on every distinct (column, value) of ``df``: same vocabulary
    as fitting on all rows, at the cost of the distinct values only."""
    check_types(df)
    categorical = [column for column in df.columns if is_categorical(df[column])]
    return vectorizer_from_distinct(
        {column: pd.unique(df[column]) for column in categorical}, [c for c in df.columns if c not in categorical]
    )


def vectorizer_from_distinct(distinct: Dict[str, Iterable], numeric: Iterable[str]) -> DictVectorizer:
    """The DictVectorizer of categorical columns with these distinct values and these numeric
    columns: its feature names are sorted, whatever the order given (the Dask path's unique)."""
    vocabulary_rows: List[dict] = [
        {column: value} for column, values in distinct.items() for value in require_strings(values, column)
    ]
    vocabulary_rows += [{column: 0.0} for column in numeric]
    return DictVectorizer().fit(vocabulary_rows)


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
