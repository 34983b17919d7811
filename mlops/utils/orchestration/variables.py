"""Runtime pipeline variables: parsed and checked before Mage sees them.

``mage run --runtime-vars`` ignores invalid JSON silently; here it is an error that says so.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping

from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object

# Pipeline variables of a machine rather than of one command (a small budget for a smoke run, the
# months a staging copy replays): a JSON object under --vars and --set, which override it.
RUN_VARS_ENV = 'MLOPS_RUN_VARS'


def parse_vars(text: str, what: str = '--vars') -> Dict[str, Any]:
    return parse_json_object(text, what, example='{"start_month": "2024-01"}')


def environment_vars(environ: Mapping[str, str] = os.environ) -> Dict[str, Any]:
    """The variables ``MLOPS_RUN_VARS`` sets ({} when unset or empty)."""
    return parse_vars(environ.get(RUN_VARS_ENV) or '{}', RUN_VARS_ENV)


def parse_assignments(items: Iterable[str]) -> Dict[str, str]:
    """``['start_month=2024-01', ...]`` -> dict; each item must contain ``=``."""
    result = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name.strip():
            raise ConfigError(f'--set takes name=value, got {item!r}')
        result[name.strip()] = value
    return result


def check_known(names: Iterable[str], known: Iterable[str], what: str = 'pipeline variable') -> None:
    unknown: List[str] = sorted(set(names) - set(known))
    if unknown:
        raise ConfigError(f'unknown {what}(s) {", ".join(unknown)}; known: {", ".join(sorted(known))}')
