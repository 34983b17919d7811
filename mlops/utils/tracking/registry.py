"""Model registry: every final model becomes a version; ``champion`` moves only to a better
one that compares like with like (docs/architecture.md, *The champion rule*).

The comparison re-scores the current champion on the challenger's validation rows, so both
figures are on the same data; it is made only when both models have the same data contract
(``tracking.contract``). Moving the alias is one call, made last, under a lock, and is then
appended to the alias history (``tracking.history``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List, Optional

import pandas as pd

from mlops.utils.errors import ConfigError
from mlops.utils.model_code.features import DURATION
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking.contract import (
    DataContract,
    contract_from_facts,
    differences,
    feature_contract,
    run_facts,
    unserved_target,
    validated_on_older,
    version_contract,
)
from mlops.utils.tracking.history import FORCED_PROMOTION, PROMOTION, current_user, record_move
from mlops.utils.tracking.loading import BrokenModelError, load_version
from mlops.utils.tracking.mlflow_setup import file_lock
from mlops.utils.tracking.schema import (
    CHAMPION,
    CHAMPION_VALIDATION_RMSE,
    PROMOTE,
    ROLE,
    VALIDATION_RMSE,
    champion_version,
)

MODEL_NAME_ENV_VAR = 'MLOPS_REGISTERED_MODEL'
DEFAULT_MODEL_NAME = 'nyc-taxi-duration'

# The ``promote`` pipeline variable: what registering a version may do to the champion alias.
AUTO = 'auto'  # the champion rule decides
NEVER = 'never'  # an experiment: registered and compared, the alias left alone
FORCE = 'force'  # champion whatever its figures or contract (not another target: serving returns minutes)
PROMOTE_MODES = (AUTO, NEVER, FORCE)

PROMOTED = 'promoted to champion'
REJECTED = 'rejected challenger'
NOT_COMPARABLE = 'not comparable'


def registered_model_name() -> str:
    return os.environ.get(MODEL_NAME_ENV_VAR) or DEFAULT_MODEL_NAME


def promote_mode(value: Any) -> str:
    """The ``promote`` variable, checked; empty means auto."""
    mode = str(value).strip().lower() if value not in (None, '') else AUTO
    if mode not in PROMOTE_MODES:
        raise ConfigError(f'promote must be {", ".join(PROMOTE_MODES[:-1])} or {PROMOTE_MODES[-1]}, got {value!r}')
    return mode


def is_better(challenger_rmse: float, champion_rmse: Optional[float]) -> bool:
    """Strictly lower RMSE wins; with no champion, any model becomes one."""
    return champion_rmse is None or challenger_rmse < champion_rmse


@dataclass
class Promotion:
    version: str
    promoted: bool
    rmse: float
    champion_rmse: Optional[float]
    role: str = ''
    champion: Optional[str] = None  # the champion version it was compared with (before any move)


@dataclass(frozen=True)
class Verdict:
    """What the champion rule (promote=auto) makes of a challenger, and why, in words."""

    promote: bool
    role: str
    why: str


def champion_rmse_on(client, name: str, version: str, validation: pd.DataFrame, target: str) -> float:
    """RMSE of champion ``version`` on ``validation``; BrokenModelError when it cannot be loaded."""
    model = load_version(client, name, version)
    predictions = model.predict(validation.drop(columns=[target]))
    return regression_metrics(validation[target], predictions)['rmse']


def rule(
    challenger: DataContract,
    champion: Optional[DataContract],
    rmse: float,
    champion_rmse: Optional[float],
    incomparable: List[str],
) -> Verdict:
    """The champion rule: a challenger with another contract, or validated on months older than
    the champion's, never replaces it; else strictly lower RMSE on the same rows wins."""
    if incomparable:
        return Verdict(False, f'{NOT_COMPARABLE}: {"; ".join(incomparable)}', '')
    if champion is None:
        return Verdict(True, PROMOTED, 'no champion yet')
    if validated_on_older(challenger, champion):
        return Verdict(
            False,
            f"{REJECTED}: validated on {challenger.validation_months}, older than the champion's "
            f'{champion.validation_months}',
            '',
        )
    if is_better(rmse, champion_rmse):
        return Verdict(
            True,
            PROMOTED,
            f"validation_rmse {rmse:.4f} < the champion's {champion_rmse:.4f} on the same validation rows",
        )
    return Verdict(False, REJECTED, '')


def role_for(mode: str, verdict: Verdict, unserved: Optional[str]) -> str:
    """The role tag under the promote mode, from the rule's verdict (what auto does)."""
    if mode == AUTO or (verdict.role.startswith(NOT_COMPARABLE) and (mode == NEVER or unserved)):
        return verdict.role
    if mode == NEVER:
        return f'experiment (promote=never), auto would say: {verdict.role}'
    return f'{PROMOTED} (promote=force)' + ('' if verdict.promote else f', auto would say: {verdict.role}')


def register_and_promote(
    model_uri: str,
    rmse: float,
    validation: pd.DataFrame,
    target: str = DURATION,
    name: Optional[str] = None,
    promote: str = AUTO,
) -> Promotion:
    """Register ``model_uri`` as a version with its data contract (from its run's ``data.*``
    tags) and apply the champion rule as ``promote`` says. Every version ends with a role tag.
    The registry failing raises RegistryError before anything is registered; a champion that
    cannot be loaded raises BrokenModelError naming it (under force, the challenger replaces it)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mode = promote_mode(promote)
    name = name or registered_model_name()
    client = MlflowClient()
    with file_lock(f'registry-{name}'):
        champion = champion_version(client, name)  # RegistryError: nothing registered, nothing promoted
        version = mlflow.register_model(model_uri, name, tags={VALIDATION_RMSE: f'{rmse:.6f}'}).version
        try:
            registered = client.get_model_version(name, version)
            contract = contract_from_facts(run_facts(client, registered.run_id), feature_contract(), target)
            for tag, value in {**contract.tags(), PROMOTE: mode}.items():
                client.set_model_version_tag(name, version, tag, value)
            return _decide(client, name, version, mode, contract, champion, rmse, validation, target)
        except BaseException as error:
            _tag_unfinished(client, name, version, error)
            raise


def _decide(client, name, version, mode, contract, champion, rmse, validation, target) -> Promotion:
    unserved = unserved_target(contract)
    champion_contract = version_contract(client, champion) if champion is not None else None
    incomparable = differences(contract, champion_contract) if champion_contract is not None else []
    if unserved and not any(d.startswith('target ') for d in incomparable):
        incomparable.insert(0, unserved)
    champion_rmse = None
    verdict: Optional[Verdict] = None
    if champion is not None and not incomparable:
        try:
            champion_rmse = champion_rmse_on(client, name, str(champion.version), validation, target)
        except BrokenModelError as broken:
            verdict = Verdict(False, f'not compared: the champion (version {champion.version}) cannot be loaded', '')
            if mode != FORCE:  # force replaces a champion nobody can load; otherwise the run fails, saying so
                client.set_model_version_tag(name, version, ROLE, verdict.role)
                raise BrokenModelError(
                    f'{broken}. Version {version} was registered without being compared and the alias left on the '
                    'broken champion: move it to a good version with python -m mlops.utils.tracking.rollback '
                    '[VERSION] --reason TEXT (default VERSION: the previous good champion)'
                ) from broken
        else:
            client.set_model_version_tag(name, version, CHAMPION_VALIDATION_RMSE, f'{champion_rmse:.6f}')
    verdict = verdict or rule(contract, champion_contract, rmse, champion_rmse, incomparable)
    role = role_for(mode, verdict, unserved)
    promoted = (mode == AUTO and verdict.promote) or (mode == FORCE and not unserved)
    client.set_model_version_tag(name, version, ROLE, role)
    if promoted:  # last: every tag is in place before serving can see the new champion
        client.set_registered_model_alias(name, CHAMPION, version)
        previous = str(champion.version) if champion is not None else None
        if mode == FORCE:
            why = 'promote=force' + (f': {verdict.why}' if verdict.promote else f', auto would say: {verdict.role}')
            record_move(client, name, previous, version, FORCED_PROMOTION, current_user(), why)
        else:
            record_move(client, name, previous, version, PROMOTION, current_user(), verdict.why)
    return Promotion(version, promoted, rmse, champion_rmse, role, str(champion.version) if champion else None)


def _tag_unfinished(client, name: str, version: str, error: BaseException) -> None:
    """A version whose comparison failed still says so (best effort: the registry may be gone)."""
    try:
        if ROLE not in (client.get_model_version(name, version).tags or {}):
            reason = f'{type(error).__name__}: {error}'[:500]
            client.set_model_version_tag(name, version, ROLE, f'not compared: registration failed ({reason})')
    except Exception:
        pass
