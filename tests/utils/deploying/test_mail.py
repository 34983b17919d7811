"""The test mail through a real SMTP server (aiosmtpd on 127.0.0.1), with the settings the
alerts' notification_config renders from the same environment."""

import pytest
import yaml
from jinja2 import Template

from mlops.utils.deploying.mail import SUBJECT, MailCheckFailed, email_config, send_test_mail
from mlops.utils.errors import ConfigError
from mlops.utils.paths import project_dir
from testkit.servers import MailServer, free_port

SMTP_VARIABLES = ('SMTP_HOST', 'SMTP_PORT', 'SMTP_USER', 'SMTP_PASSWORD', 'SMTP_MAIL_FROM', 'ALERT_EMAILS')


@pytest.fixture(autouse=True)
def no_smtp_settings(monkeypatch):
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def alerts_email_config(env):
    """unit_3_observability's alert settings as Mage renders them (Jinja with env_var)."""
    from mage_ai.data_preparation.shared.utils import get_template_vars_no_db
    from mage_ai.services.email.config import EmailConfig

    text = (project_dir('unit_3_observability') / 'metadata.yaml').read_text()
    rendered = yaml.safe_load(Template(text).render(**get_template_vars_no_db()))
    return EmailConfig.load(config=rendered['notification_config']['email_config'])


@pytest.mark.parametrize(
    'env',
    [
        {'SMTP_HOST': 'smtp.example.com', 'ALERT_EMAILS': 'a@example.com'},
        {
            'SMTP_HOST': 'smtp.gmail.com',
            'SMTP_PORT': '2525',
            'SMTP_USER': 'me@gmail.com',
            'SMTP_PASSWORD': 'app pw',
            'ALERT_EMAILS': 'a@example.com, b@example.com',
        },
        {
            'SMTP_HOST': 'relay',
            'SMTP_USER': 'me@example.com',
            'SMTP_MAIL_FROM': 'mage@example.com',
            'ALERT_EMAILS': 'a@x.org',
        },
    ],
)
def test_the_settings_are_the_alerts_settings(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ours, alerts = email_config(), alerts_email_config(env)
    assert (
        ours.smtp_host,
        ours.smtp_port,
        ours.smtp_user or '',
        ours.smtp_password or '',
        ours.smtp_mail_from,
        ours.to_emails,
    ) == (
        alerts.smtp_host,
        int(alerts.smtp_port),
        alerts.smtp_user or '',
        alerts.smtp_password or '',
        alerts.smtp_mail_from,
        alerts.to_emails,
    )


@pytest.mark.parametrize(
    'env, named',
    [
        ({}, 'SMTP_HOST and ALERT_EMAILS not set'),
        ({'SMTP_HOST': 'smtp.example.com'}, 'ALERT_EMAILS not set'),
        ({'ALERT_EMAILS': 'a@example.com', 'SMTP_HOST': ' '}, 'SMTP_HOST not set'),
        (
            {'SMTP_HOST': 'h', 'ALERT_EMAILS': 'a@example.com', 'SMTP_PORT': 'smtp'},
            "setup_email: SMTP_PORT must be a port number \\(1-65535\\), got 'smtp'",
        ),
    ],
)
def test_missing_settings_are_named(env, named):
    with pytest.raises(ConfigError, match=named):
        email_config(env)


def test_the_test_mail_arrives():
    with MailServer() as mail:
        sent = send_test_mail({**mail.env('ops@example.com, oncall@example.com')})
        messages = mail.wait_for(1)
    assert len(messages) == 1
    message = messages[0]
    assert (message['Subject'], message['From'], message['To']) == (
        SUBJECT,
        'mage@example.com',
        'ops@example.com, oncall@example.com',
    )
    body = message.get_payload(decode=True).decode()
    assert f'SMTP server: 127.0.0.1:{mail.port}' in body and 'Login: none (plain SMTP' in body
    assert sent['sent_to'] == 'ops@example.com, oncall@example.com' and sent['login'] is False


def test_with_user_and_password_it_insists_on_starttls_as_the_alerts_do():
    with MailServer() as mail:  # a plain server: no STARTTLS, so no login and no mail
        with pytest.raises(MailCheckFailed, match='SMTPNotSupportedError: STARTTLS extension not supported'):
            send_test_mail({**mail.env(), 'SMTP_USER': 'me', 'SMTP_PASSWORD': 'pw'})
        assert mail.messages == []


def test_an_unreachable_server_is_named():
    port = free_port()  # nothing listens there
    with pytest.raises(MailCheckFailed) as error:
        send_test_mail({'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': str(port), 'ALERT_EMAILS': 'a@example.com'})
    assert f'through 127.0.0.1:{port} failed: ConnectionRefusedError' in str(error.value)
