"""The tests' own servers (testkit/servers.py) restart as the products they stand for do."""

from __future__ import annotations

import psutil
import psycopg2
import pytest

from testkit.servers import PostgresServer

pytestmark = pytest.mark.slow


def test_postgresql_stops_with_a_client_connected_and_starts_again_on_its_data():
    """A pooled connection left open (Mage's, MLflow's, this process's) must not turn a stop
    into a killed postmaster whose lock file stops the next start."""
    with PostgresServer(['mage']) as server:
        client = psycopg2.connect(server.url('mage'))
        with client.cursor() as cursor:
            cursor.execute('CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)')
        client.commit()
        server.stop()
        assert not [p for p in psutil.process_iter(['cmdline']) if str(server.dir) in ' '.join(p.info['cmdline'] or [])]
        server.start()
        with psycopg2.connect(server.url('mage')) as again, again.cursor() as cursor:
            cursor.execute('SELECT n FROM kept')
            assert cursor.fetchall() == [(1,)]
        again.close()
        client.close()
