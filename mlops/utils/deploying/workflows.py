"""ci_cd: what a GitHub workflow needs from the repository's settings, read from the workflow
itself: every ``secrets.NAME`` and ``vars.NAME`` its expressions use (``secrets['NAME']`` too),
and the environments its jobs run in (where environment secrets and approvals live)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import yaml

from mlops.utils.errors import ConfigError

DEFAULT_WORKFLOW = Path('.github') / 'workflows' / 'cd.yml'
# Provided by GitHub to every run: nothing to configure.
AUTOMATIC_SECRETS = {'GITHUB_TOKEN'}
_EXPRESSION = re.compile(r'\$\{\{(.*?)\}\}', re.DOTALL)
_REFERENCE = re.compile(r"\b(secrets|vars)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']+)'\s*\])")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _environments(workflow: Dict[Any, Any]) -> List[str]:
    names = []
    for job in (workflow.get('jobs') or {}).values():
        environment = (job or {}).get('environment')
        name = environment.get('name') if isinstance(environment, dict) else environment
        if name:
            names.append(str(name))
    return sorted(set(names))


def workflow_requirements(path: Path) -> Dict[str, Any]:
    """The secrets and variables ``path`` uses, sorted, GitHub's own token apart."""
    if not path.is_file():
        raise ConfigError(
            f'ci_cd: {path} does not exist; the CD workflow (.github/workflows/cd.yml) is not in '
            'this checkout, so there is nothing to list'
        )
    try:
        workflow = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f'ci_cd: {path} is not valid YAML: {error}') from error
    if not isinstance(workflow, dict):
        raise ConfigError(f'ci_cd: {path} is not a workflow (a YAML mapping with jobs)')
    found: Dict[str, set] = {'secrets': set(), 'vars': set()}
    for text in _strings(workflow):
        for expression in _EXPRESSION.findall(text):
            for kind, dotted, quoted in _REFERENCE.findall(expression):
                found[kind].add(dotted or quoted)
    return {
        'workflow': str(path),
        'secrets': sorted(found['secrets'] - AUTOMATIC_SECRETS),
        'variables': sorted(found['vars']),
        'provided_by_github': sorted(found['secrets'] & AUTOMATIC_SECRETS),
        'environments': _environments(workflow),
    }
