"""What the training blocks do, for any model family (sklearn classes and XGBoost alike):
check the variables, tune with every trial tracked, fit, log, register, promote.

Why it is this long: it is the one sequence every training block shares (variables checked, tuning,
the final model, data facts, model card, registration and promotion), for sklearn and XGBoost
alike."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from mlops.utils.compute.cluster import cluster_for
from mlops.utils.errors import ConfigError
from mlops.utils.model_card.card import card_figures
from mlops.utils.model_card.record import failure, publish
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.families import XGBOOST, ModelFamily, sklearn_family, xgboost_family
from mlops.utils.models.training_data import TrainingData, unpack_training_set
from mlops.utils.models.tuning import evaluate, tune, validation_metrics
from mlops.utils.observability.explain import explanation_artifacts
from mlops.utils.tracking.contract import SERVED_TARGET
from mlops.utils.tracking.lineage import training_datasets
from mlops.utils.tracking.mlflow_setup import connect
from mlops.utils.tracking.registry import promote_mode, register_and_promote, registered_model_name
from mlops.utils.tracking.runs import (
    load_best_model,
    log_best_model,
    log_final_model,
    log_trial,
    served_requirements,
    start_parent,
)
from mlops.utils.tracking.schema import FINAL_FIT, MODEL_FAMILY, REPRODUCE_TAG_PREFIX
from mlops.utils.training.config import TrainingSettings, check_target, model_names, params_for, training_settings
from mlops.utils.training.serving_contract import check_serving_contract


def family_for(name: str, settings: TrainingSettings) -> ModelFamily:
    if name == XGBOOST:
        return xgboost_family(
            max_depth=settings.max_depth,
            early_stopping_rounds=settings.early_stopping_rounds,
            num_boost_round=settings.num_boost_round,
            random_state=settings.random_state,
        )
    return sklearn_family(name)


def check_fixed_params(family: ModelFamily, params: Any) -> Dict[str, Any]:
    """Fixed hyperparameters must be a JSON object of scalars naming parameters the family's
    fit takes; they override its fixed settings too (e.g. XGBoost's ``grow_policy``)."""
    if not isinstance(params, dict):
        raise ConfigError(f'hyperparameters for {family.name} must be a JSON object, got {params!r}')
    known = set(family.space) | set(family.fixed) | set(family.accepts)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(
            f'hyperparameters for {family.name}: unknown {", ".join(unknown)}; known: {", ".join(sorted(known))}'
        )
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
    data = unpack_training_set(training_set)
    check_target(training_target(data), settings)
    experiment_id = connect()
    client = MlflowClient()
    parent = start_parent(client, experiment_id, family_name, kwargs)
    if fixed is not None:
        client.set_tag(parent, 'tuning', 'skipped: fixed hyperparameters')
        return {'family': family_name, 'params': fixed, 'parent_run_id': parent, 'trials': 0}
    with cluster_for(data.X_train):  # a training set prepared on Dask trains there
        result = tune(
            family,
            data,
            settings.budget(family.default_budget),
            settings.random_state,
            on_trial=lambda trial: log_trial(client, parent, trial),
            max_seconds=settings.max_tuning_seconds,
        )
    client.log_metric(parent, 'best_validation_rmse', result.best_rmse)
    summary = {
        'family': family_name,
        'params': result.best_params,
        'parent_run_id': parent,
        'trials': len(result.trials),
        'best_trial_rmse': result.best_rmse,
    }
    kept = log_best_model(client, parent, result.best_model)
    if kept:
        summary['best_model'] = kept
    if result.cut_by_time_cap:
        note = (
            f'cut by max_tuning_seconds={settings.max_tuning_seconds}: {len(result.trials)} of '
            f'{result.budget} trials ran; figures depend on the machine'
        )
        client.set_tag(parent, 'tuning', note)
        print(f'WARNING: {family_name} tuning {note}', flush=True)
        summary['tuning_cut'] = note
    return summary


def training_target(data: TrainingData) -> str:
    """The column the training set's targets are: data preparation's record, else their name."""
    recorded = (data.preparation or {}).get('target') or getattr(data.y_train, 'name', None)
    return str(recorded or SERVED_TARGET)


def data_facts(data: TrainingData, estimator: Any) -> Dict[str, Any]:
    """What the final model was trained on: data preparation's own record (months, source,
    split as it fell) and the matrices and features the model saw."""
    facts: Dict[str, Any] = dict(data.preparation or {})
    facts.update(
        {
            'target': training_target(data),  # the registry reads the version's data contract from these
            'training_rows': int(data.X_train.shape[0]),
            'validation_rows': int(data.X_val.shape[0]),
            'feature_count': len(data.feature_names),
            'feature_names': data.feature_names,
            'inputs': INPUT_COLUMNS,
        }
    )
    best_iteration = getattr(estimator, 'best_iteration', None)
    if best_iteration is not None:
        facts['boosting_rounds'] = best_iteration + 1
    return facts


def reproduction(family: ModelFamily, params: Dict[str, Any], estimator: Any) -> Dict[str, str]:
    """The pipeline variables that refit this exact model on the same training set, as run
    tags (``--set hyperparameters=... --set num_boost_round=... --set early_stopping_rounds=0``)."""
    variables = {'hyperparameters': json.dumps(family.parameters(params), sort_keys=True)}
    best_iteration = getattr(estimator, 'best_iteration', None)
    if best_iteration is not None:
        variables.update({'num_boost_round': str(best_iteration + 1), 'early_stopping_rounds': '0'})
    return {f'{REPRODUCE_TAG_PREFIX}{name}': value for name, value in variables.items()}


def final_estimator(
    family: ModelFamily, tuning: Mapping[str, Any], data: TrainingData, client
) -> Tuple[Any, Dict[str, float], str]:
    """(estimator, validation metrics, how it came to be) of the final model. The best trial's
    model when tuning kept one and it gives that trial's validation RMSE again on this training
    set's validation rows (the model a fit with the same hyperparameters gives, already
    fitted); else, saying why, a fit with the chosen hyperparameters."""
    artifact = tuning.get('best_model')
    if artifact:
        try:
            estimator = load_best_model(client, tuning['parent_run_id'], artifact)
            metrics = validation_metrics(estimator, data)
        except Exception as error:  # the fit below gives the same model; say why it ran
            reason = f"the best trial's model could not be read ({type(error).__name__}: {error})"
        else:
            if metrics['rmse'] == tuning.get('best_trial_rmse'):
                return estimator, metrics, f"kept the best trial's model ({artifact} of the tuning run)"
            reason = (
                f"the best trial's model gives validation RMSE {metrics['rmse']!r}, not the trial's "
                f'{tuning.get("best_trial_rmse")!r}'
            )
        print(f'WARNING: {family.name}: {reason}; fitting it again', flush=True)
    estimator, metrics = evaluate(family, tuning['params'], data)
    return estimator, metrics, 'fitted with the chosen hyperparameters'


def model_card_figures(
    model: TripDurationModel,
    data: TrainingData,
    facts: Dict[str, Any],
    validation: Any,
    documents: Dict[str, Any],
    datasets: List[Tuple[Any, str]],
    run: Dict[str, Any],
) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(the model card's figures, None), or (None, why not): computed before the registry
    decides, from the rows and model in hand. A card that cannot be computed is said, never
    raised: the card documents a version, it does not decide whether there is one (see
    ``model_card.record``)."""
    try:
        figures = card_figures(
            model, data, facts, validation, documents, datasets, run, served_requirements(model), training_target(data)
        )
    except Exception as error:
        return None, failure(error)
    return figures, None


def train_and_register(
    tuning: Dict[str, Any], training_set: Dict[str, Any], kwargs: Mapping[str, Any]
) -> Dict[str, Any]:
    """Fit the final model with the chosen hyperparameters, log it as a pyfunc, register a
    version and let the registry decide on the champion. Any failure leaves the alias alone.

    Every version gets a model card (``model_card``): its figures are computed before the
    registry decides and written, with the decision, after it; a card that fails is logged and
    tagged on the version (``model_card_missing``) but changes nothing about the version or the
    champion alias, which depend on the model alone."""
    from mlflow.tracking import MlflowClient

    settings = training_settings(kwargs)
    family = family_for(tuning['family'], settings)
    connect()
    data = unpack_training_set(training_set)
    if data.df_val is None:
        raise ConfigError('training_set must include the prepare block (validation rows for the champion check)')
    check_target(training_target(data), settings)
    client = MlflowClient()
    parent = tuning['parent_run_id']
    try:
        with cluster_for(data.X_train):
            estimator, metrics, fitted = final_estimator(family, tuning, data, client)
            validation = data.validation_records()
            model = TripDurationModel(data.dv, estimator)
            check_serving_contract(model, estimator, data.X_val, validation)
        facts = data_facts(data, estimator)
        tags = {
            MODEL_FAMILY: family.name,
            FINAL_FIT: fitted,
            'preprocessing': family.preprocessing or 'none',
            **reproduction(family, tuning['params'], estimator),
        }
        documents = explanation_artifacts(model, validation)
        datasets = training_datasets(data.df_train, data.df_val, facts, training_target(data))
        run_id, model_uri = log_final_model(
            client,
            parent,
            model,
            family.parameters(tuning['params']),
            metrics,
            tags,
            facts,
            validation,
            documents,
            datasets,
        )
        run = {
            'run_id': run_id,
            'family': family.name,
            'final_fit': fitted,
            'validation_metrics': metrics,
            'tags': tags,
        }
        figures, not_computed = model_card_figures(model, data, facts, validation, documents, datasets, run)
        promotion = register_and_promote(model_uri, metrics['rmse'], validation, promote=settings.promote)
    except BaseException:
        client.set_terminated(parent, 'FAILED')
        raise
    client.set_terminated(parent)
    publish(client, registered_model_name(), promotion, promote_mode(settings.promote), figures, not_computed)
    return {
        'family': family.name,
        'run_id': run_id,
        'version': promotion.version,
        'validation_rmse': metrics['rmse'],
        'champion_validation_rmse': promotion.champion_rmse,
        'promoted': promotion.promoted,
        'role': promotion.role,
        'params': tuning['params'],
    }
