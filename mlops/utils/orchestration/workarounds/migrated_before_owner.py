"""Mage's server sets up its owner once its database is migrated, not after a fixed 5 s.

Mage 0.9.80's ``initialize_user_authentication`` (``mage_ai/server/server.py``) sleeps 5 s on
every server start before it reads or creates the owner: the scheduler process it forked runs
the database migrations at the same time, and creating users before they end fails (the sleep
came in with mage-ai/mage-ai#2549, "On startup, sleep ... before trying to create user"). Every
start waited those 5 s, on a database migrated long ago too. Here the same wait ends as soon as
the database is at the migrations' head revision (read on a connection of its own, every
0.1 s), and is never longer than Mage's; when the revision cannot be read, Mage's full sleep.
Can go when Mage waits for its migrations instead of sleeping (check: ``sleep(`` in
``initialize_user_authentication``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import ModuleType
from typing import Optional, Set

from mlops.utils.orchestration.patching import patch_on_import

POLL_SECONDS = 0.1
logger = logging.getLogger(__name__)


def head_revisions() -> Set[str]:
    """The head revisions of Mage's own migrations (``mage_ai/orchestration/db/migrations``)."""
    import importlib.util

    from alembic.script import ScriptDirectory

    (mage,) = importlib.util.find_spec('mage_ai').submodule_search_locations  # not imported: it opens the database
    return set(ScriptDirectory(str(Path(mage) / 'orchestration' / 'db' / 'migrations')).get_heads())


def database_revision(engine) -> Optional[str]:
    """The revision Mage's database is at; None before its first migration made the table."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table('alembic_version'):
            return None
        return connection.execute(text('SELECT version_num FROM alembic_version')).scalar()


def wait_until_migrated(seconds: float, url: Optional[str] = None) -> bool:
    """Until the database at ``url`` (Mage's own by default) is at the head revision,
    ``seconds`` at most; True once it is. Any error reading it waits the whole ``seconds``, as
    Mage does."""
    deadline = time.monotonic() + seconds
    try:
        from sqlalchemy import create_engine

        if url is None:
            from mage_ai.orchestration.db import db_connection_url as url
        heads, engine = head_revisions(), create_engine(url)
        try:
            while time.monotonic() < deadline:
                if database_revision(engine) in heads:
                    return True
                time.sleep(POLL_SECONDS)
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - Mage's own wait is the fallback, whatever went wrong
        logger.warning("could not read Mage's database revision; waiting %.0f s as Mage does", seconds, exc_info=True)
        time.sleep(max(deadline - time.monotonic(), 0))
    return False


def _waits_for_migrations(module: ModuleType) -> None:
    # ``sleep`` in mage_ai.server.server is time.sleep, imported by name; its one call is this wait.
    module.sleep = wait_until_migrated


def install_migrated_before_owner() -> None:
    patch_on_import('mage_ai.server.server', _waits_for_migrations)
