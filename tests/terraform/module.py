"""terraform/aws read by python-hcl2 (a test requirement), as JSON-like data."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Dict, List

from testkit.chain import REPO_ROOT

MODULE = REPO_ROOT / 'terraform' / 'aws'


def parse_files(paths: List[Path]) -> Dict[str, Any]:
    """``{'parsed': {path: document}, 'errors': {path: message}}`` for the given .tf files."""
    import hcl2

    # Plain data: no comments or block markers, strings without their HCL quotes.
    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    parsed: Dict[str, Any] = {}
    errors: Dict[str, str] = {}
    for path in paths:
        try:
            with open(path) as handle:
                parsed[str(path)] = hcl2.load(handle, serialization_options=options)
        except Exception as error:  # every file's error is reported, not just the first
            errors[str(path)] = f'{type(error).__name__}: {error}'
    return json.loads(json.dumps({'parsed': parsed, 'errors': errors}, default=str))


@functools.lru_cache(maxsize=1)
def module() -> Dict[str, Any]:
    return parse_files(sorted(MODULE.glob('*.tf')))


def plain(value: Any) -> Any:
    """An attribute's value without the parser's wrapping: one-element lists (bc-python-hcl2)
    and the quotes python-hcl2 keeps around strings."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def blocks(kind: str) -> Dict[str, Dict[str, Any]]:
    """Every ``variable``/``output`` block by name, across the module's files."""
    found: Dict[str, Dict[str, Any]] = {}
    for document in module()['parsed'].values():
        for entry in document.get(kind, []):
            for name, body in entry.items():
                found[plain(name)] = body
    return found


def resources() -> List[str]:
    """``type.name`` of every resource, in file order."""
    addresses = []
    for path in sorted(module()['parsed']):
        for entry in module()['parsed'][path].get('resource', []):
            for kind, named in entry.items():
                addresses += [f'{plain(kind)}.{plain(name)}' for name in named]
    return addresses
