"""The staged source: a folder in the upstream layout (``<staged>/taxi/green/YYYY/MM.parquet``)
where the months of the full archive arrive one at a time. Everything the server does reads it
(the champion's ``data.data_source`` tag is this folder, and the server's ``MLOPS_DATA_SOURCE``).

A month arrives atomically: linked (a folder on the same file system), copied, or downloaded (an
http(s) archive) to a temporary name beside its place, then renamed into it, so a sensor asking
for it sees either no file or the whole file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import List

from mlops.utils.data_preparation.months import month_label, parse_month
from mlops.utils.data_preparation.sources import month_location
from mlops.utils.errors import ConfigError, SourceError

COLOUR = 'green'  # the replay tells the green taxis' story, as the main job's default does


def month_path(staged: Path, month: str) -> Path:
    year, number = parse_month(month)
    return staged / 'taxi' / COLOUR / f'{year:04d}' / f'{number:02d}.parquet'


def source_months(source: str) -> List[str]:
    """Every month a folder source holds, oldest first; ConfigError for an http(s) archive (it
    cannot be listed: give ``--months``) or a folder with none."""
    location = month_location(source, COLOUR, (2000, 1))
    if location.path is None:
        raise ConfigError(f'{source} is a URL, which cannot be listed: give --months FIRST..LAST')
    base = location.path.parents[1]  # <source>/taxi/green
    months = sorted(
        month_label((int(path.parent.name), int(path.stem)))
        for path in base.glob('[0-9][0-9][0-9][0-9]/[0-9][0-9].parquet')
    )
    if not months:
        raise ConfigError(f'no {COLOUR} months under {base} (expected <source>/taxi/{COLOUR}/YYYY/MM.parquet)')
    return months


def arrived(staged: Path) -> List[str]:
    """The months at the staged source now."""
    base = staged / 'taxi' / COLOUR
    return sorted(month_label((int(p.parent.name), int(p.stem))) for p in base.glob('*/*.parquet'))


def arrive(source: str, staged: Path, month: str) -> Path:
    """Make ``month`` of ``source`` arrive at ``staged`` (nothing to do when it is there)."""
    target = month_path(staged, month)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f'.{target.name}.arriving')
    partial.unlink(missing_ok=True)
    location = month_location(source, COLOUR, parse_month(month))
    if location.path is not None:
        if not location.path.is_file():
            raise SourceError(f'{month}: no file at {location.path}')
        try:
            os.link(location.path, partial)
        except OSError:  # another file system, or links not allowed: a copy
            shutil.copyfile(location.path, partial)
    else:
        _download(location.url, partial)
    os.replace(partial, target)
    return target


def _download(url: str, path: Path) -> None:
    import requests

    try:
        with requests.get(url, stream=True, timeout=60) as response:
            if response.status_code != 200:
                raise SourceError(f'GET {url} answered HTTP {response.status_code}')
            with open(path, 'wb') as out:
                for chunk in response.iter_content(1 << 20):
                    out.write(chunk)
    except requests.RequestException as error:
        raise SourceError(f'GET {url} failed ({type(error).__name__}: {error})') from None
