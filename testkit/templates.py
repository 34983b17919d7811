"""A database file made once per test session and copied into each fresh state folder.

Mage and MLflow each migrate an empty SQLite file on its first open (seconds of CPU), and the
tests make a fresh state folder well over a hundred times a run. A ``Template`` is built on first
use by the product's or the library's own code, its path is kept in an environment variable
(inherited by the processes the tests start), and a copy lands whole or not at all.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable


class Template:
    """``build(folder)`` makes the file in a new temporary folder and returns its path."""

    def __init__(self, env_var: str, build: Callable[[Path], Path]):
        self.env_var, self._build = env_var, build
        self._building = threading.Lock()

    def path(self) -> Path:
        """The session's file, built on first use (in the session's TMPDIR)."""
        with self._building:
            known = os.environ.get(self.env_var)
            if known and Path(known).is_file():
                return Path(known)
            folder = Path(tempfile.mkdtemp(prefix='db-template-'))
            atexit.register(shutil.rmtree, folder, True)  # a benchmark run alone leaves nothing behind
            made = self._build(folder)
            assert made.is_file(), f'the template build made no {made}'
            os.environ[self.env_var] = str(made)
            return made

    def copy_to(self, target: Path) -> None:
        """``target`` becomes a copy of the template, unless it exists (a state kept on purpose,
        or one a process made meanwhile: the copy is linked in whole, never over a file)."""
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f'.{target.name}.{os.getpid()}.partial')
        shutil.copyfile(self.path(), partial)
        try:
            os.link(partial, target)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
