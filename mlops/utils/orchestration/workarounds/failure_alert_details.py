"""Mage's failure alerts name the failed blocks, not what went wrong.

Upstream: mage-ai/mage-ai#4653 (closed without the error in 0.9.80's alert). Can go when an
alert of Mage's own carries the block's exception
(``tests/unit_3_observability/test_alerts_server.py`` reads the mail).
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


def failed_block_errors(pipeline_run) -> str:
    """One line per failed block of ``pipeline_run``: ``<block>: <the exception it raised>``
    (Mage keeps it in the block run's ``metrics['error']``)."""
    lines = []
    for block_run in getattr(pipeline_run, 'failed_block_runs', None) or []:
        error = ((block_run.metrics or {}).get('error') or {}).get('error')
        if error:
            lines.append(f'{block_run.block_uuid}: {str(error).strip()}')
    return '\n'.join(lines)


def _failure_alerts_with_the_error(module: ModuleType) -> None:
    original = module.NotificationSender.send_pipeline_run_failure_message

    def send_pipeline_run_failure_message(self, pipeline, pipeline_run, error: str = None, *args, **kwargs):
        try:
            details = failed_block_errors(pipeline_run)
        except Exception:  # the alert matters more than its details
            details = ''
        if details:
            error = f'{error}\n{details}' if error else details
        return original(self, pipeline, pipeline_run, error, *args, **kwargs)

    module.NotificationSender.send_pipeline_run_failure_message = send_pipeline_run_failure_message


def install_failure_alert_details() -> None:
    """Mage 0.9.80's failure alert says only ``Failed blocks: <uuids>.`` (its ``{error}``
    template variable, ``PipelineScheduler.schedule``), not what went wrong, although the
    block run holds the exception. This adds ``<block>: <exception>`` per failed block to
    ``{error}``. Upstream: mage-ai/mage-ai#4653 ("Add Error stack trace when sending out
    failure alert notification", closed without the error in 0.9.80's alert)."""
    patch_on_import('mage_ai.orchestration.notification.sender', _failure_alerts_with_the_error)
