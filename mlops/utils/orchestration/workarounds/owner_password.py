"""Mage 0.9.80 keeps whatever owner its database was first given, ``admin`` / ``admin`` included.

Upstream: ``mage_ai/server/server.py``'s ``initialize_user_authentication`` creates the owner
from ``DEFAULT_OWNER_EMAIL`` / ``DEFAULT_OWNER_PASSWORD`` (defaults ``admin@admin.com`` /
``admin``) only while no owner exists, and never changes a password afterwards: a database
first started with the defaults keeps the published login for good, and a password set later
in the environment signs nobody in. No upstream issue found. This runs after it, on every server
start: the owner this install configures (``owner_credentials``) exists with that password,
and Mage's default login, where it still works, is disabled (a random password nobody knows).
Can go when Mage refuses its default password and applies the configured one to the owner
(check: start on a database whose owner is admin@admin.com / admin; sign in with admin).
"""

from __future__ import annotations

import logging
import os
import secrets
from types import ModuleType

from mlops.utils.orchestration.owner_credentials import DEFAULT_EMAIL, EMAIL_ENV, PASSWORD_ENV, WELL_KNOWN_PASSWORDS
from mlops.utils.orchestration.patching import patch_on_import

logger = logging.getLogger(__name__)


def _set_password(user, password: str) -> None:
    from mage_ai.authentication.passwords import create_bcrypt_hash, generate_salt

    salt = generate_salt()
    user.update(password_hash=create_bcrypt_hash(password, salt), password_salt=salt)


def _works(user, password: str) -> bool:
    from mage_ai.authentication.passwords import verify_password

    return bool(user.password_hash) and verify_password(password, user.password_hash)


def sync_owner(email: str, password: str) -> None:
    """The owner ``email`` signs in with ``password`` (created with the owner role when
    missing); no user signs in with a published default password."""
    from mage_ai.orchestration.db.models.oauth import Role, User

    owner = User.query.filter(User.email == email).first()
    if owner is None:
        role = Role.get_role(Role.DefaultRole.OWNER)
        existing = User.query.filter(User.email == DEFAULT_EMAIL).first()
        roles = [role] if role else list(getattr(existing, 'roles_new', None) or [])
        owner = User.create(email=email, username=email, roles_new=roles, password_hash='', password_salt='')
        logger.info('created the Mage owner %s', email)
    if not _works(owner, password):
        _set_password(owner, password)
        logger.info("set the Mage owner %s's password to this install's", email)
    default = owner if email == DEFAULT_EMAIL else User.query.filter(User.email == DEFAULT_EMAIL).first()
    if default is not None and default is not owner:
        for published in WELL_KNOWN_PASSWORDS:
            if _works(default, published):
                _set_password(default, secrets.token_urlsafe(32))
                logger.warning('disabled the published login %s / %s', DEFAULT_EMAIL, published)


def _owner_synced(module: ModuleType) -> None:
    original = module.initialize_user_authentication

    def initialize_user_authentication(*args, **kwargs):
        client = original(*args, **kwargs)
        email, password = os.environ.get(EMAIL_ENV), os.environ.get(PASSWORD_ENV)
        if email and password:  # set by mage_cli (owner_credentials.server_credentials)
            sync_owner(email, password)
        return client

    module.initialize_user_authentication = initialize_user_authentication


def install_owner_password() -> None:
    """After Mage's own user set-up on server start: the configured owner and password hold,
    and Mage's published default login does not."""
    patch_on_import('mage_ai.server.server', _owner_synced)
