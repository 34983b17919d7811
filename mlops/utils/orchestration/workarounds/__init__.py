"""Every workaround of a Mage 0.9.80 bug, one module each (its upstream issue and how to tell
when it can go at the top), and the one list every entry point installs: the headless runner
(``mage_internals.bind_project``) and Mage's own command line (``mage_cli``).

Each patch is applied when Mage imports the module it changes (``patching.patch_on_import``),
so installing one a process never uses costs nothing.
"""

from __future__ import annotations

from mlops.utils.orchestration.workarounds import (
    atomic_file_writes,
    clean_stop,
    dashboard_item_route,
    data_product_schedules,
    failure_alert_details,
    fork_safety,
    memory_reading,
    migrated_before_owner,
    owner_password,
    pipeline_home,
    platform_trigger_sync,
    run_variables,
    scheduler_lease,
    scheduler_wakeup,
    single_block_run_creator,
    smtp_timeout,
    smtp_tls_verify,
    sqlite_busy_timeout,
    trigger_token_out_of_code,
    web_origin,
    worker_pool_revival,
)


def install_workarounds() -> None:
    """All of them (looked up at call time, so a test can leave one out as its control)."""
    fork_safety.install_fork_safety()
    worker_pool_revival.install_worker_pool_revival()
    single_block_run_creator.install_single_block_run_creator()
    failure_alert_details.install_failure_alert_details()
    smtp_timeout.install_smtp_timeout()
    smtp_tls_verify.install_smtp_tls_verify()  # also checks the SMTP settings: a bad one stops the start
    atomic_file_writes.install_atomic_file_writes()
    dashboard_item_route.install_dashboard_item_route()
    sqlite_busy_timeout.install_sqlite_busy_timeout()
    pipeline_home.install_pipeline_home()
    scheduler_wakeup.install_scheduler_wakeup()
    memory_reading.install_memory_reading()
    trigger_token_out_of_code.install_trigger_token_out_of_code()
    web_origin.install_web_origin()  # also checks MLOPS_ALLOWED_HOSTS/_ORIGINS, MAGE_PUBLIC_HOST
    migrated_before_owner.install_migrated_before_owner()
    owner_password.install_owner_password()
    # The platform's: one database, many sub-projects.
    data_product_schedules.install_data_product_schedules()
    platform_trigger_sync.install_platform_trigger_sync()  # also checks MLOPS_TIME_TRIGGERS
    run_variables.install_platform_run_variables()
    scheduler_lease.install_scheduler_lease()
    clean_stop.install_clean_stop()
