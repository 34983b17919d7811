"""The one way the tests run a command: with a deadline, and, when it fails or overruns, a message
that names the command, its exit status and the end of what it printed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

from mlops.utils.paths import REPO_ROOT

TAIL = 3000  # characters of each stream a failure shows


def shown(command: Sequence[Union[str, Path]]) -> str:
    return ' '.join(str(part) for part in command)


def run_command(
    command: Sequence[Union[str, Path]],
    *,
    cwd: Union[str, Path] = REPO_ROOT,
    env: Optional[Dict[str, str]] = None,
    timeout: float = 600,
    input: Optional[str] = None,
) -> subprocess.CompletedProcess:
    """``command`` run to its end within ``timeout`` seconds (its output captured as text); past
    the deadline, an AssertionError naming the command and the deadline."""
    try:
        return subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=env if env is not None else dict(os.environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(
            f'`{shown(command)}` did not end within {timeout:g} s; it printed: '
            f'{_text(expired.stdout)[-TAIL:]}{_text(expired.stderr)[-TAIL:]}'
        ) from None


def run_ok(command: Sequence[Union[str, Path]], **kwargs) -> subprocess.CompletedProcess:
    """``run_command`` that must exit 0; else an AssertionError naming the command, its status
    and the end of its output."""
    result = run_command(command, **kwargs)
    assert result.returncode == 0, failure(command, result)
    return result


def failure(command: Sequence[Union[str, Path]], result: subprocess.CompletedProcess) -> str:
    return (
        f'`{shown(command)}` exited {result.returncode}\n--- stdout (end) ---\n{result.stdout[-TAIL:]}'
        f'\n--- stderr (end) ---\n{result.stderr[-TAIL:]}'
    )


def _text(value) -> str:
    if value is None:
        return ''
    return value.decode(errors='replace') if isinstance(value, bytes) else str(value)
