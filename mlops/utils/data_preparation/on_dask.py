"""Data preparation on a Dask cluster (``compute=dask``): the same rows, matrices and checks as
the pandas path, with the data on the workers and on disk.

- ``prepare_on_dask``: one task per month reads, cleans and builds the features on a worker
  (``prepared_rows``, the pandas path's own function: the same rows dropped, counted the same
  way) and writes the month to a Parquet file with the split marked; the block gets references
  (``compute.partitions.Rows``) and the months' cleaning reports.
- ``build_on_dask``: the vocabulary is a distributed unique of each selection's categories; the
  matrices and targets are references with the figures the ``@test`` checks read, computed on
  the workers. No process but a worker holds a month's rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from mlops.utils.compute.cluster import dask_client
from mlops.utils.compute.partitions import (
    ALL,
    TRAIN,
    TRAINING_ROW,
    VALIDATION,
    PartitionedMatrix,
    PartitionedTarget,
    Rows,
    new_preparation_folder,
    referenced,
    to_output,
    write_parquet,
)
from mlops.utils.data_preparation.cleaning import CleaningReport
from mlops.utils.data_preparation.encoders import vectorizer_from_distinct
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.months import month_range
from mlops.utils.data_preparation.sources import default_source, month_location
from mlops.utils.data_preparation.splitters import training_rows
from mlops.utils.data_preparation.steps import TrainingSets, cleaning_facts, prepared_rows
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import CATEGORICAL_FEATURES, NUMERICAL_FEATURES

SELECTIONS = (ALL, TRAIN, VALIDATION)
MONTH_LIST_COLUMNS = ('month', 'location')  # the ingest block's output on the Dask path
MANIFEST = 'figures.json'  # beside the months' files, written once every month is complete


def prepare_month(month: str, path: str, variables: Mapping[str, Any]) -> Dict[str, Any]:
    """On a worker: one month read, cleaned and featurized as the pandas path does it, the rows
    before the split value marked, written whole to ``path``; returns its figures (with its
    cleaning report)."""
    raw = ingest_files(month, month, colour=variables['taxi_colour'], source=variables['data_source'])
    prepared, split_column, cleaning = prepared_rows(raw, variables['split_on_feature'], variables['target'])
    prepared[TRAINING_ROW] = training_rows(prepared, split_column, variables['split_on_feature_value'])
    write_parquet(prepared, Path(path))
    is_train = prepared[TRAINING_ROW].to_numpy()
    times = prepared[split_column]
    figures: Dict[str, Any] = {'month': month, 'path': path, 'split_column': split_column, 'cleaning': cleaning}
    for selection, keep in ((ALL, np.ones(len(prepared), bool)), (TRAIN, is_train), (VALIDATION, ~is_train)):
        part = prepared[keep]
        target = part[variables['target']].to_numpy(dtype=float)
        features = part[NUMERICAL_FEATURES].to_numpy(dtype=float)
        figures[selection] = {
            'rows': int(keep.sum()),
            'features_finite': bool(np.isfinite(features).all()),
            'target_finite': bool(np.isfinite(target).all()),
            'target_low': float(target.min()) if len(target) else None,
            'target_high': float(target.max()) if len(target) else None,
            'time_low': str(times[keep].min()) if keep.any() else None,
            'time_high': str(times[keep].max()) if keep.any() else None,
        }
    return figures


def prepare_on_dask(client, variables: Mapping[str, Any]) -> Tuple[Rows, Rows, Rows]:
    """``(df, df_train, df_val)`` as references to one Parquet file per month; the months'
    figures go beside them (``MANIFEST``, written last). DataError if a set is empty."""
    months = [
        f'{year:04d}-{month:02d}' for year, month in month_range(variables['start_month'], variables['end_month'])
    ]
    folder = new_preparation_folder(MANIFEST)
    # resolved here: a worker on another machine has none of this process's environment
    resolved = {**variables, 'data_source': variables.get('data_source') or default_source()}
    futures = client.map(
        prepare_month,
        months,
        [str(folder / f'{month}.parquet') for month in months],
        variables=resolved,
        key=[f'prepare-month-{month}-{folder.name}' for month in months],
        pure=False,
    )
    figures: List[Dict[str, Any]] = client.gather(futures)
    paths = tuple(f['path'] for f in figures)
    selections = tuple(Rows(paths, s, tuple(f[s]['rows'] for f in figures)) for s in SELECTIONS)
    split = f'{figures[0]["split_column"]} < {variables["split_on_feature_value"]!r}'
    for rows in selections[1:]:
        if rows.total == 0:
            name = 'training' if rows.selection == TRAIN else 'validation'
            raise DataError(f'splitting {selections[0].total} rows on {split} leaves the {name} set empty')
    partial = folder / f'.{MANIFEST}.partial'
    partial.write_text(json.dumps(figures))
    os.replace(partial, folder / MANIFEST)
    return selections


def months_figures(rows: Rows) -> List[Dict[str, Any]]:
    """The figures ``prepare_on_dask`` wrote beside ``rows``' files; DataError if the preparation
    never completed (no manifest: its files are not to be read)."""
    manifest = Path(rows.paths[0]).parent / MANIFEST
    try:
        return json.loads(manifest.read_text())
    except (OSError, ValueError) as error:
        raise DataError(f'the prepared months at {manifest.parent} are incomplete (no readable {MANIFEST})') from error


def cleaning_report(figures: List[Dict[str, Any]]) -> CleaningReport:
    """The months' cleaning reports as one, in month order (as the pandas path's)."""
    return {month: counts for f in figures for month, counts in (f.get('cleaning') or {}).items()}


def preparation_facts_on_dask(
    selections: Tuple[Rows, Rows, Rows],
    variables: Mapping[str, Any],
    cleaning: Optional[CleaningReport] = None,
) -> Dict[str, Any]:
    """``steps.preparation_facts`` from the months' figures (the same keys and values)."""
    figures = months_figures(selections[0])
    facts: Dict[str, Any] = {
        k: variables[k]
        for k in ('start_month', 'end_month', 'taxi_colour', 'data_source', 'split_on_feature_value', 'target')
        if k in variables
    }
    facts['data_source'] = variables.get('data_source') or default_source()
    facts['split_on_feature'] = figures[0]['split_column']
    facts.update({'rows': selections[0].total, 'training_rows': selections[1].total})
    facts['validation_rows'] = selections[2].total

    def edge(selection: str, bound: str, pick) -> str:
        values = [f[selection][bound] for f in figures if f[selection][bound] is not None]
        return str(pick(pd.Timestamp(v) for v in values))

    facts.update(
        {
            'data_start': edge(ALL, 'time_low', min),
            'data_end': edge(ALL, 'time_high', max),
            'training_end': edge(TRAIN, 'time_high', max),
            'validation_start': edge(VALIDATION, 'time_low', min),
        }
    )
    facts.update(cleaning_facts(cleaning))
    return facts


def _distinct(rows: Rows, index: int, column: str) -> pd.DataFrame:
    return rows.read(index, [column])[[column]].drop_duplicates()


def distinct_categories(client, rows: Rows) -> Dict[str, np.ndarray]:
    """Per categorical feature, its distinct values in ``rows``: a Dask unique over the files."""
    import dask.dataframe as dd

    distinct = {}
    for column in CATEGORICAL_FEATURES:
        meta = pd.DataFrame({column: pd.Series([], dtype=object)})
        frame = dd.from_map(_distinct, [rows] * len(rows.paths), range(len(rows.paths)), column=column, meta=meta)
        distinct[column] = client.compute(frame[column].unique()).result().to_numpy()
    return distinct


def _figures(figures: List[Dict[str, Any]], selection: str, key: str) -> List[Any]:
    return [f[selection][key] for f in figures if f[selection]['rows']]


def build_on_dask(client, selections: Tuple[Rows, Rows, Rows], target: str) -> TrainingSets:
    """The seed's seven outputs as references; X has its own vocabulary, as in the seed, and
    X_train and X_val share the training set's (``dv``, a real fitted DictVectorizer)."""
    figures = months_figures(selections[0])
    whole_dv, train_dv = (
        vectorizer_from_distinct(distinct_categories(client, rows), NUMERICAL_FEATURES) for rows in selections[:2]
    )
    names = (tuple(whole_dv.feature_names_), tuple(train_dv.feature_names_), tuple(train_dv.feature_names_))
    matrices, targets = [], []
    for rows, feature_names in zip(selections, names):
        finite = all(_figures(figures, rows.selection, 'features_finite'))
        matrices.append(PartitionedMatrix(rows, feature_names, finite))
        targets.append(
            PartitionedTarget(
                rows,
                target,
                float(min(_figures(figures, rows.selection, 'target_low'))),
                float(max(_figures(figures, rows.selection, 'target_high'))),
                all(_figures(figures, rows.selection, 'target_finite')),
            )
        )
    return TrainingSets(*matrices, *targets, train_dv)


def months_to_prepare(variables: Mapping[str, Any]) -> pd.DataFrame:
    """The ingest block's output on the Dask path: which months the workers will read, and from
    where (the rows themselves are read by ``prepare_on_dask``'s tasks)."""
    months = month_range(variables['start_month'], variables['end_month'])
    colour, source = variables['taxi_colour'], variables.get('data_source')
    month, location = MONTH_LIST_COLUMNS
    return pd.DataFrame(
        {
            month: [f'{year:04d}-{number:02d}' for year, number in months],
            location: [str(month_location(source, colour, m)) for m in months],
        }
    )


def prepare_outputs(variables: Mapping[str, Any]) -> Tuple[Dict[str, Any], ...]:
    """The prepare block's four outputs on the Dask path: references to the prepared months,
    then what cleaning dropped per month and reason (as the pandas path's fourth output)."""
    with dask_client() as client:
        selections = prepare_on_dask(client, variables)
    return (*(to_output(rows) for rows in selections), cleaning_report(months_figures(selections[0])))


def build_outputs(prepared: Sequence[Any], variables: Mapping[str, Any]) -> Tuple[Any, ...]:
    """The build block's eight outputs on the Dask path: six references, the fitted vectorizer
    and what this preparation used (the cleaning counts from the months' figures)."""
    selections = tuple(referenced(output) for output in prepared[:3])
    with dask_client() as client:
        sets = build_on_dask(client, selections, variables['target'])
    cleaning = cleaning_report(months_figures(selections[0]))
    return (
        *(to_output(reference) for reference in sets[:6]),
        sets.dv,
        preparation_facts_on_dask(selections, variables, cleaning),
    )
