"""Mage's job queue forks workers that share their parent's PostgreSQL connection.

Upstream: no issue found; Mage 0.9.80's ``ProcessQueue.start_worker_pool`` forks without
disposing the engine, unlike its own ``orchestration.db.process.create_process``. Can go when
``ProcessQueue`` disposes the engine after forking (``tests/utils/orchestration/test_fork_safety.py``'s
unpatched control then stops sharing a backend).
"""

from __future__ import annotations

import sys
from typing import Any, List

from mlops.utils.forking import after_fork_in_child

# What a forked child inherited from its parent and must neither use nor close (see below).
_INHERITED: List[Any] = []


def _new_mage_connections() -> None:
    """In a forked child: a new connection pool and session for Mage's engine.

    Mage's ``ProcessQueue.start_worker_pool`` forks the worker pool (and the pool forks one
    ``Worker`` per job) without disposing the SQLAlchemy engine, unlike its own
    ``orchestration.db.process.create_process``; ``orchestration/db/__init__.py`` even opens a
    connection at import. A worker's ``start_session(force=True)`` then checks a connection out
    of the *inherited* pool, one whose socket the parent is still using: both processes talk on
    one PostgreSQL connection, and libpq reports ``error with status PGRES_TUPLES_OK and no
    message from the libpq`` (or reads the other's rows). SQLite opens files per connection and
    is not affected. The fix is SQLAlchemy's documented one for ``os.fork`` ("Using Connection
    Pools with Multiprocessing"): ``engine.dispose(close=False)`` in the child. The inherited
    pool and session are kept referenced, never closed: closing or garbage-collecting them
    would send a rollback or a terminate message down the parent's socket.
    """
    db = sys.modules.get('mage_ai.orchestration.db')
    if db is None:  # Mage's database module not loaded in this process: nothing inherited
        return
    from sqlalchemy.orm import scoped_session

    _INHERITED.append((db.engine.pool, db.db_connection.session))
    db.engine.dispose(close=False)
    if db.db_connection.session is not None:
        db.db_connection.session = scoped_session(db.session_factory)


def install_fork_safety() -> None:
    """Give every process forked from this one (and their children) its own connections."""
    after_fork_in_child("Mage's engine", _new_mage_connections)
