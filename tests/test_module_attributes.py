"""Every ``module.name`` and ``from module import name`` of our own modules names something the
module has, checked without running the code: a renamed function's caller on a path the tests
never take (an error branch) fails here rather than in a user's run. The control: a made-up
attribute and a made-up import are reported."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from tests.test_architecture import copy_of_the_code


def module_file(root: Path, name: str) -> Path | None:
    """The file of our module ``name`` (``mlops.utils.x``; a package's ``__init__.py``), None for
    a name that is not one of ours."""
    path = root.joinpath(*name.split('.'))
    for candidate in (path.with_suffix('.py'), path / '__init__.py'):
        if candidate.is_file():
            return candidate
    return None


def names_defined(path: Path) -> set:
    """What ``module.<name>`` can reach: the names a module binds at its top level."""
    names = {'__file__', '__name__', '__doc__', '__dict__', '__spec__', '__path__'}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split('.')[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try)):  # a name bound either way counts
            names.update(names_defined_in(node))
    return names


def names_defined_in(node: ast.AST) -> set:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
            found.add(child.name)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            found.add(child.id)
        elif isinstance(child, ast.alias):
            found.add((child.asname or child.name).split('.')[0])
    return found


def missing_module_attributes(root: Path, files: List[str]) -> List[str]:
    """``alias.name`` where ``alias`` is one of our modules imported as a whole (``from
    mlops.utils.orchestration import mage_internals as mage``) and the module has no ``name``,
    or ``from <our module> import name`` where it has none: an AttributeError or ImportError
    waiting on a path the tests may never take (the caller of a renamed function)."""
    found = []
    for name in files:
        tree = ast.parse((root / name).read_text())
        modules = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                source = module_file(root, node.module)
                for alias in node.names:
                    path = module_file(root, f'{node.module}.{alias.name}')
                    if path is not None:
                        modules[alias.asname or alias.name] = path
                    elif source is not None and alias.name not in names_defined(source):
                        found.append(f'{name}:{node.lineno}: from {node.module} import {alias.name}')
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    path = module_file(root, alias.name)
                    if path is not None and alias.asname:
                        modules[alias.asname] = path
        defined = {alias: names_defined(path) for alias, path in modules.items()}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in defined:
                if node.attr not in defined[node.value.id] and not isinstance(node.ctx, ast.Store):
                    found.append(f'{name}:{node.lineno}: {node.value.id}.{node.attr}')
    return found


def test_every_module_attribute_used_exists(tmp_path):
    tracked = run_ok(['git', 'ls-files', '*.py'], cwd=REPO_ROOT).stdout.split()
    assert missing_module_attributes(REPO_ROOT, tracked) == []
    root = copy_of_the_code(tmp_path)  # the control: a caller of a function that is not there
    target = root / 'mlops' / 'utils' / 'triggering' / 'plan.py'
    target.write_text(
        target.read_text() + '\n\ndef later(run):\n'
        '    from mlops.utils.orchestration import mage_internals as mage\n'
        '    from mlops.utils.errors import NoSuchError\n'
        '    return mage.no_such_function(run)\n'
    )
    last = len(target.read_text().splitlines())
    assert missing_module_attributes(root, ['mlops/utils/triggering/plan.py']) == [
        f'mlops/utils/triggering/plan.py:{last - 1}: from mlops.utils.errors import NoSuchError',
        f'mlops/utils/triggering/plan.py:{last}: mage.no_such_function',
    ]
