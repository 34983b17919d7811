"""Mage's embedded SQLite database: a connection waits up to 60 s for a lock, not 5.

Mage 0.9.80 opens its SQLite file with pysqlite's default timeout, 5 s
(``mage_ai/orchestration/db/__init__.py`` passes no ``timeout`` in ``connect_args``). Its
scheduler and every block run's worker process write run states to that one file; on a loaded
machine a writer held the lock longer, and the headless runner's scheduler failed a query with
``sqlite3.OperationalError: database is locked`` (seen once in the test suite's main job, fresh-
clone run 20 of #17; upstream: mage-ai/mage-ai#4756, "Failed to run scheduler", closed without a
timeout). Goes when Mage sets a busy timeout of its own there; PostgreSQL (the compose shape) is
not concerned. The listener is on every SQLAlchemy engine, so MLflow's embedded SQLite store in
the same process waits for its locks as long: one rule for both files, not a second patch.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 60_000


def _wait_for_locks(dbapi_connection, _connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f'PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}')


def install_sqlite_busy_timeout() -> None:
    """Every SQLite connection SQLAlchemy opens in this process (and its forks) from now on."""
    if not event.contains(Engine, 'connect', _wait_for_locks):
        event.listen(Engine, 'connect', _wait_for_locks)
