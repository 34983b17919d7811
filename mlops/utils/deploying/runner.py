"""Run a command (terraform) with its output streamed to the block's log as it comes, and fail
with the end of its error output."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Deque, List, Mapping, Optional, Sequence

TAIL_LINES = 30


class CommandFailed(RuntimeError):
    """A command exited with a code it should not have; the message ends with its stderr."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str


def _pump(stream: IO[str], sink: IO[str], keep: List[str], tail: Optional[Deque[str]], echo: bool) -> None:
    for line in stream:
        keep.append(line)
        if tail is not None:
            tail.append(line.rstrip('\n'))
        if echo:
            sink.write(line)
            sink.flush()


def run_streaming(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Optional[Path] = None,
    ok_codes: Sequence[int] = (0,),
    echo_stdout: bool = True,
) -> Completed:
    """Run ``command``, echo stdout (unless it is data to parse) and stderr line by line to our
    stdout (what Mage keeps as the block's log), return its exit code and stdout. An exit code outside ``ok_codes`` raises CommandFailed with the
    last TAIL_LINES lines of stderr."""
    print('$ ' + ' '.join(command), flush=True)
    process = subprocess.Popen(
        list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    out: List[str] = []
    err: List[str] = []
    tail: Deque[str] = deque(maxlen=TAIL_LINES)
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, sys.stdout, out, None, echo_stdout)),
        threading.Thread(target=_pump, args=(process.stderr, sys.stdout, err, tail, True)),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    code = process.wait()
    if code not in ok_codes:
        raise CommandFailed(f'{command[0]} {_subcommand(command)} exited with {code}:\n' + '\n'.join(tail))
    return Completed(code, ''.join(out))


def _subcommand(command: Sequence[str]) -> str:
    """The first argument that is not an option (``plan`` in ``terraform -chdir=x plan``)."""
    return next((part for part in command[1:] if not part.startswith('-')), '')
