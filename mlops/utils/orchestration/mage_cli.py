"""Mage's own command line with one database connection per process.

    python -m mlops.utils.orchestration.mage_cli start mlops --host 127.0.0.1 --port 6789

The same as ``mage ...``, except that every process Mage forks (scheduler, job-queue workers)
gets its own PostgreSQL connections, the scheduler restarts a job-queue worker pool that
exited with jobs still queued, only the scheduler creates a run's block runs, and failure
alerts name each failed block's exception and give up on a silent SMTP server, and files Mage
rewrites (``metadata.yaml``, ``triggers.yaml``) are replaced whole, dashboard charts are routed;
see ``install_fork_safety``, ``install_worker_pool_revival``, ``install_single_block_run_creator``,
``install_failure_alert_details``, ``install_smtp_timeout``, ``install_atomic_file_writes`` and
``install_dashboard_item_route`` in ``mage_internals``. The server also syncs every
sub-project's triggers whichever is active (``platform_triggers``) and stops its whole process
tree on SIGTERM (``clean_stop``).
"""
import sys

from mlops.utils.orchestration.mage_internals import (install_atomic_file_writes, install_dashboard_item_route,
                                                      install_failure_alert_details, install_fork_safety,
                                                      install_single_block_run_creator, install_smtp_timeout,
                                                      install_worker_pool_revival)
from mlops.utils.orchestration.platform_triggers import install_platform_trigger_sync

if __name__ == '__main__':
    install_fork_safety()
    install_worker_pool_revival()
    install_single_block_run_creator()
    install_failure_alert_details()
    install_smtp_timeout()
    install_atomic_file_writes()
    install_dashboard_item_route()
    install_platform_trigger_sync()
    if sys.argv[1:2] == ['start']:
        from mlops.utils.inference.champion import warm_up
        from mlops.utils.orchestration.clean_stop import install_clean_stop

        install_clean_stop()
        warm_up()  # before Mage forks its scheduler: predict runs inherit the loaded champion
    from mage_ai.cli.main import app

    sys.argv[0] = 'mage'
    app()
