"""Is there a month at the data source newer than what the champion was trained on?

What was trained on comes from the registry: the champion's run carries the data
preparation facts as ``data.*`` tags (start/end month, colour, source, split column), so a
crash or a fresh container cannot lose it. The source is asked directly: an HTTP ``HEAD``
for http(s) mirrors, a file look-up for folders and ``file://`` URLs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

from mlops.utils.data_preparation.months import Month, month_label, parse_month
from mlops.utils.data_preparation.sources import month_location
from mlops.utils.errors import ConfigError, SourceError

# How far ahead one check looks: a source that gained more than a year at once is caught up
# over several runs rather than probed month by month without end.
MAX_MONTHS_AHEAD = 12
HEAD_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TrainedRange:
    """The data the champion was trained and validated on, as its run recorded it."""

    model: str
    version: str
    start_month: str
    end_month: str
    taxi_colour: str
    data_source: str
    split_on_feature: str


def add_months(month: Month, count: int) -> Month:
    """``month`` moved by ``count`` months (negative: back)."""
    index = month[0] * 12 + month[1] - 1 + count
    return index // 12, index % 12 + 1


def months_between(first: Month, last: Month) -> int:
    """How many months ``first``..``last`` spans, both included."""
    return (last[0] - first[0]) * 12 + last[1] - first[1] + 1


def champion_range(client, model: str, alias: str) -> TrainedRange:
    """The champion's recorded data range; ConfigError when there is no champion to compare
    with or its run lacks the facts (registered by a version that did not record them)."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(model, alias)
    except MlflowException:
        raise ConfigError(f"no '{alias}' version of model {model!r} yet: train once first "
                          '(./scripts/run.sh) so retraining knows what it was trained on') from None
    tags = client.get_run(version.run_id).data.tags
    missing = [k for k in ('start_month', 'end_month', 'taxi_colour', 'data_source') if f'data.{k}' not in tags]
    if missing:
        raise ConfigError(f'{model} version {version.version} has no recorded {", ".join(missing)} '
                          '(data.* tags of its run): retrain it with this version of the project')
    return TrainedRange(model=model, version=str(version.version), start_month=tags['data.start_month'],
                        end_month=tags['data.end_month'], taxi_colour=tags['data.taxi_colour'],
                        data_source=tags['data.data_source'],
                        split_on_feature=tags.get('data.split_on_feature', ''))


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
        raise SourceError(f'data source unreachable: HEAD {location.url} failed ({type(error).__name__}: {error})') from None
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):  # S3/CloudFront-style mirrors answer 403 for absent keys
        return False
    raise SourceError(f'data source answered HEAD {location.url} with HTTP {response.status_code}')


def new_months(trained: TrainedRange, source: Optional[str] = None, head: Optional[Callable] = None) -> List[str]:
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
