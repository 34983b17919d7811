"""Every command the README and the docs pages give, read from the pages: what it runs exists,
and each option it passes is one that program lists in its own ``--help``. The commands that can
run here against the one server (the main job, ``start.sh``, the four ways to a prediction,
``--retrain``, the model server's ``curl``) are run as written in tests/test_platform_server.py."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import sys
from functools import lru_cache
from typing import List, Optional, Tuple

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from tests.readme import page_commands

PAGES = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'docs').glob('*.md'))]
# The script -> the program whose --help lists the options it takes (the scripts pass theirs on).
SCRIPT_PROGRAMS = {
    'scripts/run.sh': ['-m', 'mlops.utils.orchestration'],
    'scripts/predict_api.sh': ['-m', 'mlops.utils.triggering.api_command'],
    'scripts/replay.sh': ['-m', 'mlops.utils.replay'],
}
# Scripts whose arguments go to another program (start.sh: docker compose up) or that take none.
PASS_THROUGH = {'scripts/start.sh', 'scripts/serve.sh', 'scripts/test.sh', 'scripts/mlflow_server.sh'}


def documented() -> List[Tuple[str, str]]:
    """(page, command) for every command on every page, but placeholders (``...``) and ``curl``."""
    return [
        (page.name, command)
        for page in PAGES
        for command in page_commands(page)
        if not command.startswith(('...', 'curl '))
    ]


def program_of(words: List[str]) -> Tuple[Optional[List[str]], Optional[str]]:
    """(the program's arguments after python whose --help applies, the path the command runs)."""
    words = [w for w in words if not re.match(r'^[A-Z_]+=', w)]  # VAR=value prefixes
    head = words[0].removeprefix('./')
    if head in SCRIPT_PROGRAMS:
        return SCRIPT_PROGRAMS[head], head
    if head.endswith('/python') or head == 'python':
        if words[1] == '-m':
            return ['-m', words[2]], words[2].replace('.', '/')
        return [words[1]], words[1]
    return None, head


@lru_cache(maxsize=None)
def help_text(program: Tuple[str, ...]) -> str:
    result = run_ok(
        [sys.executable, *program, '--help'],
        cwd=REPO_ROOT,
        env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},
        timeout=120,
    )
    return result.stdout


def accepted_options(program: Tuple[str, ...]) -> frozenset:
    return frozenset(re.findall(r'(?<![\w-])--[a-z][\w-]*', help_text(program)))


def subcommands(program: Tuple[str, ...]) -> List[str]:
    """The sub-commands a program's usage line lists (``{run,cancel}``)."""
    found = re.search(r'\{([\w,-]+)\}', help_text(program))
    return found.group(1).split(',') if found else []


@pytest.mark.parametrize('page, command', documented(), ids=lambda value: value[:60])
def test_a_documented_command_runs_something_that_exists_with_options_it_takes(page, command):
    words = shlex.split(command.replace('[', '').replace(']', ''))
    program, path = program_of(words)
    if program and program[0] == '-m' and not program[1].startswith(('mlops.', 'tests.', 'bench.')):
        assert importlib.util.find_spec(program[1]), f'{page}: {command!r} runs module {program[1]}, not installed'
        return  # a library's own command line (aiosmtpd's)
    target = REPO_ROOT / path
    assert target.exists() or target.with_suffix('.py').exists() or (target / '__main__.py').exists(), (
        f'{page}: {command!r} runs {path}, which is not in the repo'
    )
    if program is None:
        if path.startswith('scripts/'):
            assert path in PASS_THROUGH, f'{page}: {path} takes options no test checks: add it to SCRIPT_PROGRAMS'
        for word in words[1:]:  # folders and files a tool is pointed at (notebooks/, a sub-project)
            if '/' in word and not word.startswith(('-', '$', '/', '{', "'")):
                assert (REPO_ROOT / word).exists(), f'{page}: {command!r} names {word}, which is not in the repo'
        return
    passed = {w.split('=')[0] for w in words if w.startswith('--')}
    rest = words[words.index(program[-1]) + 1 :] if program[-1] in words else []
    if rest and rest[0] in subcommands(tuple(program)):  # headless run ...: that sub-command's options
        program = [*program, rest[0]]
    unknown = passed - accepted_options(tuple(program))
    assert not unknown, f'{page}: {command!r} passes {sorted(unknown)}, which {path} does not take'


def test_the_check_finds_an_option_a_program_does_not_take():
    """The control: a misspelt option is caught."""
    assert '--source' in accepted_options(tuple(SCRIPT_PROGRAMS['scripts/run.sh']))
    assert '--sorce' not in accepted_options(tuple(SCRIPT_PROGRAMS['scripts/run.sh']))


def test_every_page_with_commands_is_read():
    assert {page for page, _ in documented()} >= {'README.md', 'predictions-and-retraining.md', 'deploying.md'}
