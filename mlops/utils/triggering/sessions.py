"""Mage sessions kept between commands, as a browser keeps its session cookie.

Mage checks a password with bcrypt at cost 14 (``mage_ai/authentication/passwords.py``): about
a second of the server's CPU per sign-in, more than a whole prediction through the API
endpoint. ``predict_api.sh`` therefore signs in once and keeps the session token Mage returned
in a file only its owner can read (``MLOPS_SESSION_FILE``, default
``~/.cache/mlops/mage-sessions.json``), one per server and account; a token Mage no longer
takes (expired, or another database) is dropped and the client signs in again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

SESSION_FILE_ENV = 'MLOPS_SESSION_FILE'


def session_file() -> Path:
    return Path(os.environ.get(SESSION_FILE_ENV) or Path.home() / '.cache' / 'mlops' / 'mage-sessions.json')


def _key(base_url: str, email: str) -> str:
    return f'{email} @ {base_url}'


def _read() -> Dict[str, str]:
    """The kept tokens; nothing when the file is missing, unreadable, not ours, or not JSON."""
    path = session_file()
    try:
        if path.stat().st_uid != os.getuid() or path.stat().st_mode & 0o077:
            return {}  # another user's, or readable by others: not trusted, rewritten on save
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in kept.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(kept, dict) else {}
    )


def kept_token(base_url: str, email: str) -> Optional[str]:
    return _read().get(_key(base_url, email))


def keep_token(base_url: str, email: str, token: Optional[str]) -> None:
    """Keep ``token`` for the server and account (None: forget it); written whole, mode 0600."""
    kept = _read()
    if token is None:
        kept.pop(_key(base_url, email), None)
    else:
        kept[_key(base_url, email)] = token
    path = session_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile('w', dir=path.parent, prefix='.sessions-', delete=False) as file:
            json.dump(kept, file)  # NamedTemporaryFile is created 0600
        os.replace(file.name, path)
    except OSError:
        pass  # a read-only home: sign in every time, as before
