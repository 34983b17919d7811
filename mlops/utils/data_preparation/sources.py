"""Where monthly trip files come from: an http(s) mirror, a ``file://`` URL or a local folder.

All three use the upstream layout ``<base>/taxi/<colour>/<YYYY>/<MM>.parquet``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlparse

from mlops.utils.data_preparation.months import Month
from mlops.utils.errors import ConfigError
from mlops.utils.paths import resolve_local

DEFAULT_SOURCE = 'https://github.com/mage-ai/datasets/raw/master'
SOURCE_ENV_VAR = 'MLOPS_DATA_SOURCE'
# The taxi colour's column prefix (lpep_pickup_datetime, tpep_dropoff_datetime, ...).
COLOUR_PREFIX: Dict[str, str] = {'green': 'lpep', 'yellow': 'tpep'}
COLOURS = tuple(COLOUR_PREFIX)


@dataclass(frozen=True)
class MonthLocation:
    """One month's file: a URL to download, or a local path to read in place."""

    label: str
    url: Optional[str] = None
    path: Optional[Path] = None

    def __str__(self) -> str:
        return self.url or str(self.path)


def default_source() -> str:
    return os.environ.get(SOURCE_ENV_VAR) or DEFAULT_SOURCE


def check_source(base: Any) -> Optional[str]:
    """``data_source`` as text (a path object becomes its text; None and blank mean the default);
    ConfigError for anything else, e.g. a number or a list from ``--vars`` JSON."""
    if isinstance(base, os.PathLike):
        base = os.fspath(base)
    if base is None or (isinstance(base, str) and not base.strip()):
        return None
    if not isinstance(base, str):
        raise ConfigError(
            f'data_source must be text (an http(s):// or file:// URL, or a folder), got {type(base).__name__} {base!r}'
        )
    return base.strip()


def check_colour(colour: str) -> str:
    if colour not in COLOURS:
        raise ConfigError(f'taxi_colour must be one of {", ".join(COLOURS)}, got {colour!r}')
    return colour


def month_location(base: Optional[str], colour: str, month: Month) -> MonthLocation:
    """Where ``month`` of ``colour`` trips lives under ``base`` (default: env var, then upstream)."""
    base = (check_source(base) or default_source()).strip()
    check_colour(colour)
    relative = f'taxi/{colour}/{month[0]:04d}/{month[1]:02d}.parquet'
    label = f'{colour} {month[0]:04d}-{month[1]:02d}'
    scheme = urlparse(base).scheme.lower()
    if scheme in ('http', 'https'):
        return MonthLocation(label, url=f'{base.rstrip("/")}/{relative}')
    if scheme == 'file':
        return MonthLocation(label, path=Path(unquote(urlparse(base).path)) / relative)
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive
        raise ConfigError(f'data source {base!r}: use http(s)://, file:// or a local folder')
    return MonthLocation(label, path=resolve_local(base) / relative)
