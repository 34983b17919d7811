"""Month ranges as pipeline variables: ``'2024-01'`` .. ``'2024-02'``, inclusive."""

from __future__ import annotations

import re
from typing import List, Tuple

from mlops.utils.errors import ConfigError

Month = Tuple[int, int]

_MONTH = re.compile(r'^\s*(\d{4})-(\d{1,2})\s*$')


def parse_month(value: str, name: str = 'month') -> Month:
    """``'2024-01'`` -> ``(2024, 1)``; anything else raises ConfigError naming ``name``."""
    match = _MONTH.match(str(value))
    if not match:
        raise ConfigError(f'{name} must look like YYYY-MM, got {value!r}')
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ConfigError(f'{name} has month {month} in {value!r}; months are 01..12')
    return year, month


def month_range(start: str, end: str) -> List[Month]:
    """Every month from ``start`` to ``end`` inclusive, in order."""
    first = parse_month(start, 'start_month')
    last = parse_month(end, 'end_month')
    if last < first:
        raise ConfigError(f'end_month {end!r} is before start_month {start!r}')
    months = []
    year, month = first
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def add_months(month: Month, count: int) -> Month:
    """``month`` moved by ``count`` months (negative: back)."""
    index = month[0] * 12 + month[1] - 1 + count
    return index // 12, index % 12 + 1


def months_between(first: Month, last: Month) -> int:
    """How many months ``first``..``last`` spans, both included."""
    return (last[0] - first[0]) * 12 + last[1] - first[1] + 1


def month_label(month: Month) -> str:
    return f'{month[0]:04d}-{month[1]:02d}'


def month_start(month: str) -> str:
    """``'2024-02'`` -> ``'2024-02-01'``: where the seed's split puts validation when ``month``
    is the last of a range (``split_on_feature_value``)."""
    return f'{month_label(parse_month(month))}-01'
