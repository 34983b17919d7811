"""Is there a month at the data source newer than what a model was trained on? The one home of
"a new month": retraining's sensor, monitoring and batch scoring ask here.

What was trained on comes from the registry (``tracking.trained_range``: any object with its
``end_month``, ``taxi_colour`` and ``data_source``). The source is asked directly: an HTTP
``HEAD`` for http(s) mirrors, a file look-up for folders and ``file://`` URLs.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Protocol

from mlops.utils.data_preparation.months import Month, add_months, month_label, parse_month
from mlops.utils.data_preparation.sources import month_location
from mlops.utils.errors import SourceError


class TrainedMonths(Protocol):
    """What new-month detection needs of a model's recorded training range."""

    end_month: str
    taxi_colour: str
    data_source: str


# How far ahead one check looks: a source that gained more than a year at once is caught up
# over several runs rather than probed month by month without end.
MAX_MONTHS_AHEAD = 12
HEAD_TIMEOUT_SECONDS = 10.0


def month_available(source: str, colour: str, month: Month, head: Optional[Callable] = None) -> bool:
    """True when ``month`` exists at ``source``; SourceError (naming the URL or folder) when the
    source cannot answer at all."""
    location = month_location(source, colour, month)
    if location.path is not None:
        base = location.path.parents[2]  # <source>/taxi/<colour>/<YYYY>/<MM>.parquet -> <source>/taxi
        if not base.parent.is_dir():
            raise SourceError(f'data source folder {base.parent} does not exist')
        return location.path.is_file()
    import requests

    head = head or requests.head
    try:
        response = head(location.url, allow_redirects=True, timeout=HEAD_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise SourceError(
            f'data source unreachable: HEAD {location.url} failed ({type(error).__name__}: {error})'
        ) from None
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):  # S3/CloudFront-style mirrors answer 403 for absent keys
        return False
    raise SourceError(f'data source answered HEAD {location.url} with HTTP {response.status_code}')


def new_months(trained: TrainedMonths, source: Optional[str] = None, head: Optional[Callable] = None) -> List[str]:
    """The consecutive months after the champion's last one that ``source`` (default: the one
    it was trained from) now holds, oldest first; empty when there is none."""
    source = source or trained.data_source
    month = parse_month(trained.end_month, 'end_month')
    found: List[str] = []
    for _ in range(MAX_MONTHS_AHEAD):
        month = add_months(month, 1)
        if not month_available(source, trained.taxi_colour, month, head=head):
            break
        found.append(month_label(month))
    return found
