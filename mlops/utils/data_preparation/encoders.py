"""One-hot + numeric encoding equal to ``DictVectorizer`` on row dicts, without the row dicts.

Fitting lives here; ``transform`` lives in ``mlops.utils.model_code.vectorizer``, which the
registered model ships.

The seed built one dict per row (``to_dict(orient='records')``) and let DictVectorizer walk
them. Here sklearn fits the vocabulary on each column's *unique* values only, and the sparse
matrix is assembled from column arrays. Result: the same fitted ``DictVectorizer`` (usable on
dicts at inference time) and the same CSR matrix, entry for entry.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import pandas as pd
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.errors import DataError
from mlops.utils.model_code.vectorizer import check_types, is_categorical, require_strings, transform


def fit_vectorizer(df: pd.DataFrame) -> DictVectorizer:
    """A DictVectorizer fitted on every distinct (column, value) of ``df``: same vocabulary
    as fitting on all rows, at the cost of the distinct values only."""
    check_types(df)
    vocabulary_rows: List[dict] = []
    for column in df.columns:
        if is_categorical(df[column]):
            vocabulary_rows.extend({column: v} for v in require_strings(pd.unique(df[column]), column))
        else:
            vocabulary_rows.append({column: 0.0})
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
