"""Mage's alert mails upgrade to TLS without checking who answers, then send the SMTP password.

Upstream: no Mage issue found (the same bug elsewhere: apache/airflow#65346,
caronc/apprise#1639). Mage 0.9.80's ``mage_ai/services/email/email.py`` calls
``server.starttls()`` with no context, so ``smtplib`` upgrades with
``ssl._create_stdlib_context()``, which checks neither the certificate nor the host name: anyone
between the server and the SMTP host can answer the STARTTLS and read the login. Unchanged on
mage-ai's master (December 2026). Can go when that call passes a verifying context (check:
``tests/utils/orchestration/test_smtp_tls_verify.py``'s self-signed server is refused with this
module left out of ``install_workarounds``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Callable

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.workarounds.smtp_settings import (
    check_smtp_settings,
    smtp_settings,
    tls_context,
    wrap_smtp,
)


def _starttls_that_verifies(previous: Callable) -> Callable:
    def SMTP(*args, **kwargs):  # noqa: N802 - stands in for the class smtplib.SMTP
        connection = previous(*args, **kwargs)
        starttls = connection.starttls

        def verified_starttls(*starttls_args, **starttls_kwargs):
            if starttls_kwargs.get('context') is None:
                starttls_kwargs['context'] = tls_context(smtp_settings())
            return starttls(*starttls_args, **starttls_kwargs)

        connection.starttls = verified_starttls
        return connection

    return SMTP


def _smtp_that_verifies(module: ModuleType) -> None:
    wrap_smtp(module, 'tls_verify', _starttls_that_verifies)


def install_smtp_tls_verify() -> None:
    """Mage's sender upgrades its SMTP connections with a context that checks the server's
    certificate and host name (``ssl.create_default_context``: the system's CAs, or
    ``SMTP_CA_FILE``'s only; ``SMTP_TLS_VERIFY=false`` for a relay that has no certificate worth
    the name). The SMTP settings are checked first: a bad one stops the install, naming it."""
    check_smtp_settings()
    patch_on_import('mage_ai.services.email.email', _smtp_that_verifies)
