"""Models on the Dask path: XGBoost trains with ``xgboost.dask`` on the workers, which read the
training and validation partitions themselves; predictions on a partitioned matrix are made
partition by partition on the workers. The result is a plain booster, wrapped, logged and
served as every other. Runs inside ``compute.cluster.dask_client`` (the default client)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np
import scipy.sparse

from mlops.utils.compute.partitions import PartitionedMatrix, PartitionedTarget, is_partitioned
from mlops.utils.models.dask_parts import pin_partitions, workers_in_rank_order


def _target_block(target: PartitionedTarget, index: int) -> np.ndarray:
    return target.block(index).to_numpy(dtype=np.float64)


def _arrays(matrix: PartitionedMatrix, target: PartitionedTarget):
    """Dask arrays of the matrix's CSR blocks and the targets, one chunk per non-empty file."""
    import dask.array as da
    from dask import delayed

    width = len(matrix.feature_names)
    used = [i for i, count in enumerate(matrix.rows.counts) if count]
    X = da.concatenate(
        [
            da.from_delayed(
                delayed(matrix.block)(i),
                shape=(matrix.rows.counts[i], width),
                dtype=np.float64,
                meta=scipy.sparse.csr_matrix((0, width)),
            )
            for i in used
        ]
    )
    y = da.concatenate(
        [
            da.from_delayed(delayed(_target_block)(target, i), shape=(target.rows.counts[i],), dtype=np.float64)
            for i in used
        ]
    )
    return X, y


# The DaskDMatrix of each (client, matrix, target): a tuning block fits many boosters on the
# same partitions, which the workers then read and hold once, not once per trial.
_DMATRICES: Dict[Tuple[str, PartitionedMatrix, PartitionedTarget], Any] = {}


def _dmatrix(client, matrix: PartitionedMatrix, target: PartitionedTarget):
    from xgboost import dask as dxgb

    key = (client.id, matrix, target)
    if key not in _DMATRICES:
        if len(_DMATRICES) >= 2:  # a training and a validation set, of this client only
            _DMATRICES.clear()
        _DMATRICES[key] = pin_partitions(
            dxgb.DaskDMatrix(client, *_arrays(matrix, target)), workers_in_rank_order(client)
        )
    return _DMATRICES[key]


def fit_booster_on_dask(
    params: Dict[str, Any],
    X_train: PartitionedMatrix,
    y_train: PartitionedTarget,
    X_val: PartitionedMatrix,
    y_val: PartitionedTarget,
    num_boost_round: int,
    early_stopping_rounds: Optional[int],
):
    """``xgboost.train``'s booster, trained by ``xgboost.dask`` on the cluster with the same
    parameters and early stopping on the validation partitions."""
    from distributed import get_client
    from xgboost import dask as dxgb

    client = get_client()
    train, validation = _dmatrix(client, X_train, y_train), _dmatrix(client, X_val, y_val)
    output = dxgb.train(
        client,
        params,
        train,
        num_boost_round=num_boost_round,
        evals=[(validation, 'validation')],
        early_stopping_rounds=early_stopping_rounds or None,
        verbose_eval=False,
    )
    return output['booster']


def _predict_block(model, matrix: PartitionedMatrix, index: int) -> np.ndarray:
    return np.asarray(model.predict(matrix.block(index)), dtype=np.float64)


def predict_matrix(model, X) -> np.ndarray:
    """``model.predict(X)``; on a partitioned X, file by file on the workers, in order (files
    without rows skipped)."""
    if not is_partitioned(X):
        return np.asarray(model.predict(X))
    from distributed import get_client

    used = [i for i, count in enumerate(X.rows.counts) if count]  # scikit-learn refuses 0 rows
    if not used:
        return np.empty(0, dtype=np.float64)
    client = get_client()
    shared = client.scatter(model, broadcast=True)
    futures = client.map(_predict_block, [shared] * len(used), [X] * len(used), used, pure=False)
    return np.concatenate(client.gather(futures))
