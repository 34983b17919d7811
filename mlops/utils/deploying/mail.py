"""setup_email: the alerts' SMTP settings proven by a test mail, sent by Mage's own sender with
the same environment variables and defaults as the alerts' notification_config (docs: Monitoring
and alerts): STARTTLS and login only when SMTP_USER and SMTP_PASSWORD are both set, the server's
certificate checked (SMTP_TLS_VERIFY, SMTP_CA_FILE), SMTP_TIMEOUT seconds per step. Those three
and the port are read and checked in ``workarounds.smtp_settings``, as the server's start does."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.workarounds.smtp_settings import smtp_port, smtp_settings

REQUIRED = ('SMTP_HOST', 'ALERT_EMAILS')
SUBJECT = 'Mage deploying_to_production: test mail'


class MailCheckFailed(RuntimeError):
    """The SMTP server refused or could not be reached; the message says which and why."""


def email_config(env: Optional[Mapping[str, str]] = None):
    """Mage's EmailConfig as the alerts build it from the environment."""
    from mage_ai.services.email.config import EmailConfig

    env = os.environ if env is None else env
    missing = [name for name in REQUIRED if not (env.get(name) or '').strip()]
    if missing:
        raise ConfigError(
            f'setup_email: {" and ".join(missing)} not set; the alerts use SMTP_HOST, SMTP_PORT, '
            'SMTP_USER, SMTP_PASSWORD, SMTP_MAIL_FROM and ALERT_EMAILS (docs/monitoring-and-alerts.md, *Alerts (e-mail)*)'
        )
    try:
        port = smtp_port(env)
    except ConfigError as error:
        raise ConfigError(f'setup_email: {error}') from None
    return EmailConfig(
        smtp_host=env['SMTP_HOST'].strip(),
        smtp_port=port,
        smtp_user=env.get('SMTP_USER') or '',
        smtp_password=env.get('SMTP_PASSWORD') or '',
        smtp_mail_from=env.get('SMTP_MAIL_FROM') or env.get('SMTP_USER') or 'mage@localhost',
        # One entry holding the comma-separated list, as the alerts' config has it: one To header.
        to_emails=[env['ALERT_EMAILS'].strip()],
    )


def mail_body(config, sent_at: str, certificate: str = 'checked against the system CAs') -> str:
    login = (
        f'STARTTLS (the server certificate {certificate}), then login as {config.smtp_user}'
        if config.smtp_user and config.smtp_password
        else 'none (plain SMTP: SMTP_USER and SMTP_PASSWORD are not both set)'
    )
    return '\n'.join(
        [
            'The deploying_to_production pipeline (unit_5_deploying, block setup_email) sent this mail',
            'with the settings the failure and SLA alerts use: they reach you.',
            '',
            f'SMTP server: {config.smtp_host}:{config.smtp_port}',
            f'Login: {login}',
            f'From: {config.smtp_mail_from}',
            f'To: {", ".join(config.to_emails)}',
            f'Sent at: {sent_at}',
        ]
    )


def certificate_check(env: Optional[Mapping[str, str]] = None) -> str:
    """How STARTTLS checks the server's certificate, in words (``SMTP_TLS_VERIFY``, ``SMTP_CA_FILE``)."""
    settings = smtp_settings(env)
    if not settings.verify:
        return 'not checked (SMTP_TLS_VERIFY=false)'
    return f'checked against {settings.ca_file}' if settings.ca_file else 'checked against the system CAs'


def send_test_mail(env: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Send the test mail; a refused or unreachable server, or a certificate STARTTLS does not
    trust, raises MailCheckFailed naming it. ``env`` gives the server, the account and the
    recipients (default: the environment); the timeout and the certificate check are read from
    the environment, as the alerts' are."""
    from mage_ai.services.email import email as sender

    from mlops.utils.orchestration.workarounds.smtp_timeout import install_smtp_timeout
    from mlops.utils.orchestration.workarounds.smtp_tls_verify import install_smtp_tls_verify

    config = email_config(env)
    install_smtp_timeout()  # the alerts' timeout on Mage's sender (SMTP_TIMEOUT)
    install_smtp_tls_verify()  # and their certificate check (SMTP_TLS_VERIFY, SMTP_CA_FILE)
    sent_at = datetime.now(timezone.utc).isoformat(timespec='seconds')
    body = mail_body(config, sent_at, certificate_check())
    try:
        sender.send_email(config, subject=SUBJECT, message=body, verbose=False)
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        raise MailCheckFailed(
            f'setup_email: the test mail to {", ".join(config.to_emails)} through '
            f'{config.smtp_host}:{config.smtp_port} failed: {type(error).__name__}: {error}'
        ) from error
    print(f'test mail sent to {", ".join(config.to_emails)} through {config.smtp_host}:{config.smtp_port}', flush=True)
    return {
        'sent_to': config.to_emails[0],
        'smtp_server': f'{config.smtp_host}:{config.smtp_port}',
        'login': bool(config.smtp_user and config.smtp_password),
        'subject': SUBJECT,
        'sent_at': sent_at,
    }
