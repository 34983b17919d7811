"""How far a month of trips has moved from the data the champion was trained on.

Three views, all from scipy/numpy (Evidently 0.7 does not install beside mage-ai's pins):
- the share of trips whose route (``PU_DO``) the model never saw: it predicts those from the
  distance alone;
- for a numeric column (``trip_distance``, the predictions): the Wasserstein distance (in the
  column's own unit: miles, minutes), the Kolmogorov-Smirnov statistic and the population
  stability index over the reference's deciles.
"""

from __future__ import annotations

from typing import Dict, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from mlops.utils.errors import DataError

PSI_BINS = 10
# A bin empty on one side would make PSI infinite: its share is floored at this.
PSI_FLOOR = 1e-4


def unseen_share(seen: Iterable[str], current: pd.Series) -> float:
    """The share of ``current`` values not among ``seen`` (0.0 for no rows)."""
    if len(current) == 0:
        return 0.0
    known = pd.Index(pd.unique(np.asarray(list(seen), dtype=object)))
    return float((~current.isin(known)).mean())


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = PSI_BINS) -> float:
    """PSI of ``current`` against ``reference`` over the reference's quantile bins:
    sum((c - r) * ln(c / r)); below 0.1 is usually read as stable, above 0.25 as shifted."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    inner = edges[1:-1]
    if len(edges) < 2:  # a constant reference: bins below, at and above its value
        inner = np.array([reference[0], np.nextafter(reference[0], np.inf)])
    ref_counts = np.bincount(np.searchsorted(inner, reference, side='right'), minlength=len(inner) + 1)
    cur_counts = np.bincount(np.searchsorted(inner, current, side='right'), minlength=len(inner) + 1)
    ref_share = np.maximum(ref_counts / len(reference), PSI_FLOOR)
    cur_share = np.maximum(cur_counts / len(current), PSI_FLOOR)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def numeric_drift(reference, current, name: str) -> Dict[str, float]:
    """``<name>_wasserstein``, ``<name>_ks``, ``<name>_psi`` of two samples of numbers."""
    reference = _finite(reference, name, 'reference')
    current = _finite(current, name, 'current')
    return {
        f'{name}_wasserstein': float(stats.wasserstein_distance(reference, current)),
        f'{name}_ks': float(stats.ks_2samp(reference, current).statistic),
        f'{name}_psi': population_stability_index(reference, current),
    }


def _finite(values, name: str, side: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if len(array) == 0:
        raise DataError(f'no {side} values of {name} to compare')
    return array
