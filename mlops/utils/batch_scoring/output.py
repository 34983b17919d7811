"""Where scored months go, and how they get there without a reader ever seeing half a file.

``<output>/<colour>/<YYYY-MM>/<model>-v<version>.parquet``: one file per month and model
version, so another version writes a file of its own and never touches this one. A run first
writes every month it scores into its own staging folder (``<output>/.staging/<token>/``, the
same file system), each file under a temporary name renamed when complete; only when every
month is scored does it move them into place, one ``os.replace`` each. A run that fails before
leaves the files in place as they were, and its staging folder is removed (or, if the process
was killed, by a later run once it is a day old).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import List, Optional

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.utils.errors import ConfigError

STAGING = '.staging'
STALE_STAGING_SECONDS = 24 * 3600.0  # a run's staging folder older than this was left by a killed run
# Parquet as written here: the same rows give the same bytes (no timestamp is stored).
COMPRESSION = 'snappy'
_SAFE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,199}')


def scores_file(output: Path, colour: str, month: str, model: str, version: str) -> Path:
    """The file of ``month``'s trips scored by ``model`` version ``version``."""
    if not _SAFE_NAME.fullmatch(model):
        raise ConfigError(
            f'registered model name {model!r} cannot name a file: batch scoring needs letters, digits, ".", "_" or "-"'
        )
    return output / colour / month / f'{model}-v{version}.parquet'


def new_token(run: Optional[object] = None) -> str:
    """A staging folder's name, unique to one run (its Mage run id when it has one)."""
    return f'run-{run if run is not None else "none"}-{uuid.uuid4().hex[:12]}'


def staging_folder(output: Path, token: str) -> Path:
    return output / STAGING / token


def staged_file(output: Path, token: str, final: Path) -> Path:
    """Where a run stages ``final`` (a file under ``output``) until it publishes it."""
    return staging_folder(output, token) / final.relative_to(output)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` (without its index) as Parquet at ``path``: written under a temporary name in
    the same folder, then renamed, so ``path`` is either absent, as it was, or complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f'.{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, temporary, compression=COMPRESSION)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def publish(staged: Path, final: Path) -> None:
    """Moves a staged file into place in one rename (replacing the same version's earlier file
    of the month, which has the same rows)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)


def remove_staging(output: Path, token: str) -> None:
    shutil.rmtree(staging_folder(output, token), ignore_errors=True)


def remove_stale_staging(
    output: Path, max_age: float = STALE_STAGING_SECONDS, now: Optional[float] = None
) -> List[Path]:
    """Staging folders of runs that were killed before they could remove their own (older than
    ``max_age`` seconds); returns those removed."""
    root = output / STAGING
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for folder in root.iterdir():
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > max_age:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except FileNotFoundError:  # another run removed it meanwhile
            continue
    return removed
