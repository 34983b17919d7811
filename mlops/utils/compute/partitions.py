"""Prepared rows stored as one Parquet file per month, and the matrices and targets built from
them partition by partition: what block outputs hold on the Dask path instead of the data.

A reference is a plain dict in a block output (Mage stores it as JSON) and one of the classes
below in code. Files are written whole or not at all (a temporary name, then a rename), and a
reference is made only after every file of it exists.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import select_features
from mlops.utils.model_code.vectorizer import transform
from mlops.utils.paths import data_dir

PARTITIONED = 'partitioned'  # the key that marks a reference in a block output
TRAINING_ROW = '_training_row'  # a column of every prepared file: the row is before the split value
ALL, TRAIN, VALIDATION = 'all', 'train', 'validation'
PARTITIONS_ENV = 'MLOPS_PARTITIONS_DIR'  # where prepared months go; a folder every worker can read


def partitions_root() -> Path:
    """``MLOPS_PARTITIONS_DIR``, else ``partitions/`` under the state folder (``MLOPS_DATA_DIR``).
    A cluster beyond this machine needs a folder its workers share (NFS, a mounted bucket)."""
    return Path(os.environ.get(PARTITIONS_ENV) or data_dir() / 'partitions').resolve()


# Preparations kept: the newest ones (a training set in use refers to one of them); an older
# one's references fail naming the missing file. One left unfinished goes after a day.
KEEP_PREPARATIONS = 4
UNFINISHED_SECONDS = 86400
# Written into each preparation folder when it is made, naming the state folder it belongs to:
# clean-up removes only folders holding it (MLOPS_PARTITIONS_DIR may be a folder others share).
MARKER = '.mlops-preparation'


def owner() -> str:
    """What a marker names: this platform's state folder (``MLOPS_DATA_DIR``)."""
    return f'mlops preparation of {data_dir()}\n'


def ours(folder: Path) -> bool:
    """``folder`` was made by ``new_preparation_folder`` for this state folder: it holds our
    marker naming it. Anything else (no marker, another owner, unreadable, a link) is not."""
    try:
        return not folder.is_symlink() and folder.is_dir() and (folder / MARKER).read_text() == owner()
    except (OSError, UnicodeDecodeError):
        return False


def new_preparation_folder(manifest: str) -> Path:
    """A new folder for one preparation's files, marked as ours, after removing old ones of ours
    (``manifest``: the file a finished preparation has): beyond the newest ``KEEP_PREPARATIONS``
    finished ones, and unfinished ones older than ``UNFINISHED_SECONDS``. A folder without our
    marker is never touched."""
    root = partitions_root()
    root.mkdir(parents=True, exist_ok=True)
    folders = sorted(filter(ours, root.iterdir()), key=lambda f: f.stat().st_mtime, reverse=True)
    finished = [f for f in folders if (f / manifest).exists()]
    stale = finished[KEEP_PREPARATIONS - 1 :] + [
        f for f in folders if f not in finished and time.time() - f.stat().st_mtime > UNFINISHED_SECONDS
    ]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    folder = root / uuid.uuid4().hex
    folder.mkdir()
    (folder / MARKER).write_text(owner())
    return folder


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` at ``path``, complete or absent: written under a temporary name, then renamed."""
    partial = path.with_name(f'.{path.name}.{uuid.uuid4().hex}.partial')
    try:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class Rows:
    """All prepared rows, or those before the split value (``train``) or the rest (``validation``),
    of the monthly files ``paths`` in month order; ``counts``: rows of the selection per file."""

    paths: Tuple[str, ...]
    selection: str
    counts: Tuple[int, ...]

    @property
    def total(self) -> int:
        return int(sum(self.counts))

    def read(self, index: int, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
        path = self.paths[index]
        wanted = None if columns is None else list(dict.fromkeys([*columns, TRAINING_ROW]))
        try:
            frame = pq.read_table(path, columns=wanted).to_pandas()
        except (OSError, pa.ArrowInvalid) as error:
            raise DataError(f'prepared partition {path} cannot be read (moved or removed?): {error}') from error
        if self.selection != ALL:
            keep = frame[TRAINING_ROW].to_numpy() == (self.selection == TRAIN)
            frame = frame[keep]
        if len(frame) != self.counts[index]:
            raise DataError(
                f'prepared partition {path} has {len(frame)} {self.selection} rows, not {self.counts[index]}'
            )
        return frame.drop(columns=[TRAINING_ROW]).reset_index(drop=True)


def vectorizer_for(feature_names: Sequence[str]) -> DictVectorizer:
    """A fitted DictVectorizer with exactly these (sorted) feature names, as ``fit`` makes one."""
    dv = DictVectorizer()
    dv.feature_names_ = list(feature_names)
    dv.vocabulary_ = {name: i for i, name in enumerate(dv.feature_names_)}
    return dv


@dataclass(frozen=True)
class PartitionedMatrix:
    """The sparse matrix of ``rows`` under the vocabulary ``feature_names``, one block per file."""

    rows: Rows
    feature_names: Tuple[str, ...]
    all_finite: bool = True

    @property
    def shape(self) -> Tuple[int, int]:
        return self.rows.total, len(self.feature_names)

    @property
    def partitions(self) -> int:
        return len(self.rows.paths)

    def block(self, index: int, dv: Optional[DictVectorizer] = None) -> scipy.sparse.csr_matrix:
        """Rows of file ``index`` as the served model's vectorizer encodes them (``transform``)."""
        dv = dv or vectorizer_for(self.feature_names)
        return transform(dv, select_features(self.rows.read(index)))


@dataclass(frozen=True)
class PartitionedTarget:
    """The ``column`` of ``rows``, with the figures the build checks read (range, finiteness)."""

    rows: Rows
    column: str
    low: float
    high: float
    all_finite: bool = True

    def __len__(self) -> int:
        return self.rows.total

    @property
    def shape(self) -> Tuple[int]:
        return (self.rows.total,)

    def block(self, index: int) -> pd.Series:
        return self.rows.read(index, [self.column])[self.column]

    def to_series(self) -> pd.Series:
        """Every value in this process: for the validation month's figures, never the matrices."""
        return pd.concat([self.block(i) for i in range(len(self.rows.paths))], ignore_index=True)


Reference = Any  # Rows | PartitionedMatrix | PartitionedTarget
_KINDS = {'rows': Rows, 'matrix': PartitionedMatrix, 'target': PartitionedTarget}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return list(value) if isinstance(value, tuple) else value


def to_output(reference: Reference) -> Dict[str, Any]:
    """The reference as a block output: a dict of lists, strings and numbers."""
    kind = next(k for k, cls in _KINDS.items() if isinstance(reference, cls))
    return {PARTITIONED: kind, **_plain(asdict(reference))}


def is_reference(output: Any) -> bool:
    return isinstance(output, dict) and output.get(PARTITIONED) in _KINDS


def _rows(fields: Dict[str, Any]) -> Rows:
    return Rows(tuple(fields['paths']), fields['selection'], tuple(int(c) for c in fields['counts']))


def from_output(output: Dict[str, Any]) -> Reference:
    fields = {k: v for k, v in output.items() if k != PARTITIONED}
    if output[PARTITIONED] == 'rows':
        return _rows(fields)
    fields['rows'] = _rows(fields['rows'])
    if 'feature_names' in fields:
        fields['feature_names'] = tuple(fields['feature_names'])
    return _KINDS[output[PARTITIONED]](**fields)


def referenced(output: Any) -> Any:
    """A block output as code uses it: a reference of the Dask path as its class (Mage hands it
    over as a dict), anything else as it is."""
    return from_output(output) if is_reference(output) else output


def is_partitioned(value: Any) -> bool:
    return isinstance(value, tuple(_KINDS.values()))


def gathered(value: Any) -> Any:
    """A reference's data read into this process (the sklearn families train on one machine; the
    validation month's records and targets feed the champion rule); anything else as it is."""
    if isinstance(value, PartitionedMatrix):
        dv = vectorizer_for(value.feature_names)
        return scipy.sparse.vstack([value.block(i, dv) for i in range(value.partitions)], format='csr')
    if isinstance(value, PartitionedTarget):
        return value.to_series()
    if isinstance(value, Rows):
        return pd.concat([value.read(i) for i in range(len(value.paths))], ignore_index=True)
    return value
