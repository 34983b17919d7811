"""What a caller of an API trigger may set, and the bounds of what it sets: one place for both.

Whoever holds an API trigger's URL (its token) can post any variables, and Mage hands them to
the blocks beside the operator's own. So before any work starts, the variables a request to
``retrain_now`` or ``predict_api`` carried are checked here: a name not listed for the trigger
is refused; the training budgets posted in ``sklearn_variables`` / ``xgboost_variables`` have
maxima, and nothing else is taken there (not fixed ``hyperparameters``, which skip the budgets,
nor a variable that decides what the registry does with the model); a ``data_source``
is refused unless the operator sets ``MLOPS_API_ALLOW_DATA_SOURCE=on`` (otherwise the server
would fetch from wherever the caller points it). The operator's own settings (pipeline defaults,
``MLOPS_DATA_SOURCE``, time triggers, the runner) are not limited by these lists.
``child_timeout_seconds`` is bounded on every run: it is read as a number whoever sets it.

Predict's values are checked by ``inference/inputs.py``; here only its names.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object
from mlops.utils.orchestration.variables import bounded_number
from mlops.utils.pipelines import ApiTriggerName

ALLOW_DATA_SOURCE_ENV = 'MLOPS_API_ALLOW_DATA_SOURCE'

# The variables a request to each API trigger may carry (each one a variable its pipeline
# declares; tests/utils/triggering/test_api_variables.py keeps them so).
ALLOWED: Dict[ApiTriggerName, Tuple[str, ...]] = {
    pipelines.RETRAIN_NOW: (
        'data_source',
        'sklearn_variables',
        'xgboost_variables',
        'child_timeout_seconds',
        'requested_by',
    ),
    pipelines.PREDICT_API: ('inputs', 'PULocationID', 'DOLocationID', 'trip_distance'),
}

# retrain_now's training variables: what each training pipeline takes from an API call.
TRAINING_ALLOWED: Dict[str, Tuple[str, ...]] = {
    'sklearn_variables': ('models', 'max_evaluations', 'random_state', 'max_tuning_seconds'),
    'xgboost_variables': (
        'max_evaluations',
        'random_state',
        'early_stopping_rounds',
        'num_boost_round',
        'max_depth',
        'max_tuning_seconds',
    ),
}
# Inclusive bounds of the whole-number training variables posted to retrain_now. The maxima
# keep one request from buying hours of the server's CPU: the defaults are 2-15 trials per
# family, 1000 boosting rounds, depth up to 100 and a 1800 s tuning net; random_state is a
# numpy seed, which must fit in 32 bits.
TRAINING_BOUNDS: Dict[str, Tuple[int, int]] = {
    'max_evaluations': (1, 100),
    'random_state': (0, 2**32 - 1),
    'early_stopping_rounds': (0, 1000),
    'num_boost_round': (1, 10_000),
    'max_depth': (4, 100),
    'max_tuning_seconds': (1, 7200),
}

# Who asked for a retraining and why (monitoring writes it; a person may): text, kept short.
REQUESTED_BY = 'requested_by'
REQUESTED_BY_MAX_CHARS = 2000


def requested_by(variables: Mapping[str, Any]) -> str:
    """``requested_by`` as stripped text ('' when unset); ConfigError when it is not text or
    longer than ``REQUESTED_BY_MAX_CHARS``."""
    value = variables.get(REQUESTED_BY)
    if value in (None, ''):
        return ''
    if not isinstance(value, str) or len(value) > REQUESTED_BY_MAX_CHARS:
        raise ConfigError(
            f'{REQUESTED_BY} must be text of at most {REQUESTED_BY_MAX_CHARS} characters, got {value!r:.80}'
        )
    return value.strip()


# How long retraining waits for each child run, whoever sets it: at least a minute (a child
# cannot even start in less), at most a day (the daily trigger's own run stops after 6 h).
DEFAULT_CHILD_TIMEOUT_SECONDS = 7200.0
CHILD_TIMEOUT_BOUNDS = (60.0, 86_400.0)


def child_timeout_seconds(variables: Mapping[str, Any]) -> float:
    """``child_timeout_seconds`` (default 7200) within ``CHILD_TIMEOUT_BOUNDS``; ConfigError
    naming it otherwise (a NaN timeout would never fire, ``abc`` would crash mid-run)."""
    value = variables.get('child_timeout_seconds')
    if value in (None, ''):
        return DEFAULT_CHILD_TIMEOUT_SECONDS
    return float(bounded_number(value, 'child_timeout_seconds', *CHILD_TIMEOUT_BOUNDS))


def json_object(value: Any, name: str) -> Dict[str, Any]:
    """A variable holding a JSON object, as a dict or its text (forms send text); empty: {}."""
    if value in (None, ''):
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return parse_json_object(str(value), name, example='{"max_evaluations": 10}')


def data_source_allowed(environ: Mapping[str, str] = os.environ) -> bool:
    value = environ.get(ALLOW_DATA_SOURCE_ENV, 'off').strip().lower() or 'off'
    if value not in ('on', 'off'):
        raise ConfigError(f'{ALLOW_DATA_SOURCE_ENV} must be on or off, got {value!r}')
    return value == 'on'


def _check_models(name: str, value: Any) -> None:
    """Comma-separated sklearn family names (text or a list), as ``sklearn_training`` reads them."""
    from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS  # here: predict never imports hyperopt

    names = value.split(',') if isinstance(value, str) else value
    names = [str(n).strip() for n in names if str(n).strip()] if isinstance(names, list) else None
    if not names or any(n not in DEFAULT_SKLEARN_MODELS for n in names):
        raise ConfigError(
            f'{name} must be comma-separated names from {", ".join(DEFAULT_SKLEARN_MODELS)}, got {value!r:.200}'
        )


def _check_training(name: str, value: Any) -> None:
    own = json_object(value, name)
    allowed = TRAINING_ALLOWED[name]
    refused = sorted(set(own) - set(allowed))
    if refused:
        raise ConfigError(
            f'{name}: {", ".join(refused)} cannot be set through an API trigger; it takes {", ".join(allowed)}'
        )
    for key, item in own.items():
        if item in (None, ''):
            continue  # the training pipeline's default
        if key == 'models':
            _check_models(f'{name}.models', item)
        else:
            bounded_number(item, f'{name}.{key}', *TRAINING_BOUNDS[key], whole=True)


def check_posted(trigger: ApiTriggerName, posted: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> None:
    """The variables a request to ``trigger`` carried, against its allow-list and bounds;
    ConfigError naming the first refused one."""
    allowed = ALLOWED[trigger]
    unknown = sorted(set(posted) - set(allowed))
    if unknown:
        raise ConfigError(
            f'{trigger.trigger} takes no variable(s) {", ".join(unknown)} through the API; '
            f'it takes {", ".join(allowed)}'
        )
    if trigger != pipelines.RETRAIN_NOW:
        return
    source = posted.get('data_source')
    if source not in (None, '') and not data_source_allowed(environ):
        raise ConfigError(
            f'data_source cannot be set through the API (got {source!r:.200}): the operator allows it with '
            f'{ALLOW_DATA_SOURCE_ENV}=on; without it retraining reads the source the champion was trained from'
        )
    if source not in (None, '') and not isinstance(source, str):
        raise ConfigError(f'data_source must be a URL or folder, got {source!r:.80}')
    child_timeout_seconds(posted)
    requested_by(posted)
    for name in TRAINING_ALLOWED:
        _check_training(name, posted.get(name))


def posted_variables(run_id: Any) -> Dict[str, Any]:
    """What the request that created Mage run ``run_id`` carried: its stored ``variables`` and
    ``event_variables`` (Mage hands both to the blocks), less the partition Mage adds itself."""
    from mlops.utils.orchestration.mage_internals import run_variables

    posted = run_variables(run_id)
    if posted is None:
        raise ConfigError(f'pipeline run {run_id!r} not found: cannot check the variables posted to it')
    posted.pop('execution_partition', None)
    return posted


def check_api_run(
    trigger: ApiTriggerName,
    variables: Mapping[str, Any],
    posted_of: Optional[Callable[[Any], Dict[str, Any]]] = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """When this run came through ``trigger`` (Mage's ``trigger_name`` among the block's
    variables), the variables its request carried go through ``check_posted``; other runs
    (time triggers, the UI, the runner) are the operator's and pass."""
    if variables.get('trigger_name') == trigger.trigger:
        posted = (posted_of or posted_variables)(variables.get('pipeline_run_id'))
        check_posted(trigger, posted, environ)
