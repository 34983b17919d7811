"""The alert mails' SMTP settings: each bad value named, the values Mage's reading of
``metadata.yaml`` or smtplib would change refused, and a bad one stopping a server's start."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.workarounds.smtp_settings import (
    SmtpSettings,
    check_rendering,
    check_smtp_settings,
    rendered_email_config,
    smtp_settings,
    tls_context,
    wrap_smtp,
)
from mlops.utils.paths import project_dir
from testkit.chain import REPO_ROOT
from testkit.commands import run_command

MAIL = {'SMTP_HOST': 'smtp.example.com', 'ALERT_EMAILS': 'ops@example.com'}


def test_the_defaults_verify_with_the_system_cas():
    assert smtp_settings({}) == SmtpSettings(port=587, timeout=30.0, verify=True, ca_file=None)
    context = tls_context(smtp_settings({}))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats() == ssl.create_default_context().cert_store_stats()


def test_the_settings_as_given():
    settings = smtp_settings({'SMTP_PORT': '2525', 'SMTP_TIMEOUT': '2.5', 'SMTP_TLS_VERIFY': 'False'})
    assert settings == SmtpSettings(port=2525, timeout=2.5, verify=False, ca_file=None)
    context = tls_context(settings)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_a_ca_file_is_the_only_trust(tmp_path):
    from tests.utils.orchestration.test_smtp_tls_verify import self_signed_certificate

    cert_file, _ = self_signed_certificate(tmp_path)
    settings = smtp_settings({'SMTP_CA_FILE': str(cert_file)})
    assert settings.ca_file == cert_file and settings.verify
    assert tls_context(settings).cert_store_stats()['x509_ca'] == 1


@pytest.mark.parametrize(
    'env, message',
    [
        ({'SMTP_TIMEOUT': 'abc'}, "SMTP_TIMEOUT must be a number of seconds in (0, 3600], got 'abc'"),
        ({'SMTP_TIMEOUT': '0'}, "SMTP_TIMEOUT must be a number of seconds in (0, 3600], got '0'"),
        ({'SMTP_TIMEOUT': 'nan'}, "got 'nan'"),
        ({'SMTP_TIMEOUT': '1e9'}, "got '1e9'"),
        ({'SMTP_PORT': 'smtp'}, "SMTP_PORT must be a port number (1-65535), got 'smtp'"),
        ({'SMTP_PORT': '0'}, "SMTP_PORT must be a port number (1-65535), got '0'"),
        ({'SMTP_PORT': '65536'}, "got '65536'"),
        ({'SMTP_TLS_VERIFY': 'maybe'}, "SMTP_TLS_VERIFY must be true or false, got 'maybe'"),
        (
            {'SMTP_TLS_VERIFY': 'false', 'SMTP_CA_FILE': '/etc/ssl/x.pem'},
            'SMTP_CA_FILE=/etc/ssl/x.pem is set but SMTP_TLS_VERIFY=false turns certificate checks off',
        ),
        ({'SMTP_CA_FILE': '/no/such/ca.pem'}, 'SMTP_CA_FILE=/no/such/ca.pem cannot be used as the CAs to trust'),
    ],
)
def test_a_bad_setting_is_named(env, message):
    with pytest.raises(ConfigError) as error:
        smtp_settings(env)
    assert message in str(error.value)


def test_a_ca_file_that_is_no_certificate_is_named(tmp_path):
    garbage = tmp_path / 'ca.pem'
    garbage.write_text('not a certificate\n')
    with pytest.raises(ConfigError, match=f'SMTP_CA_FILE={garbage} cannot be used as the CAs to trust'):
        smtp_settings({'SMTP_CA_FILE': str(garbage)})


@pytest.mark.parametrize(
    'env, message',
    [
        ({'SMTP_PASSWORD': 'secret '}, 'SMTP_PASSWORD ends in whitespace, which Mage strips'),
        ({'SMTP_PASSWORD': 'secret\n'}, 'SMTP_PASSWORD ends in whitespace'),
        ({'SMTP_USER': 'me\t'}, 'SMTP_USER ends in whitespace'),
        ({'SMTP_PASSWORD': 'pässword'}, "SMTP_PASSWORD holds characters outside ASCII: Python's smtplib cannot"),
    ],
)
def test_a_credential_mage_or_smtplib_would_change_is_refused_without_showing_it(env, message):
    with pytest.raises(ConfigError) as error:
        check_rendering({**MAIL, **env})
    assert message in str(error.value) and 'secret' not in str(error.value) and 'pässword' not in str(error.value)


def test_the_files_checked_are_the_sub_projects_with_alert_mails():
    from mlops.utils.orchestration.workarounds.smtp_settings import alert_metadata_files

    assert alert_metadata_files() == [
        project_dir('unit_3_observability') / 'metadata.yaml',
        project_dir('unit_4_triggering') / 'metadata.yaml',
    ]


def test_every_printable_ascii_password_comes_through_the_rendering():
    password = ''.join(map(chr, range(32, 127))) + '\t\n\r\x01'
    env = {**MAIL, 'SMTP_USER': 'me', 'SMTP_PASSWORD': password}
    check_smtp_settings(env)
    config = rendered_email_config(project_dir('unit_3_observability') / 'metadata.yaml', env)
    assert config['smtp_password'] == password and config['smtp_user'] == 'me'


def test_a_template_that_changes_a_value_is_caught(tmp_path):
    """The control: the quoting these files had before (the value straight inside double quotes)
    turns ``\\t`` into a tab, and the check names the variable without showing it."""
    old = tmp_path / 'metadata.yaml'
    old.write_text(
        'notification_config:\n'
        '  email_config:\n'
        '    smtp_host: "{{ env_var(\'SMTP_HOST\') }}"\n'
        '    smtp_password: "{{ env_var(\'SMTP_PASSWORD\') }}"\n'
        '    to_emails:\n'
        '    - "{{ env_var(\'ALERT_EMAILS\') }}"\n'
    )
    with pytest.raises(ConfigError) as error:
        check_rendering({**MAIL, 'SMTP_PASSWORD': 'pa\\tss'}, files=[old])
    assert str(error.value) == f'SMTP_PASSWORD changes when Mage reads {old}'
    with pytest.raises(ConfigError, match='cannot be read once rendered'):
        check_rendering({**MAIL, 'SMTP_PASSWORD': 'pa"ss'}, files=[old])


def test_the_smtp_wrappers_apply_once_each_in_any_order():
    from types import SimpleNamespace

    calls = []

    def tagged(tag):
        def wrap(previous):
            def SMTP(*args):  # noqa: N802
                calls.append(tag)
                return previous(*args)

            return SMTP

        return wrap

    module = SimpleNamespace(smtplib=SimpleNamespace(SMTP=lambda *args: calls.append('smtplib')))
    for name in ('timeout', 'tls_verify', 'timeout', 'tls_verify'):
        wrap_smtp(module, name, tagged(name))
    module.smtplib.SMTP('host', 25)
    assert calls == ['tls_verify', 'timeout', 'smtplib']


def started(env: dict, tmp_path: Path, *command: str) -> subprocess.CompletedProcess:
    return run_command(
        [sys.executable, '-m', *command],
        cwd=REPO_ROOT,
        env={**os.environ, 'MLOPS_DATA_DIR': str(tmp_path / 'data'), 'MAGE_DATA_DIR': str(tmp_path / 'mage'), **env},
        timeout=300,
    )


@pytest.mark.parametrize(
    'env, message',
    [
        ({'SMTP_TIMEOUT': 'abc'}, "SMTP_TIMEOUT must be a number of seconds in (0, 3600], got 'abc'"),
        ({'SMTP_PORT': 'smtp'}, "SMTP_PORT must be a port number (1-65535), got 'smtp'"),
        ({'SMTP_TLS_VERIFY': 'maybe'}, "SMTP_TLS_VERIFY must be true or false, got 'maybe'"),
    ],
)
def test_a_bad_setting_stops_the_server_start_naming_it(env, message, tmp_path):
    """Mage's command line as start.sh and the image run it stops before Mage starts; the check
    a script can run first says the same in one line."""
    server = started(env, tmp_path, 'mlops.utils.orchestration.mage_cli', 'start', 'mlops', '--port', '1')
    assert server.returncode != 0 and server.stderr.rstrip().endswith(f'ConfigError: {message}'), server.stderr
    check = started(env, tmp_path, 'mlops.utils.orchestration.workarounds')
    assert (check.returncode, check.stderr, check.stdout) == (2, f'error: {message}\n', '')


def test_the_check_a_script_runs_first_passes_good_settings_silently(tmp_path):
    check = started(
        {**MAIL, 'SMTP_PASSWORD': 'a"b\\c', 'SMTP_TIMEOUT': '5'}, tmp_path, 'mlops.utils.orchestration.workarounds'
    )
    assert (check.returncode, check.stderr, check.stdout) == (0, '', '')
