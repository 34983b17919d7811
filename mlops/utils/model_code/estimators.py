"""Estimator wrappers a registered model may hold besides plain scikit-learn ones."""

from __future__ import annotations

import numpy as np


class BoosterRegressor:
    """An XGBoost booster that predicts with the rounds early stopping chose, on one thread.

    One thread: OpenMP's threads wait for each other by spinning, and on a machine whose cores
    are all busy (the model server's other requests, a Mage run beside it) one trip then took
    10-14 ms instead of 0.5. Concurrency comes from the caller: XGBoost releases the GIL, so the
    model server's request threads predict in parallel. The setting is saved with the booster.
    """

    def __init__(self, booster):
        self.booster = booster
        self.best_iteration = int(getattr(booster, 'best_iteration', booster.num_boosted_rounds() - 1))
        booster.set_param({'nthread': 1})

    def predict(self, X) -> np.ndarray:
        """The booster's predictions for a CSR matrix, without building a DMatrix: the same
        numbers (tests compare) for a fraction of the cost on few rows. XGBoost documents
        ``inplace_predict`` as safe to call from several threads at once."""
        return self.booster.inplace_predict(X, iteration_range=(0, self.best_iteration + 1))
