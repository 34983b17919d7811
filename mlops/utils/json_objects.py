"""JSON objects given as text (pipeline variables, CLI options), with errors that name them."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from mlops.utils.errors import ConfigError


def parse_json_object(text: str, what: str, example: Optional[str] = None) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f'{what} is not valid JSON ({error.msg} at column {error.colno}): {text!r}') from None
    if not isinstance(value, dict):
        like = f' like {example}' if example else ''
        raise ConfigError(f'{what} must be a JSON object{like}, got {text!r}')
    return value
