"""Mage's alert mails wait for ever on an SMTP server that drops packets.

Upstream: no Mage issue found (the same bug elsewhere: apache/airflow#10122). Can go when
``mage_ai/services/email/email.py`` passes a timeout to ``smtplib.SMTP``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Callable

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.workarounds.smtp_settings import smtp_timeout, wrap_smtp


def _with_a_timeout(previous: Callable) -> Callable:
    def SMTP(*args, **kwargs):  # noqa: N802 - stands in for the class smtplib.SMTP
        kwargs.setdefault('timeout', smtp_timeout())
        return previous(*args, **kwargs)

    return SMTP


def _smtp_with_a_timeout(module: ModuleType) -> None:
    wrap_smtp(module, 'timeout', _with_a_timeout)


def install_smtp_timeout() -> None:
    """Mage 0.9.80's ``services/email/email.py`` opens ``smtplib.SMTP(host, port)`` without a
    timeout, so an SMTP host that drops packets (instead of refusing) blocks the notifying
    process (the scheduler) forever. This gives that module's SMTP connections a timeout
    (``SMTP_TIMEOUT`` seconds, default 30; a value that is not a number of seconds stops the
    install, naming it); Mage's sender then logs the error as it does for a refused connection.
    No upstream issue found; the same bug elsewhere: apache/airflow#10122."""
    smtp_timeout()
    patch_on_import('mage_ai.services.email.email', _smtp_with_a_timeout)
