"""Runtime pipeline variables: parsed and checked before Mage sees them.

``mage run --runtime-vars`` ignores invalid JSON silently; here it is an error that says so.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping

from mlops.utils.errors import ConfigError


def parse_json_object(text: str, what: str = '--vars') -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f'{what} is not valid JSON ({error.msg} at column {error.colno}): {text!r}') from error
    if not isinstance(value, dict):
        raise ConfigError(f'{what} must be a JSON object like {{"start_month": "2024-01"}}, got {text!r}')
    return value


def parse_assignments(items: Iterable[str]) -> Dict[str, str]:
    """``['start_month=2024-01', ...]`` -> dict; each item must contain ``=``."""
    result = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name.strip():
            raise ConfigError(f'--set takes name=value, got {item!r}')
        result[name.strip()] = value
    return result


def check_known(variables: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown: List[str] = sorted(set(variables) - set(known))
    if unknown:
        raise ConfigError(
            f'unknown pipeline variable(s) {", ".join(unknown)}; known: {", ".join(sorted(known))}'
        )
