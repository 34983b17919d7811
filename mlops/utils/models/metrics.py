from __future__ import annotations

from typing import Dict

import numpy as np


def regression_metrics(y_true, y_pred) -> Dict[str, float]:
    """Validation figures logged for every trial and final model (minutes, minutes²)."""
    errors = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    mse = float(np.mean(errors**2))
    return {'rmse': float(np.sqrt(mse)), 'mse': mse}
