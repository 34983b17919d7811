"""Mage's own command line with one database connection per process.

    python -m mlops.utils.orchestration.mage_cli start mlops --host 127.0.0.1 --port 6789

The same as ``mage ...``, except that every process Mage forks (scheduler, job-queue workers)
gets its own PostgreSQL connections; see ``mage_internals.install_fork_safety``.
"""
import sys

from mlops.utils.orchestration.mage_internals import install_fork_safety

if __name__ == '__main__':
    install_fork_safety()
    from mage_ai.cli.main import app

    sys.argv[0] = 'mage'
    app()
