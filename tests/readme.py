"""The commands a page of the docs gives, read from the page itself, so that what the tests run
cannot drift from what a person reads and types."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

from testkit.chain import REPO_ROOT

# What a person types at the repository root: a script, the virtualenv's tools, or Mage's CLI.
COMMAND_START = re.compile(r'^(?:[A-Z_]+=\S+ )*(?:\./scripts/|\.venv/bin/|\.venv-docs/bin/|python |curl )')
FENCE = re.compile(r'^```(?:bash|sh|console)\n(.*?)^```', re.MULTILINE | re.DOTALL)
INLINE = re.compile(r'(?<!`)`([^`]+)`(?!`)')


def _block_commands(block: str) -> List[str]:
    """A shell block's commands: comments dropped, ``\\`` continuations joined."""
    commands, current = [], ''
    for line in block.splitlines():
        code = re.sub(r'\s+#.*$', '', line).rstrip() if not line.lstrip().startswith('#') else ''
        if not code and not current:
            continue
        if code.endswith('\\'):
            current += code[:-1].strip() + ' '
            continue
        commands.append(' '.join((current + code.strip()).split()))
        current = ''
    return [c for c in commands if c]


def page_commands(page: Path) -> List[str]:
    """Every command the page gives, in its order: each line of its shell blocks, and each inline
    code span that is a command (Markdown joins a span broken over lines with a space)."""
    text = page.read_text()
    found = [(m.start(), c) for m in FENCE.finditer(text) for c in _block_commands(m.group(1))]
    prose = FENCE.sub(lambda m: ' ' * len(m.group(0)), text)
    for match in INLINE.finditer(prose):
        span = ' '.join(match.group(1).split())
        if COMMAND_START.match(span):
            found.append((match.start(), span))
    return [command for _, command in sorted(found)]


def readme_commands() -> List[str]:
    return page_commands(REPO_ROOT / 'README.md')


# The pages whose commands run against the one server after the main job (tests/test_platform_server.py).
SERVER_PAGES = ('README.md', 'docs/predictions-and-retraining.md', 'docs/model-server.md')


def server_commands() -> List[str]:
    """The commands of the README and of the docs pages on the ways to a prediction."""
    return [command for page in SERVER_PAGES for command in page_commands(REPO_ROOT / page)]


def the_command(commands: List[str], start: str, exact: bool = False) -> str:
    """The command that is ``start`` (``exact``), else the one command starting with it; an error
    naming it when the page has none, or several different ones."""
    matches = sorted({c for c in commands if (c == start if exact else c.startswith(start))})
    assert len(matches) == 1, f'the page gives {len(matches)} different commands starting {start!r}: {matches}'
    return matches[0]
