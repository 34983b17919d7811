"""The Mage owner's sign-in: a password of this install's own, never Mage's well-known one.

Mage 0.9.80 creates its first user from ``DEFAULT_OWNER_EMAIL`` / ``DEFAULT_OWNER_PASSWORD``,
and without them as ``admin@admin.com`` / ``admin``, which anyone (and any web page open in the
same browser) can type. A local start (``scripts/start.sh``) now takes the owner's password
from the environment when it is set, else from ``<platform state>/owner-credentials``, made the
first time with a random password, readable only by its owner (0600), git-ignored with the rest
of the state; it sits beside the Mage database whose users it signs in. The Docker stack's
come from ``.env`` (start.sh writes a fresh one). The clients (``predict_api.sh``, the
notebook, the tests) read the same places in the same order: environment, the file, ``.env``.
``workarounds.owner_password`` makes the database agree when the server starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Dict, Mapping, NamedTuple, Optional, Tuple

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.platform_state import platform_state_dir
from mlops.utils.paths import REPO_ROOT

EMAIL_ENV, PASSWORD_ENV = 'DEFAULT_OWNER_EMAIL', 'DEFAULT_OWNER_PASSWORD'
DEFAULT_EMAIL = 'admin@admin.com'  # Mage's own default owner; the password is what must differ
# Mage's default password, and the placeholder .env.example carried until #30: published, so refused.
WELL_KNOWN_PASSWORDS = ('admin', 'local-only-change-me')
MIN_PASSWORD_LENGTH = 12
CREDENTIALS_FILE = 'owner-credentials'
COMPOSE_SETTINGS = REPO_ROOT / '.env'


class Credentials(NamedTuple):
    email: str
    password: str
    where: str  # where they came from, as a message names it


def credentials_file() -> Path:
    return platform_state_dir() / CREDENTIALS_FILE


def read_settings(path: Path) -> Dict[str, str]:
    """``KEY=value`` lines of a dotenv-style file (comments and blanks skipped); {} when absent."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    pairs = (line.split('=', 1) for line in text.splitlines() if '=' in line and not line.lstrip().startswith('#'))
    return {key.strip(): value.strip() for key, value in pairs}


def checked_password(password: str, where: str) -> str:
    """``password``, or ConfigError naming ``where`` when it is published or short."""
    if password in WELL_KNOWN_PASSWORDS:
        raise ConfigError(f'{PASSWORD_ENV} from {where} is a published default ({password!r}); choose another')
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(
            f'{PASSWORD_ENV} from {where} has {len(password)} characters; use {MIN_PASSWORD_LENGTH} or more'
        )
    return password


def _write_new(path: Path, email: str) -> Credentials:
    password = secrets.token_urlsafe(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + '.partial')
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as file:
        file.write('# The Mage owner of this install (scripts/start.sh made it). Readable only by you.\n')
        file.write(f'{EMAIL_ENV}={email}\n{PASSWORD_ENV}={password}\n')
    partial.replace(path)  # never half a file
    return Credentials(email, password, str(path))


def server_credentials(env: Mapping[str, str] = os.environ) -> Tuple[Credentials, bool]:
    """The owner a server this project starts signs in: the environment's password, else the
    state's credentials file, else a new one written there. Returns them and whether they are
    new. ConfigError for a published or short password."""
    if env.get(PASSWORD_ENV):
        where = f'the environment ({PASSWORD_ENV})'
        return Credentials(
            env.get(EMAIL_ENV) or DEFAULT_EMAIL, checked_password(env[PASSWORD_ENV], where), where
        ), False
    path = credentials_file()
    stored = read_settings(path)
    if stored.get(PASSWORD_ENV):
        email = env.get(EMAIL_ENV) or stored.get(EMAIL_ENV) or DEFAULT_EMAIL
        return Credentials(email, checked_password(stored[PASSWORD_ENV], str(path)), str(path)), False
    return _write_new(path, env.get(EMAIL_ENV) or DEFAULT_EMAIL), True


def client_credentials(env: Mapping[str, str] = os.environ) -> Credentials:
    """What a client signs in with: the environment, else the local start's credentials file,
    else the Docker stack's ``.env``; ConfigError naming the places when none has a password."""
    if env.get(PASSWORD_ENV):
        return Credentials(env.get(EMAIL_ENV) or DEFAULT_EMAIL, env[PASSWORD_ENV], f'the environment ({PASSWORD_ENV})')
    for path in (credentials_file(), COMPOSE_SETTINGS):
        stored = read_settings(path)
        if stored.get(PASSWORD_ENV):
            return Credentials(
                env.get(EMAIL_ENV) or stored.get(EMAIL_ENV) or DEFAULT_EMAIL, stored[PASSWORD_ENV], str(path)
            )
    raise ConfigError(
        f'no Mage owner password: set {PASSWORD_ENV} (and {EMAIL_ENV}), or start Mage once with ./scripts/start.sh, '
        f'which writes {credentials_file()} (local) or {COMPOSE_SETTINGS} (Docker)'
    )


def announce(credentials: Credentials, created: bool) -> Optional[str]:
    """What start.sh prints about the sign-in: the password itself only when it is new."""
    if created:
        return (
            f'Mage owner: {credentials.email}, password {credentials.password} (new for this install; '
            f'kept in {credentials.where}, readable only by you: sign in with it, change it there)'
        )
    return f'Mage owner: {credentials.email}, with the password in {credentials.where}'
