"""Downloads with timeouts, retries with backoff and an atomic on-disk cache.

A file enters the cache only after it has been read back as parquet, so a truncated
or wrong download is never re-used, and a killed download leaves only a temporary file.
A cached file damaged later on disk (truncated, bytes overwritten) is found when it is
reused or read (``read_download``), removed and downloaded again, so one bad copy never
fails every later run.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.parquet as pq
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mlops.utils.errors import DataError, SourceError
from mlops.utils.paths import data_dir

RETRY_STATUSES = (429, 500, 502, 503, 504)
# What pyarrow raises for an unreadable file: OSError (truncated, bad compression), ArrowInvalid
# (no parquet footer, bad metadata) and the other ArrowException kinds.
UNREADABLE = (OSError, pa.ArrowException)


def build_session(retries: int = 3, backoff_factor: float = 0.5) -> requests.Session:
    """A session that retries connection errors and 429/5xx answers with exponential backoff."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({'GET'}),
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session


def cache_dir() -> Path:
    return Path(os.environ.get('MLOPS_CACHE_DIR', data_dir() / 'cache' / 'downloads'))


def cache_path_for(url: str, root: Optional[Path] = None) -> Path:
    """One cache file per URL; the readable tail keeps the cache browsable."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    tail = '_'.join(url.rstrip('/').split('/')[-3:])
    return (root or cache_dir()) / f'{digest}_{tail}'


def check_parquet(path: Path, what: str) -> int:
    """Row count of a readable parquet file; DataError naming ``what`` otherwise."""
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as error:  # pyarrow raises several types for bad files
        raise DataError(f'{what} is not a readable parquet file (truncated or wrong format): {error}') from error


def one_line(error: BaseException) -> str:
    """An error's text on one line (Arrow's span several)."""
    return ' '.join(str(error).split())


def read_parquet(path: Path, what: str) -> pa.Table:
    """The whole table at ``path``; DataError naming ``what`` if a part of it cannot be read."""
    try:
        return pq.read_table(path)
    except UNREADABLE as error:
        raise DataError(f'{what} is not a readable parquet file (damaged data): {one_line(error)}') from error


def discard(path: Path, label: str, url: str, error: BaseException) -> None:
    """Remove a damaged cached copy, saying so in the block's log."""
    print(
        f'WARNING: {label}: the cached copy of {url} ({path}) is damaged ({one_line(error)}); downloading it again',
        flush=True,
    )
    path.unlink(missing_ok=True)


def fetch(
    url: str,
    label: str,
    session: Optional[requests.Session] = None,
    timeout: float = 60.0,
    cache_root: Optional[Path] = None,
) -> Path:
    """Path of a verified local copy of ``url``, downloading it once (again if the cached
    copy no longer has a readable parquet footer)."""
    target = cache_path_for(url, cache_root)
    if target.exists():
        try:
            check_parquet(target, f'{label} (cached {url})')
            return target
        except DataError as error:
            discard(target, label, url, error.__cause__ or error)
    session = session or build_session()
    try:
        response = session.get(url, timeout=timeout, stream=True)
    except requests.RequestException as error:
        raise SourceError(f'{label}: could not download {url}: {error}') from error
    with response:
        if response.status_code != 200:
            raise SourceError(f'{label}: GET {url} answered HTTP {response.status_code}')
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix='.partial-', suffix='.parquet')
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, 'wb') as handle:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    handle.write(chunk)
            check_parquet(tmp, f'{label} ({url})')
            os.replace(tmp, target)
        except requests.RequestException as error:
            raise SourceError(f'{label}: download of {url} broke off: {error}') from error
        finally:
            tmp.unlink(missing_ok=True)
    return target


def read_download(
    url: str,
    label: str,
    session: Optional[requests.Session] = None,
    timeout: float = 60.0,
    cache_root: Optional[Path] = None,
) -> pa.Table:
    """``url``'s table from the cache (``fetch``). A cached copy whose data cannot be read is
    downloaded again once; if the fresh copy cannot be read either, it leaves the cache too
    and the DataError names the month and URL."""
    path = fetch(url, label, session=session, timeout=timeout, cache_root=cache_root)
    try:
        return pq.read_table(path)
    except UNREADABLE as error:
        discard(path, label, url, error)
    path = fetch(url, label, session=session, timeout=timeout, cache_root=cache_root)
    try:
        return read_parquet(path, f'{label} ({url})')
    except DataError:
        path.unlink(missing_ok=True)
        raise
