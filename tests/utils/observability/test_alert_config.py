"""The e-mail alert settings in the sub-projects' metadata.yaml, rendered as Mage renders them
(Jinja with its env_var), and read as plain YAML as Mage also reads them."""

import pytest
import yaml
from jinja2 import Template

from mlops.utils.paths import project_dir

PROJECTS = ['unit_3_observability', 'unit_4_triggering']  # the sub-projects with scheduled pipelines
SMTP_VARIABLES = [
    'SMTP_HOST',
    'SMTP_PORT',
    'SMTP_USER',
    'SMTP_PASSWORD',
    'SMTP_MAIL_FROM',
    'ALERT_EMAILS',
    'ALERT_ON_SUCCESS',
]


def notification_config(project, monkeypatch, **env):
    from mage_ai.data_preparation.shared.utils import get_template_vars_no_db
    from mage_ai.orchestration.notification.config import NotificationConfig

    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    text = (project_dir(project) / 'metadata.yaml').read_text()
    rendered = yaml.safe_load(Template(text).render(**get_template_vars_no_db()))
    return NotificationConfig.load(config=rendered['notification_config'])


@pytest.mark.parametrize('project', PROJECTS)
def test_plain_yaml_reading_still_works(project):
    """Mage reads project_uuid without rendering: every Jinja tag must hide in a comment or a string."""
    assert yaml.safe_load((project_dir(project) / 'metadata.yaml').read_text())['project_uuid'] == project


def test_every_scheduled_project_carries_the_same_settings():
    blocks = [yaml.safe_load((project_dir(p) / 'metadata.yaml').read_text())['notification_config'] for p in PROJECTS]
    assert all(block == blocks[0] for block in blocks)


@pytest.mark.parametrize('project', PROJECTS)
def test_no_smtp_settings_no_mail_and_failure_and_sla_alerts_on(project, monkeypatch):
    config = notification_config(project, monkeypatch)
    assert config.email_config is None
    assert [str(a) for a in config.alert_on] == ['trigger_failure', 'trigger_passed_sla']


def test_smtp_settings_come_from_the_environment(monkeypatch):
    config = notification_config(
        'unit_3_observability',
        monkeypatch,
        SMTP_HOST='smtp.gmail.com',
        SMTP_PORT='587',
        SMTP_USER='me@gmail.com',
        SMTP_PASSWORD="abcd efgh ijkl mn'p",
        ALERT_EMAILS='a@example.com, b@example.com',
        ALERT_ON_SUCCESS='true',
    )
    email = config.email_config
    assert (email.smtp_host, int(email.smtp_port), email.smtp_user) == ('smtp.gmail.com', 587, 'me@gmail.com')
    assert email.smtp_password == "abcd efgh ijkl mn'p" and email.smtp_mail_from == 'me@gmail.com'
    assert email.to_emails == ['a@example.com, b@example.com']  # one To header, two recipients
    assert 'trigger_success' in [str(a) for a in config.alert_on]
    assert '{error}' in config.message_templates.failure.details
