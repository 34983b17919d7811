"""String conversions that work on distinct values, then gather.

Location ids have a few hundred distinct values (pairs: a few thousand) over ~10^6 rows, so
converting each distinct value once and indexing is far cheaper than formatting every row,
and gives exactly what ``Series.astype(str)`` and ``+`` would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_strings(series: pd.Series) -> pd.Series:
    """``series.astype(str)``, computed on the distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    labels = pd.Index(uniques).astype(str).to_numpy(dtype=object)
    return pd.Series(labels[codes], index=series.index, name=series.name, dtype=object)


# Up to this many rows, a value at a time beats pandas' fixed cost per call (factorize,
# get_indexer): pairs of integers are formatted one by one here, and the vectorizer looks
# categories up one by one in its dict (that cost was most of a one-trip request's features).
FEW_ROWS = 16


def join_strings(left: pd.Series, right: pd.Series, separator: str = '_') -> pd.Series:
    """``left.astype(str) + separator + right.astype(str)``, computed on distinct pairs."""
    if (
        len(left) <= FEW_ROWS
        and pd.api.types.is_integer_dtype(left.dtype)
        and pd.api.types.is_integer_dtype(right.dtype)
    ):  # str() of an int is what astype(str) gives
        labels = [f'{a}{separator}{b}' for a, b in zip(left.tolist(), right.tolist())]
        return pd.Series(labels, index=left.index, dtype=object)
    left_codes, left_uniques = pd.factorize(left, use_na_sentinel=False)
    right_codes, right_uniques = pd.factorize(right, use_na_sentinel=False)
    pair_codes = left_codes.astype(np.int64) * len(right_uniques) + right_codes
    pairs, inverse = np.unique(pair_codes, return_inverse=True)
    left_labels = pd.Index(left_uniques).astype(str).to_numpy(dtype=object)
    right_labels = pd.Index(right_uniques).astype(str).to_numpy(dtype=object)
    labels = left_labels[pairs // len(right_uniques)] + separator + right_labels[pairs % len(right_uniques)]
    return pd.Series(labels[inverse.ravel()], index=left.index, dtype=object)
