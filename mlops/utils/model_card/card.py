"""The card's figures, as one JSON-safe dict, from what the training step holds when a version is
registered: the fitted model, the training set, data preparation's facts, the SHAP summary and
the MLflow datasets already made for the run. Nothing here is computed a second way: the data
contract, digests, drift, SHAP figures and reproduction settings are the project's own.

Why it is this long: it computes every part of the card (data, datasets, drift, SHAP, error slices,
reproduction, intended use), each a small function over what the training step holds; one module
keeps the card's figures in one place.

``card_figures`` runs before the registry decides, ``with_decision`` adds what it decided.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from mlops.utils.compute.partitions import gathered
from mlops.utils.data_preparation.cleaning import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES
from mlops.utils.model_card import slices
from mlops.utils.model_code.features import CATEGORICAL_FEATURES, INPUT_COLUMNS, trip_features
from mlops.utils.observability.explain import ARTIFACT as SHAP_ARTIFACT
from mlops.utils.observability.month_evaluation import REFERENCE_ROWS, Thresholds, evaluate_month
from mlops.utils.tracking.contract import contract_from_facts, feature_contract
from mlops.utils.tracking.schema import REPRODUCE_TAG_PREFIX

SCHEMA_VERSION = 1
FOLDER = 'model_card'
JSON_ARTIFACT = f'{FOLDER}/model_card.json'  # of the version's run; the version tag MODEL_CARD names it
MARKDOWN_ARTIFACT = f'{FOLDER}/model_card.md'
PICKUP_SUFFIX = '_pickup_datetime'  # lpep_ (green) or tpep_ (yellow): the time the hour slices use
DRIFT_KEYS = ('unseen_routes', 'trip_distance', 'predictions')  # evaluate_month's drift figures, by prefix

# What the model is for and where it stops, said once for every card; ``{...}`` are filled from
# the version's own data (``intended_use``).
INTENDED_USE = (
    'Estimates how many minutes a New York City {colour} taxi trip takes from three inputs: its pickup and '
    'dropoff taxi zones (TLC LocationIDs) and its metered distance in miles. For planning and for batch '
    'estimates over many trips like those of {training_months}; its figures are averages, not a promise '
    'for one trip.'
)
LIMITS = (
    'Trained on {colour} taxi trips of {training_months} only: yellow cabs, for-hire vehicles, other '
    'cities and months far from these are outside what it learned.',
    'Trained and validated only on trips of {min_minutes} to {max_minutes} minutes (the cleaning rule drops '
    'the others): its errors below hold for such trips; a trip that really takes hours is predicted as a '
    'short one.',
    'It knows {routes} routes (pickup-dropoff zone pairs) over {zones} zones seen in training; a trip on a '
    'route it never saw is predicted from its distance alone ({unseen} of its validation trips).',
    'No time of day, day of week, weather, events or traffic among its inputs: its error changes with the '
    'hour (see the pickup-hour table) and it cannot follow a change in traffic until it is retrained.',
    'Distances are taken as the taximeter recorded them: an odometer error (the source holds trips of '
    'hundreds of thousands of miles) gives a meaningless prediction.',
    'Not for fares, tips or routing, and not for judging drivers, passengers or any single trip.',
)


class _Served:
    """The fitted ``TripDurationModel`` called as a loaded pyfunc is (``predict(frame)``), for
    monitoring's ``evaluate_month``."""

    def __init__(self, python_model: Any):
        self.python_model = python_model

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.python_model.predict(None, frame)


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, NaN and infinities as None: what
    ``json.dumps`` writes and any JSON reader reads back."""

    def plain(item: Any) -> Any:
        if isinstance(item, dict):
            return {str(k): plain(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [plain(v) for v in item]
        if isinstance(item, np.generic):
            item = item.item()
        if isinstance(item, float) and not np.isfinite(item):
            return None
        if item is None or isinstance(item, (str, int, float, bool)):
            return item
        return str(item)

    return json.loads(json.dumps(plain(value)))


def pickup_column(frame: pd.DataFrame, facts: Mapping[str, Any]) -> Optional[str]:
    """The rows' pickup time: the split column when it is one (data preparation's record), else
    the first ``*_pickup_datetime`` column; None when the rows carry no pickup time."""
    split = str(facts.get('split_on_feature') or '')
    if split.endswith(PICKUP_SUFFIX) and split in frame.columns:
        return split
    return next((c for c in frame.columns if str(c).endswith(PICKUP_SUFFIX)), None)


def pickup_hours(df: Any, df_val: Any, facts: Mapping[str, Any]) -> Optional[np.ndarray]:
    """The validation rows' pickup hour (0-23), in their order. Data preparation drops the split
    column from the validation rows but keeps it in all rows (``df``, same index), so it is read
    there. None when the rows are kept on a Dask cluster (not read back) or carry no pickup time."""
    if not isinstance(df, pd.DataFrame) or not isinstance(df_val, pd.DataFrame):
        return None
    column = pickup_column(df, facts)
    if column is None:
        return None
    return pd.to_datetime(df[column].loc[df_val.index]).dt.hour.to_numpy()


def validation_slices(validation: pd.DataFrame, predictions: np.ndarray, hours, target: str) -> pd.DataFrame:
    """``slices.slice_rows`` of the validation rows: ``validation`` (the records as served, with
    the target), the model's ``predictions`` of them and their pickup ``hours`` (or None)."""
    route = trip_features(validation[INPUT_COLUMNS])[CATEGORICAL_FEATURES[0]]  # the model's own route feature
    return slices.slice_rows(validation[target], predictions, validation['trip_distance'], route, hours)


def drift(python_model: Any, df_train: Any, df_val: Any, target: str, validation_rmse: float) -> Dict[str, Any]:
    """The validation month against the training months as monitoring measures a new month
    (``month_evaluation.evaluate_month``: unseen routes, trip_distance and prediction PSI, KS and
    Wasserstein over a fixed sample of ``REFERENCE_ROWS`` training rows) with monitoring's default
    thresholds. Training rows kept on a Dask cluster are not read back: not computed."""
    if not isinstance(df_train, pd.DataFrame) or not isinstance(df_val, pd.DataFrame):
        return {'computed': False, 'reason': 'training rows kept on a Dask cluster: not read back for drift'}
    thresholds = Thresholds()
    try:
        score = evaluate_month(_Served(python_model), df_train, df_val, validation_rmse, thresholds, 'validation')
    except (KeyError, ValueError) as error:  # rows of another target or without its columns: the rest stands
        return {'computed': False, 'reason': f'{type(error).__name__}: {error}'}
    figures = {k: v for k, v in score.metrics.items() if k.startswith(DRIFT_KEYS)}
    return {
        'computed': True,
        'reference': f'a fixed sample of up to {REFERENCE_ROWS} training rows (seed 0), as monitoring',
        'figures': figures,
        'thresholds': {'unseen_routes': thresholds.unseen_routes, 'psi': thresholds.psi},
        'beyond_thresholds': [b for b in score.breaches if not b.startswith('RMSE')],
    }


def shap_summary(documents: Mapping[str, Any]) -> Dict[str, Any]:
    """The top features by mean |SHAP| from the run's explanation (``explain.explanation``)."""
    explained = documents.get(SHAP_ARTIFACT)
    if explained is None:
        return {'available': False, 'reason': 'not an XGBoost booster: no SHAP values are computed for it'}
    if not explained.get('explained'):
        return {'available': False, 'reason': explained.get('reason', 'not explained')}
    top = explained['top_features']
    return {
        'available': True,
        'method': explained['method'],
        'trips': explained['trips'],
        'artifact': SHAP_ARTIFACT,
        'top_features': [
            {'feature': f, 'mean_abs_minutes': v} for f, v in zip(top['features'], top['mean_abs_minutes'])
        ],
    }


def known_routes(feature_names: Sequence[str]) -> Tuple[int, int]:
    """(routes, zones) in the model's vocabulary: its ``PU_DO=<pu>_<do>`` features."""
    prefix = f'{CATEGORICAL_FEATURES[0]}='
    routes = [name[len(prefix) :] for name in feature_names if name.startswith(prefix)]
    zones = {zone for route in routes for zone in route.split('_')}
    return len(routes), len(zones)


def datasets_part(datasets: Sequence[Tuple[Any, str]], facts: Mapping[str, Any]) -> Dict[str, Any]:
    """Per context (training, validation): the MLflow dataset logged on the run (its name, source
    type, digest of every row) and its rows."""
    rows = {'training': facts.get('training_rows'), 'validation': facts.get('validation_rows')}
    return {
        context: {
            'name': dataset.name,
            'digest': dataset.digest,
            'source': str(getattr(dataset.source, 'uri', None) or facts.get('data_source') or ''),
            'rows': rows.get(context),
        }
        for dataset, context in datasets
    }


def data_part(facts: Mapping[str, Any], datasets: Sequence[Tuple[Any, str]]) -> Dict[str, Any]:
    contract = contract_from_facts(facts, feature_contract())
    kept = (
        'data_source',
        'start_month',
        'end_month',
        'split_on_feature',
        'split_on_feature_value',
        'data_start',
        'training_end',
        'validation_start',
        'data_end',
        'rows_read',
        'dropped_rows',
        'rows',
        'training_rows',
        'validation_rows',
        'feature_count',
    )
    return {
        'taxi_colour': contract.taxi_colour,
        'target': contract.target,
        'target_unit': contract.target_unit,
        'inputs_and_features': contract.features,
        'training_months': contract.training_months,
        'validation_months': contract.validation_months,
        **{k: facts[k] for k in kept if k in facts},
        'datasets': datasets_part(datasets, facts),
        'duration_rule_minutes': [MIN_DURATION_MINUTES, MAX_DURATION_MINUTES],
    }


def reproduction_part(run_tags: Mapping[str, str], facts: Mapping[str, Any], requirements: List[str]):
    """The settings that refit it: the training set's variables, the ``reproduce.*`` pipeline
    variables of its run (``--reproduce VERSION`` reads them) and the packages it was trained with."""
    data_variables = {
        k: facts[k]
        for k in ('data_source', 'taxi_colour', 'start_month', 'end_month', 'split_on_feature_value')
        if facts.get(k) not in (None, '')
    }
    return {
        'data_variables': data_variables,
        'pipeline_variables': {
            k[len(REPRODUCE_TAG_PREFIX) :]: v for k, v in run_tags.items() if k.startswith(REPRODUCE_TAG_PREFIX)
        },
        'packages': list(requirements),
    }


def intended_use(data: Mapping[str, Any], routes: int, zones: int, unseen: Optional[float]) -> Dict[str, Any]:
    """``INTENDED_USE`` and ``LIMITS`` with this version's figures."""
    values = {
        'colour': data.get('taxi_colour') or 'green',
        'training_months': data.get('training_months') or 'its training months',
        'min_minutes': MIN_DURATION_MINUTES,
        'max_minutes': MAX_DURATION_MINUTES,
        'routes': f'{routes:,}',
        'zones': zones,
        'unseen': f'{unseen:.1%}' if unseen is not None else 'an unknown share',
    }
    return {'intended_use': INTENDED_USE.format(**values), 'limits': [limit.format(**values) for limit in LIMITS]}


def card_figures(
    python_model: Any,
    data: Any,
    facts: Mapping[str, Any],
    validation: pd.DataFrame,
    documents: Mapping[str, Any],
    datasets: Sequence[Tuple[Any, str]],
    run: Mapping[str, Any],
    requirements: List[str],
    target: str,
) -> Dict[str, Any]:
    """Everything on the card but the registry's decision. ``data``: the ``TrainingData``;
    ``validation``: its validation records (inputs and ``target``); ``documents``: the JSON
    artifacts logged with the run (the SHAP explanation); ``run``: ``run_id``, ``family``,
    ``final_fit``, ``validation_metrics`` and ``tags`` (the run's, with ``reproduce.*``)."""
    started = time.perf_counter()
    predictions = np.asarray(python_model.predict(None, validation[INPUT_COLUMNS]), dtype=float)
    df_val = gathered(data.df_val)
    rows = validation_slices(validation, predictions, pickup_hours(data.df, df_val, facts), target)
    data_section = data_part(facts, datasets)
    overall = slices.overall(rows)
    drift_section = drift(python_model, data.df_train, df_val, target, overall['rmse'])
    routes, zones = known_routes(data.feature_names)
    unseen = drift_section.get('figures', {}).get('unseen_routes')
    card = {
        'schema': SCHEMA_VERSION,
        'model': {
            'run_id': run['run_id'],
            'family': run['family'],
            'final_fit': run.get('final_fit', ''),
            'validation_metrics': dict(run.get('validation_metrics') or {}),
        },
        'data': {**data_section, 'routes_known': routes, 'zones_known': zones},
        'validation': {'overall': overall, 'slices': slices.all_slices(rows)},
        'explanation': shap_summary(documents),
        'drift': drift_section,
        'reproduction': reproduction_part(run.get('tags') or {}, facts, requirements),
        **intended_use(data_section, routes, zones, unseen),
    }
    card['seconds_to_compute'] = round(time.perf_counter() - started, 3)
    return json_safe(card)


def with_decision(card: Mapping[str, Any], name: str, promotion: Any, mode: str) -> Dict[str, Any]:
    """The card with the registry's decision on the version (a ``registry.Promotion``): the
    champion it was compared with, that champion's RMSE on the same validation rows, the role."""
    version = str(promotion.version)
    decided = dict(card)
    decided['model'] = {**card['model'], 'name': name, 'version': version, 'uri': f'models:/{name}/{version}'}
    decided['decision'] = {
        'promote': mode,
        'champion_before': promotion.champion,
        'champion_rmse_on_same_rows': promotion.champion_rmse,
        'validation_rmse': promotion.rmse,
        'promoted': promotion.promoted,
        'role': promotion.role,
    }
    decided['reproduction'] = {**card['reproduction'], 'command': f'./scripts/run.sh --reproduce {version}'}
    return json_safe(decided)
