"""Runtime pipeline variables: parsed and checked before Mage sees them.

``mage run --runtime-vars`` ignores invalid JSON silently; here it is an error that says so.
Numbers go through ``bounded_number``: ``float()`` alone takes ``'nan'`` and ``'inf'``, with
which a timeout never fires and a threshold never breaches (every comparison with NaN is False).
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Union

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


_WHOLE = re.compile(r'[+-]?[0-9]{1,30}')  # 30 digits: int() of thousands of digits is slow or refused


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _quoted(value: Any) -> str:
    """``repr`` cut at 80 characters (an int of over 4300 digits has none: Python refuses)."""
    try:
        return f'{value!r:.80}'
    except ValueError:
        return 'an integer of thousands of digits'


def bounded_number(
    value: Any, name: str, minimum: float, maximum: float, *, above_minimum: bool = False, whole: bool = False
) -> Union[int, float]:
    """``value`` (a number or its text) as a finite number in ``[minimum, maximum]``, or in
    ``(minimum, maximum]`` with ``above_minimum``; ``whole``: an integer (``3``, ``'3'``, not
    ``3.5`` or ``'3.0'``, as the training pipelines read them). Anything else is a ConfigError
    naming ``name``, the accepted range and the value."""
    kind = 'a whole number' if whole else 'a finite number'
    interval = f'{"(" if above_minimum else "["}{_shown(minimum)}, {_shown(maximum)}]'
    refused = ConfigError(f'{name} must be {kind} in {interval}, got {_quoted(value)}')
    if isinstance(value, bool):
        raise refused
    text = value.strip() if isinstance(value, str) else None
    number: Union[int, float]
    if whole:
        if isinstance(value, int):
            number = value
        elif text is not None and _WHOLE.fullmatch(text):
            number = int(text)
        else:
            raise refused
    else:
        try:
            number = float(text if text is not None else value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int past float's range
            raise refused from None
        if not math.isfinite(number):
            raise refused
    if number < minimum or number > maximum or (above_minimum and number == minimum):
        raise refused
    return number
