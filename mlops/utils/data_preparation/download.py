"""Downloads with timeouts, retries with backoff and an atomic on-disk cache.

A file enters the cache only after it has been read back as parquet, so a truncated
or wrong download is never re-used, and a killed download leaves only a temporary file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Optional

import pyarrow.parquet as pq
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mlops.utils.errors import DataError, SourceError
from mlops.utils.paths import data_dir

RETRY_STATUSES = (429, 500, 502, 503, 504)


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


def fetch(
    url: str,
    label: str,
    session: Optional[requests.Session] = None,
    timeout: float = 60.0,
    cache_root: Optional[Path] = None,
) -> Path:
    """Path of a verified local copy of ``url``, downloading it once."""
    target = cache_path_for(url, cache_root)
    if target.exists():
        return target
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
