"""Pipeline variables of the training pipelines, validated before any training time is spent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object
from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS, sklearn_class
from mlops.utils.tracking.contract import SERVED_TARGET, DataContract, target_unit, unserved_target
from mlops.utils.tracking.registry import AUTO, NEVER, promote_mode
from mlops.utils.tracking.schema import CHAMPION


def model_names(value: Any) -> List[str]:
    """The ``models`` variable: comma-separated ``module.Class`` names; empty means all six."""
    if value in (None, ''):
        return list(DEFAULT_SKLEARN_MODELS)
    names = [n.strip() for n in (value.split(',') if isinstance(value, str) else value) if str(n).strip()]
    if not names:
        raise ConfigError('models names no model; give module.Class names or leave it empty for all')
    for name in names:
        sklearn_class(name)  # raises ConfigError naming an unknown one
    return names


def whole_number(kwargs: Mapping, name: str, default: Optional[int], minimum: int = 0) -> Optional[int]:
    value = kwargs.get(name)
    if value in (None, ''):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f'{name} must be a whole number, got {value!r}') from None
    if number < minimum:
        raise ConfigError(f'{name} must be at least {minimum}, got {number}')
    return number


def fixed_hyperparameters(kwargs: Mapping) -> Optional[Dict[str, Any]]:
    """The ``hyperparameters`` variable: a JSON object (or dict); set, it replaces tuning."""
    value = kwargs.get('hyperparameters')
    if value in (None, '', {}):
        return None
    if isinstance(value, str):
        return parse_json_object(value, 'hyperparameters')
    if not isinstance(value, dict):
        raise ConfigError(f'hyperparameters must be a JSON object, got {value!r}')
    return value


# Defaults of the training pipelines' variables (each pipeline's metadata.yaml declares the
# ones it takes, with these values; a test keeps them equal). Empty means "not set".
DEFAULTS: Dict[str, Any] = {
    'models': '',  # all six sklearn families
    'max_evaluations': '',  # each family's default budget, in trials
    'random_state': 42,
    'hyperparameters': '',
    'early_stopping_rounds': 20,  # 0: no early stopping
    'num_boost_round': 1000,
    'max_depth': 100,
    # A safety net, far above the normal tuning time (XGBoost: about 270 s here); reported
    # when it cuts, since then the figures depend on the machine's speed.
    'max_tuning_seconds': 1800,
    'promote': AUTO,  # never: an experiment (registered, compared, not champion); force: champion regardless
}


@dataclass
class TrainingSettings:
    max_evaluations: Optional[int]  # None: each family's default budget
    random_state: int
    hyperparameters: Optional[Dict[str, Any]]
    early_stopping_rounds: int  # 0: off
    num_boost_round: int
    max_depth: int
    max_tuning_seconds: int  # no new trial starts after this; the running one finishes
    promote: str = AUTO  # what registering may do to the champion alias (tracking.registry)

    def budget(self, default_budget: int) -> int:
        return self.max_evaluations if self.max_evaluations is not None else default_budget


def training_settings(kwargs: Mapping) -> TrainingSettings:
    return TrainingSettings(
        max_evaluations=whole_number(kwargs, 'max_evaluations', None, minimum=1),
        random_state=whole_number(kwargs, 'random_state', DEFAULTS['random_state']),
        hyperparameters=fixed_hyperparameters(kwargs),
        early_stopping_rounds=whole_number(kwargs, 'early_stopping_rounds', DEFAULTS['early_stopping_rounds']),
        num_boost_round=whole_number(kwargs, 'num_boost_round', DEFAULTS['num_boost_round'], minimum=1),
        max_depth=whole_number(kwargs, 'max_depth', DEFAULTS['max_depth'], minimum=4),
        max_tuning_seconds=whole_number(kwargs, 'max_tuning_seconds', DEFAULTS['max_tuning_seconds'], minimum=1),
        promote=promote_mode(kwargs.get('promote')),
    )


def check_target(target: str, settings: TrainingSettings) -> None:
    """Refused before any training time is spent: a model of another target than the served
    one (duration, minutes) with ``promote`` other than never. Data preparation accepts any
    numeric column as its target, and a model of dollars is a fine experiment, but it cannot be
    the champion that every way of serving returns as minutes (the registry would tag it not
    comparable anyway; this says so before the tuning, not after)."""
    reason = unserved_target(DataContract(target=target, target_unit=target_unit(target)))
    if reason and settings.promote != NEVER:
        raise ConfigError(
            f'{reason}; with promote={settings.promote} the training set of target {target!r} is refused: train it '
            f'as an experiment with promote=never (registered and compared, never the {CHAMPION}), or prepare the '
            f'training set with target={SERVED_TARGET}'
        )


def params_for(settings: TrainingSettings, family_name: str) -> Optional[Dict[str, Any]]:
    """Fixed hyperparameters for one family: ``{"linear_model.Lasso": {...}}`` picks by name;
    a flat object applies to every family of the run."""
    fixed = settings.hyperparameters
    if fixed is None:
        return None
    if any(isinstance(v, dict) for v in fixed.values()):
        return fixed.get(family_name)
    return fixed
