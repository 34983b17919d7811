"""Validation error overall and by slice: trip-distance deciles, pickup hour of day, the
busiest routes. Plain numpy/pandas on one frame of validation rows (``SliceRows``), so a test
can recompute every figure from the rows alone.

Each slice is a row ``{slice, trips, rmse, mae}`` (minutes; ``slice`` a label a person reads).
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
import pandas as pd

# The columns of the frame every function here reads (``slice_rows`` builds it).
ACTUAL, PREDICTED, DISTANCE, ROUTE, HOUR = 'actual', 'predicted', 'trip_distance', 'PU_DO', 'pickup_hour'
DECILES = 10
BUSIEST_ROUTES = 10
HOURS = range(24)

Slice = Dict[str, Any]


def slice_rows(actual, predicted, trip_distance, route, pickup_hour=None) -> pd.DataFrame:
    """The frame of validation rows the slices are cut from: per trip its actual and predicted
    minutes, miles, route (``PU_DO``) and pickup hour (0-23; None when the rows have no time)."""
    frame = pd.DataFrame(
        {
            ACTUAL: np.asarray(actual, dtype=float),
            PREDICTED: np.asarray(predicted, dtype=float),
            DISTANCE: np.asarray(trip_distance, dtype=float),
            ROUTE: np.asarray(route, dtype=object),
        }
    )
    if pickup_hour is not None:
        frame[HOUR] = np.asarray(pickup_hour, dtype=np.int64)
    return frame


def errors(actual, predicted) -> Dict[str, float]:
    """``trips``, ``rmse``, ``mae`` (minutes) of one set of rows; None errors for no rows (JSON
    has no NaN)."""
    error = np.asarray(predicted, dtype=float) - np.asarray(actual, dtype=float)
    if len(error) == 0:
        return {'trips': 0, 'rmse': None, 'mae': None}
    return {'trips': int(len(error)), 'rmse': float(np.sqrt(np.mean(error**2))), 'mae': float(np.mean(np.abs(error)))}


def overall(rows: pd.DataFrame) -> Dict[str, float]:
    return errors(rows[ACTUAL], rows[PREDICTED])


def _slice(label: str, part: pd.DataFrame) -> Slice:
    return {'slice': label, **errors(part[ACTUAL], part[PREDICTED])}


def decile_edges(distance) -> np.ndarray:
    """The trip-distance decile edges of the rows (miles), repeated edges dropped (many trips of
    one distance make fewer than ten bins, as ``pandas.qcut(duplicates='drop')``)."""
    return np.unique(np.quantile(np.asarray(distance, dtype=float), np.linspace(0, 1, DECILES + 1)))


def distance_deciles(rows: pd.DataFrame) -> List[Slice]:
    """One slice per decile of ``trip_distance``: bin i holds (edge i, edge i+1] miles, the first
    its lower edge too (``pandas.qcut``'s bins)."""
    if rows.empty:
        return []
    edges = decile_edges(rows[DISTANCE])
    if len(edges) == 1:  # every trip one distance: one bin
        return [_slice(f'[{edges[0]:g}, {edges[0]:g}] mi', rows)]
    index = np.searchsorted(edges[1:-1], rows[DISTANCE].to_numpy(), side='left')
    return [
        _slice(f'{"[" if i == 0 else "("}{edges[i]:g}, {edges[i + 1]:g}] mi', rows[index == i])
        for i in range(len(edges) - 1)
    ]


def pickup_hours(rows: pd.DataFrame) -> List[Slice]:
    """One slice per hour of the day (0-23) that has trips, by the pickup time's hour."""
    if HOUR not in rows.columns:
        return []
    return [_slice(f'{hour:02d}:00', rows[rows[HOUR] == hour]) for hour in HOURS if (rows[HOUR] == hour).any()]


def busiest_routes(rows: pd.DataFrame, top: int = BUSIEST_ROUTES) -> List[Slice]:
    """The ``top`` routes (``PU_DO``) with most trips, most first (ties: by route)."""
    counts = rows[ROUTE].value_counts()
    order = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:top]
    return [_slice(f'route {route}', rows[rows[ROUTE] == route]) for route, _ in order]


def all_slices(rows: pd.DataFrame) -> Dict[str, List[Slice]]:
    """Every slice table of the card, by name."""
    return {
        'distance_deciles': distance_deciles(rows),
        'pickup_hour': pickup_hours(rows),
        'busiest_routes': busiest_routes(rows),
    }
