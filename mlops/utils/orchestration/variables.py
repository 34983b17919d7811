"""Runtime pipeline variables: parsed and checked before Mage sees them.

``mage run --runtime-vars`` ignores invalid JSON silently; here it is an error that says so.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object


def parse_vars(text: str) -> Dict[str, Any]:
    return parse_json_object(text, '--vars', example='{"start_month": "2024-01"}')


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
