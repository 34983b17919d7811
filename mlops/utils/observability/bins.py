"""Histogram bins a person can read: a round width (1, 2 or 5 times a power of ten) and labels
such as ``5.8–5.9``. Mage 0.9.80's histogram labels its bins with the raw float edges it computes
(``5.800000000000001``); the dashboard draws these counts as a bar chart instead.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import List, Sequence, Tuple

MAX_BINS = 12


def round_width(values: Sequence[float], max_bins: int = MAX_BINS) -> Decimal:
    """The smallest width of 1, 2 or 5 times a power of ten that covers ``values`` in at most
    ``max_bins`` bins (a tenth of a minute for one value or equal values)."""
    spread = max(values) - min(values)
    if spread <= 0:
        return Decimal('0.1')
    exponent = math.floor(math.log10(spread / max_bins))
    for exp in (exponent, exponent + 1):
        for step in (1, 2, 5):
            width = Decimal(step).scaleb(exp)
            start = _floor(Decimal(repr(min(values))), width)
            if _index(Decimal(repr(max(values))), start, width) < max_bins:
                return width
    return Decimal(10).scaleb(exponent + 1)


def _floor(value: Decimal, width: Decimal) -> Decimal:
    return (value / width).to_integral_value(rounding='ROUND_FLOOR') * width


def _index(value: Decimal, start: Decimal, width: Decimal) -> int:
    return int(((value - start) / width).to_integral_value(rounding='ROUND_FLOOR'))


def histogram(values: Sequence[float], max_bins: int = MAX_BINS) -> Tuple[List[str], List[int]]:
    """Labels (``low–high``) and counts of round-width bins from the bin holding the smallest
    value to the one holding the largest, empty bins included. A bin holds its low edge and not
    its high one. Edges are decimals (``Decimal(repr(v))``): 6.1 falls in ``6.1–6.2``, not in
    ``6.0–6.1`` as float division would put it."""
    if not values:
        return [], []
    width = round_width(values, max_bins)
    decimals = max(0, -width.as_tuple().exponent)
    start = _floor(Decimal(repr(min(values))), width)
    counts = [0] * (_index(Decimal(repr(max(values))), start, width) + 1)
    for value in values:
        counts[_index(Decimal(repr(value)), start, width)] += 1
    labels = [f'{start + i * width:.{decimals}f}–{start + (i + 1) * width:.{decimals}f}' for i in range(len(counts))]
    return labels, counts
