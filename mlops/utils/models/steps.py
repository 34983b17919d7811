"""What the training blocks do, for any model family (sklearn classes and XGBoost alike)."""
from __future__ import annotations

import importlib
from typing import Any, Dict, List, Mapping


from mlops.utils.errors import ConfigError
from mlops.utils.models.config import TrainingSettings, model_names, params_for, training_settings
from mlops.utils.models.families import ModelFamily, sklearn_family, xgboost_family
from mlops.utils.models.training_data import TrainingData, unpack_training_set
from mlops.utils.models.tuning import evaluate, tune
from mlops.utils.tracking.mlflow_setup import connect
from mlops.utils.tracking.pyfunc import TripDurationModel
from mlops.utils.tracking.registry import register_and_promote
from mlops.utils.tracking.runs import log_final_model, log_trial, records_from_prepared, start_parent

XGBOOST = 'xgboost'


def family_for(name: str, settings: TrainingSettings) -> ModelFamily:
    if name == XGBOOST:
        return xgboost_family(max_depth=settings.max_depth, early_stopping_rounds=settings.early_stopping_rounds,
                              random_state=settings.random_state)
    return sklearn_family(name)


def check_fixed_params(family: ModelFamily, params: Any) -> Dict[str, Any]:
    """Fixed hyperparameters must be a JSON object of scalars naming known parameters."""
    if not isinstance(params, dict):
        raise ConfigError(f'hyperparameters for {family.name} must be a JSON object, got {params!r}')
    known = set(family.space) | set(family.fixed)
    if family.name != XGBOOST:
        module_name, class_name = family.name.split('.')
        model_class = getattr(importlib.import_module(f'sklearn.{module_name}'), class_name)
        known |= set(model_class().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(f'hyperparameters for {family.name}: unknown {", ".join(unknown)}; '
                          f'known: {", ".join(sorted(known))}')
    odd = [k for k, v in params.items() if not isinstance(v, (int, float, str, bool)) or v is None]
    if odd:
        raise ConfigError(f'hyperparameters for {family.name}: {", ".join(odd)} must be numbers, strings or booleans')
    return params


def plan_models(kwargs: Mapping[str, Any]) -> List[str]:
    """The sklearn models of this run, checked with the other variables and the tracking
    store before anything trains (the ``load_models`` block)."""
    names = model_names(kwargs.get('models'))
    settings = training_settings(kwargs)
    for name in names:
        fixed = params_for(settings, name)
        if fixed is not None:
            check_fixed_params(sklearn_family(name), fixed)
    connect()
    return names


def tune_model(family_name: str, training_set: Dict[str, Any], kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """Tune one family (or take its fixed hyperparameters); every trial is tracked."""
    from mlflow.tracking import MlflowClient

    settings = training_settings(kwargs)
    family = family_for(family_name, settings)
    fixed = params_for(settings, family_name)
    if fixed is not None:
        check_fixed_params(family, fixed)
    experiment_id = connect()
    data = unpack_training_set(training_set)
    client = MlflowClient()
    parent = start_parent(client, experiment_id, family_name, kwargs)
    if fixed is not None:
        client.set_tag(parent, 'tuning', 'skipped: fixed hyperparameters')
        return {'family': family_name, 'params': fixed, 'parent_run_id': parent, 'trials': 0}
    result = tune(family, data, settings.budget(family.default_budget), settings.random_state,
                  on_trial=lambda trial: log_trial(client, parent, trial),
                  max_seconds=settings.max_tuning_seconds)
    client.log_metric(parent, 'best_validation_rmse', result.best_rmse)
    return {'family': family_name, 'params': result.best_params, 'parent_run_id': parent,
            'trials': len(result.trials), 'best_trial_rmse': result.best_rmse}


def data_facts(data: TrainingData, kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """What the final model was trained on, for its MLflow run."""
    facts: Dict[str, Any] = {
        'training_rows': int(data.X_train.shape[0]),
        'validation_rows': int(data.X_val.shape[0]),
        'feature_count': len(data.feature_names),
        'feature_names': data.feature_names,
        'features': ['PU_DO', 'trip_distance'],
    }
    if data.df is not None:
        times = data.df.select_dtypes('datetime')
        if not times.empty:
            column = times.columns[0]
            facts.update({'split_on_feature': column, 'data_start': str(times[column].min()),
                          'data_end': str(times[column].max())})
            if data.df_train is not None and data.df_val is not None:  # the split, as it fell
                facts.update({'training_end': str(times[column].loc[data.df_train.index].max()),
                              'validation_start': str(times[column].loc[data.df_val.index].min())})
    for key in ('split_on_feature_value', 'start_month', 'end_month'):
        if kwargs.get(key):
            facts[key] = str(kwargs[key])
    return facts


def train_and_register(tuning: Dict[str, Any], training_set: Dict[str, Any],
                       kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """Fit the final model with the chosen hyperparameters, log it as a pyfunc, register a
    version and let the registry decide on the champion. Any failure leaves the alias alone."""
    from mlflow.tracking import MlflowClient

    settings = training_settings(kwargs)
    family = family_for(tuning['family'], settings)
    connect()
    data = unpack_training_set(training_set)
    if data.df_val is None:
        raise ConfigError('training_set must include the prepare block (validation rows for the champion check)')
    client = MlflowClient()
    parent = tuning['parent_run_id']
    try:
        estimator, metrics = evaluate(family, tuning['params'], data)
        model = TripDurationModel(data.dv, estimator)
        validation = records_from_prepared(data.df_val).assign(duration=data.y_val.to_numpy())
        run_id, model_uri = log_final_model(
            client, parent, model, {**family.fixed, **tuning['params']}, metrics,
            {'model_family': family.name}, data_facts(data, kwargs), validation,
        )
        promotion = register_and_promote(model_uri, metrics['rmse'], validation)
    except BaseException:
        client.set_terminated(parent, 'FAILED')
        raise
    client.set_terminated(parent)
    return {'family': family.name, 'run_id': run_id, 'version': promotion.version,
            'validation_rmse': metrics['rmse'], 'champion_validation_rmse': promotion.champion_rmse,
            'promoted': promotion.promoted, 'params': tuning['params']}
