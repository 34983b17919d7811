"""Which data a run read, in MLflow's own terms: datasets logged with ``mlflow.log_input``, so
"which data made the champion?" is answered through MLflow's API (``run.inputs``) alone.

A dataset here is the rows a step really used (a training set's rows after cleaning, the
model's inputs and its target), named by colour, months and role, with the data source as its
source and a digest of every row. MLflow's own digest of a pandas frame hashes a sample of it;
``rows_digest`` hashes them all, so two sets that differ in one trip differ in digest.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

import pandas as pd

TRAINING, VALIDATION = 'training', 'validation'  # the contexts of log_input
MONITORED = 'monitored'  # a month monitoring scored the champion on
DIGEST_LENGTH = 32  # MLflow stores at most 36 characters of a digest


def rows_digest(frame: pd.DataFrame) -> str:
    """SHA-256 over every row (index and values, in order) and the column names: the same rows
    give the same digest on any machine, one changed value another."""
    return parts_digest(frame.columns, [frame], renumber=False)


def parts_digest(columns: Sequence[Any], parts: Iterable[pd.DataFrame], renumber: bool = True) -> str:
    """``rows_digest`` of the parts' concatenation (``pd.concat(parts, ignore_index=True)`` with
    ``renumber``), reading one part at a time: rows kept in monthly files (the Dask path) get
    the digest the same rows in one frame get."""
    digest = hashlib.sha256('\x1f'.join(map(str, columns)).encode())
    offset = 0
    for part in parts:
        if renumber:
            part = part.set_axis(pd.RangeIndex(offset, offset + len(part)))
        digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        offset += len(part)
    return digest.hexdigest()[:DIGEST_LENGTH]


def dataset_name(facts: Mapping[str, Any], role: str) -> str:
    """``green 2024-01..2024-02 training``: colour, the months data preparation read, role."""
    months = f'{facts.get("start_month", "?")}..{facts.get("end_month", "?")}'
    return f'{facts.get("taxi_colour", "green")} {months} {role}'


def rows_dataset(frame: pd.DataFrame, facts: Mapping[str, Any], role: str, target: Optional[str] = None):
    """An MLflow dataset of ``frame``'s rows: its source the data source the rows came from."""
    from mlflow.data.pandas_dataset import from_pandas

    return from_pandas(
        frame,
        source=str(facts.get('data_source') or 'unknown'),
        targets=target if target in frame.columns else None,
        name=dataset_name(facts, role),
        digest=rows_digest(frame),
    )


def trips_datasets(frames: Sequence[Tuple[str, Any, Mapping[str, Any]]], target: str) -> List[Tuple[Any, str]]:
    """(dataset, context) per (role, rows, facts) of ``frames``: the model's inputs and the target
    of rows as data preparation makes them, a frame or the Dask path's monthly files (``Rows``:
    read a month and four columns at a time, for the digest and the count); other values
    (frames without those columns) give none."""
    from mlops.utils.compute.partitions import Rows
    from mlops.utils.model_code.features import INPUT_COLUMNS

    columns = [*INPUT_COLUMNS, target]
    datasets = []
    for role, rows, facts in frames:
        if isinstance(rows, pd.DataFrame) and all(column in rows.columns for column in columns):
            datasets.append((rows_dataset(rows[columns], facts, role, target), role))
        elif isinstance(rows, Rows):
            parts = (rows.read(i, columns)[columns] for i in range(len(rows.paths)))
            digest = parts_digest(columns, parts)
            datasets.append((counted_dataset(facts, role, digest, rows.total), role))
    return datasets


def training_datasets(df_train: Any, df_val: Any, facts: Mapping[str, Any], target: str) -> List[Tuple[Any, str]]:
    """(dataset, context) for a training run's training and validation rows: the model's inputs
    and the target, as data preparation handed them over (frames, or files on the Dask path)."""
    return trips_datasets(((TRAINING, df_train, facts), (VALIDATION, df_val, facts)), target)


def counted_dataset(facts: Mapping[str, Any], role: str, digest: str, rows: int):
    """An MLflow dataset of rows this process never held whole: its source, name and digest as
    ``rows_dataset`` gives them, and the row count in MLflow's profile."""
    import json

    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    class CountedDataset(MetaDataset):
        def to_dict(self):
            return {**super().to_dict(), 'profile': json.dumps({'num_rows': rows})}

        @property
        def profile(self):
            return {'num_rows': rows}

    source = resolve_dataset_source(str(facts.get('data_source') or 'unknown'))
    return CountedDataset(source, name=dataset_name(facts, role), digest=digest)


def file_dataset(location: str, name: str, digest: str):
    """An MLflow dataset known by its file and digest alone (no rows in this process): what a
    run read where the rows stayed elsewhere, as a batch-scoring month on a Dask worker."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    return MetaDataset(resolve_dataset_source(location), name=name, digest=digest)


def log_datasets(run_id: str, datasets: Sequence[Tuple[Any, str]]) -> None:
    """``datasets`` ((dataset, context)) logged as inputs of the existing run ``run_id``, still
    open (its status is set by the caller after)."""
    if not datasets:
        return
    import mlflow

    with mlflow.start_run(run_id=run_id):
        for dataset, context in datasets:
            mlflow.log_input(dataset, context=context)
