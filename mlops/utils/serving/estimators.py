"""Estimator wrappers a registered model may hold besides plain scikit-learn ones."""
from __future__ import annotations

import numpy as np


class BoosterRegressor:
    """An XGBoost booster that predicts with the rounds early stopping chose."""

    def __init__(self, booster):
        self.booster = booster
        self.best_iteration = int(getattr(booster, 'best_iteration', booster.num_boosted_rounds() - 1))

    def predict(self, X) -> np.ndarray:
        import xgboost  # only models holding a booster need it

        return self.booster.predict(xgboost.DMatrix(X), iteration_range=(0, self.best_iteration + 1))
