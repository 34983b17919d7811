"""Data sources for tests: folders in the upstream layout holding chosen months of the shared
data (links, not copies)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def link_month(source: Path, shared_data: Path, month: str) -> None:
    """Add ``month`` (``YYYY-MM``) of the shared green-taxi data to the folder ``source``."""
    year, number = month.split('-')
    target = source / 'taxi' / 'green' / year / f'{number}.parquet'
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(shared_data / 'taxi' / 'green' / year / f'{number}.parquet')


def months_folder(source: Path, shared_data: Path, months: Iterable[str]) -> Path:
    """A data source holding only ``months``; returns its folder."""
    for month in months:
        link_month(source, shared_data, month)
    return source
