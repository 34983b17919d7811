"""Mage's alert mails wait for ever on an SMTP server that drops packets.

Upstream: no Mage issue found (the same bug elsewhere: apache/airflow#10122). Can go when
``mage_ai/services/email/email.py`` passes a timeout to ``smtplib.SMTP``.
"""

from __future__ import annotations

import os
from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import

# How long an alert mail may wait on the SMTP server per step (connect, each command).
SMTP_TIMEOUT_SECONDS = 30.0


def _smtp_with_a_timeout(module: ModuleType) -> None:
    import functools
    import smtplib
    from types import SimpleNamespace

    timeout = float(os.environ.get('SMTP_TIMEOUT') or SMTP_TIMEOUT_SECONDS)
    module.smtplib = SimpleNamespace(SMTP=functools.partial(smtplib.SMTP, timeout=timeout))


def install_smtp_timeout() -> None:
    """Mage 0.9.80's ``services/email/email.py`` opens ``smtplib.SMTP(host, port)`` without a
    timeout, so an SMTP host that drops packets (instead of refusing) blocks the notifying
    process (the scheduler) forever. This gives that module's SMTP connections a timeout
    (``SMTP_TIMEOUT`` seconds, default 30); Mage's sender then logs the error as it does for a
    refused connection. No upstream issue found; the same bug elsewhere: apache/airflow#10122."""
    patch_on_import('mage_ai.services.email.email', _smtp_with_a_timeout)
