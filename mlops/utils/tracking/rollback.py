"""Move the champion alias back to a good version, in one command:

    python -m mlops.utils.tracking.rollback [VERSION] --reason TEXT

VERSION defaults to the previous good champion (``tracking.history.previous_good``). The
version must exist, predict what the champion serves and load; the move is appended to the
alias history with who, when and why, and the version left is tagged ``rolled_back``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, List, Optional

from mlops.utils.errors import ConfigError, DataError
from mlops.utils.tracking.contract import unserved_target, version_contract
from mlops.utils.tracking.history import ROLLBACK, alias_history, current_user, previous_good, record_move
from mlops.utils.tracking.loading import load_version
from mlops.utils.tracking.mlflow_setup import file_lock
from mlops.utils.tracking.schema import CHAMPION, ROLE, ROLLED_BACK, champion_version, named_version


@dataclass(frozen=True)
class Rollback:
    model: str
    from_version: Optional[str]  # None: there was no champion
    to_version: str
    who: str
    when: str  # UTC, ISO 8601
    reason: str


def rollback(client: Any, name: str, version: Optional[str], reason: str, who: str) -> Rollback:
    """Point ``name``'s champion alias at ``version`` (None: the previous good champion) and
    record the move. ConfigError for a missing reason, an unknown version, the current champion
    or no previous one; BrokenModelError for a version that cannot be loaded; RegistryError
    when the registry does not answer. Nothing moves unless every check passes."""
    reason = (reason or '').strip()
    if not reason:
        raise ConfigError('a rollback needs a reason (--reason TEXT): it is kept in the alias history')
    with file_lock(f'registry-{name}'):  # not while a training run promotes
        current = champion_version(client, name)
        current_number = str(current.version) if current is not None else None
        target = str(version).strip() if version not in (None, '') else _previous_good(client, name, current_number)
        if target == current_number:
            raise ConfigError(f'{name} version {target} is already the {CHAMPION}: nothing to roll back')
        chosen = named_version(client, name, target)
        unserved = unserved_target(version_contract(client, chosen))
        if unserved:
            raise ConfigError(f'{name} version {target} cannot be the {CHAMPION}: its {unserved}')
        load_version(client, name, target)  # BrokenModelError names what is missing
        client.set_registered_model_alias(name, CHAMPION, target)
        move = record_move(client, name, current_number, target, ROLLBACK, who, reason)
        if current_number is not None:
            client.set_model_version_tag(name, current_number, ROLLED_BACK, f'{move.when} by {who}: {move.why}')
    return Rollback(name, current_number, target, who, move.when, move.why)


def _previous_good(client: Any, name: str, current: Optional[str]) -> str:
    promoted = [
        str(v.version)
        for v in client.search_model_versions(f"name = '{name}'")
        if (v.tags or {}).get(ROLE, '').startswith('promoted to champion')
    ]
    target = previous_good(alias_history(client, name), current, promoted)
    if target is None:
        raise ConfigError(
            f'{name} has no previous good {CHAMPION} to roll back to (current: version {current or "none"}; '
            'none in its alias history or promoted before it): give the VERSION'
        )
    return target


def main(argv: Optional[List[str]] = None) -> int:
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import registered_model_name

    parser = argparse.ArgumentParser(
        prog='python -m mlops.utils.tracking.rollback',
        description=f'Move the {CHAMPION} alias back to VERSION (default: the previous good {CHAMPION}).',
    )
    parser.add_argument('version', nargs='?', metavar='VERSION', help='registered version number')
    parser.add_argument('--reason', required=True, help='why: kept in the alias history with who and when')
    parser.add_argument('--model', default=None, help='registered model (default: $MLOPS_REGISTERED_MODEL)')
    args = parser.parse_args(argv)
    name = args.model or registered_model_name()
    try:
        connect()
        done = rollback(MlflowClient(), name, args.version, args.reason, current_user())
    except (ConfigError, DataError) as error:  # RegistryError, BrokenModelError included
        print(f'rollback: {error}', file=sys.stderr)
        return 1
    print(
        f'{done.model}: {CHAMPION} moved from version {done.from_version or "none"} to version {done.to_version} '
        f'by {done.who} at {done.when}: {done.reason}'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
