"""Data checks run by the ``build`` block's ``@test`` functions (and by the project's tests)."""

from __future__ import annotations

from typing import Tuple

import numpy as np
import pandas as pd
import scipy.sparse

from mlops.utils.compute.partitions import PartitionedMatrix, PartitionedTarget
from mlops.utils.data_preparation.cleaning import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES
from mlops.utils.model_code.features import DURATION

# The seed's figures for DEFAULT_CONFIGURATION: (rows, features).
SEED_SHAPES = {'X': (105870, 7027), 'X_train': (54378, 5094), 'X_val': (51492, 5094)}


def check_seed_shapes(X, X_train, X_val) -> None:
    for name, matrix in (('X', X), ('X_train', X_train), ('X_val', X_val)):
        expected = SEED_SHAPES[name]
        assert matrix.shape == expected, f'{name} should be {expected[0]} x {expected[1]}, is {matrix.shape}'


def _finite(matrix: scipy.sparse.spmatrix) -> bool:
    """On the Dask path, as the workers found it when they prepared the months."""
    if isinstance(matrix, PartitionedMatrix):
        return matrix.all_finite
    return bool(np.isfinite(matrix.data).all())


def _target_figures(target) -> Tuple[bool, float, float]:
    """(all finite, lowest, highest) of the targets; on the Dask path, as the workers found them."""
    if isinstance(target, PartitionedTarget):
        return target.all_finite, target.low, target.high
    return bool(np.isfinite(target.to_numpy(dtype=float)).all()), target.min(), target.max()


def check_invariants(
    X,
    X_train,
    X_val,
    y: pd.Series,
    y_train: pd.Series,
    y_val: pd.Series,
    dv,
    target_name: str = DURATION,
) -> None:
    """Rows match targets, nothing is NaN/inf, durations are in bounds, train and
    validation share the vectorizer's features."""
    for name, matrix, target in (('X', X, y), ('X_train', X_train, y_train), ('X_val', X_val, y_val)):
        assert matrix.shape[0] == len(target), f'{name} has {matrix.shape[0]} rows but {len(target)} targets'
        assert matrix.shape[0] > 0, f'{name} is empty'
        assert _finite(matrix), f'{name} has NaN or infinite values'
        finite, low, high = _target_figures(target)
        assert finite, f'targets of {name} have NaN or infinite values'
        if target_name == DURATION:
            assert MIN_DURATION_MINUTES <= low and high <= MAX_DURATION_MINUTES, (
                f'targets of {name} span {low:.2f}..{high:.2f}, outside '
                f'[{MIN_DURATION_MINUTES}, {MAX_DURATION_MINUTES}] minutes'
            )
    features = len(dv.feature_names_)
    assert X_train.shape[1] == X_val.shape[1] == features, (
        f'X_train has {X_train.shape[1]} and X_val {X_val.shape[1]} features; the vectorizer has {features}'
    )
