"""Every patch of Mage is a module of ``orchestration/workarounds/`` naming its upstream issue (or
that none was found) and when it can go; ``install_workarounds`` installs each, and it is the
only install every entry point calls (Mage's command line, ``mage_cli``, and the headless
runner, ``mage_internals.bind_project``): one list, the same in every Mage process."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Set

from mlops.utils.paths import REPO_ROOT

ORCHESTRATION = REPO_ROOT / 'mlops' / 'utils' / 'orchestration'
WORKAROUNDS = ORCHESTRATION / 'workarounds'
HELPERS = {'__init__', '__main__', 'smtp_settings'}  # the list, its shell check, the SMTP settings they read
ISSUE = re.compile(r'mage-ai/mage-ai#\d+|no (mage |upstream )?issue found', re.I)
GOES = re.compile(r'can go|goes when|go when', re.I)


def installs_called(tree: ast.AST) -> Set[str]:
    return {
        node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, (ast.Name, ast.Attribute))
        and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr).startswith('install_')
    }


def function(path: Path, name: str) -> ast.AST:
    tree = ast.parse(path.read_text())
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def test_every_entry_point_installs_the_one_list_and_nothing_else():
    assert installs_called(ast.parse((ORCHESTRATION / 'mage_cli.py').read_text())) == {'install_workarounds'}
    assert installs_called(function(ORCHESTRATION / 'mage_internals.py', 'bind_project')) == {'install_workarounds'}


def test_the_list_installs_every_workaround_module():
    modules = {p.stem for p in WORKAROUNDS.glob('*.py')} - HELPERS
    own = {
        p.stem: {n.name for n in ast.parse(p.read_text()).body if isinstance(n, ast.FunctionDef)}
        for p in WORKAROUNDS.glob('*.py')
        if p.stem in modules
    }
    expected = {name for functions in own.values() for name in functions if name.startswith('install_')}
    assert all(any(f.startswith('install_') for f in functions) for functions in own.values()), own
    assert installs_called(function(WORKAROUNDS / '__init__.py', 'install_workarounds')) == expected


def test_each_workaround_names_its_upstream_issue_and_when_it_can_go():
    for path in sorted(WORKAROUNDS.glob('*.py')):
        if path.stem in HELPERS:
            continue
        text = ast.get_docstring(ast.parse(path.read_text())) or ''
        assert ISSUE.search(text), f'{path.name}: no upstream issue named (or "no upstream issue found")'
        assert GOES.search(text), f'{path.name}: does not say when it can go'


def test_nothing_outside_workarounds_patches_mage():
    patching = sorted(
        str(p.relative_to(ORCHESTRATION))
        for p in ORCHESTRATION.rglob('*.py')
        if 'patch_on_import(' in p.read_text() and p.parent != WORKAROUNDS and p.name != 'patching.py'
    )
    assert patching == []
