"""Mage's SQLite connections wait 60 s for a lock (pysqlite's default: 5 s)."""

import sqlite3

from sqlalchemy import create_engine, text

from mlops.utils.orchestration.workarounds.sqlite_busy_timeout import BUSY_TIMEOUT_MS, install_sqlite_busy_timeout


def test_sqlalchemy_sqlite_connections_wait_a_minute_for_a_lock(tmp_path):
    install_sqlite_busy_timeout()
    install_sqlite_busy_timeout()  # once is enough; twice changes nothing
    engine = create_engine(f'sqlite:///{tmp_path / "mage-ai.db"}')
    with engine.connect() as connection:
        assert connection.execute(text('PRAGMA busy_timeout')).scalar() == BUSY_TIMEOUT_MS == 60_000
    engine.dispose()
    plain = sqlite3.connect(tmp_path / 'plain.db')  # the control: what Mage got without it
    assert plain.execute('PRAGMA busy_timeout').fetchone()[0] == 5000
    plain.close()
