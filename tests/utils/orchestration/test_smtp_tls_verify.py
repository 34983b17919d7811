"""Mage's own e-mail sender against a real SMTP server on 127.0.0.1 that offers STARTTLS with a
self-signed certificate and takes a login: refused by default (the password never leaves),
accepted with that certificate as ``SMTP_CA_FILE`` or with ``SMTP_TLS_VERIFY=false``; and a
password with the characters YAML and Jinja care about reaches the server's login as it is in the
environment, through the sub-projects' ``metadata.yaml`` as Mage renders it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from mlops.utils.deploying.mail import SUBJECT, MailCheckFailed, send_test_mail
from mlops.utils.paths import project_dir
from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from testkit.servers import free_port

SMTP_VARIABLES = (
    'SMTP_HOST',
    'SMTP_PORT',
    'SMTP_USER',
    'SMTP_PASSWORD',
    'SMTP_MAIL_FROM',
    'ALERT_EMAILS',
    'SMTP_TIMEOUT',
    'SMTP_TLS_VERIFY',
    'SMTP_CA_FILE',
)


def self_signed_certificate(folder: Path, names: Tuple[str, ...] = ('127.0.0.1',)) -> Tuple[Path, Path]:
    """(certificate, key) PEM files of a self-signed certificate for ``names`` (IP addresses)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'mlops test SMTP server')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(n)) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / 'smtp-cert.pem', folder / 'smtp-key.pem'
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class StartTlsMailServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that requires STARTTLS, with the certificate
    given, before anything else; it accepts any login and keeps what it received."""

    def __init__(self, cert_file: Path, key_file: Path):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message
        from aiosmtpd.smtp import AuthResult

        self.messages: List = []
        self.logins: List[Tuple[str, str]] = []
        outer = self

        class Keep(Message):
            def handle_message(self, message):
                outer.messages.append(message)

        def authenticator(server, session, envelope, mechanism, auth_data):
            outer.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self.port = free_port()
        self._controller = Controller(
            Keep(),
            hostname='127.0.0.1',
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=authenticator,
        )

    def __enter__(self) -> 'StartTlsMailServer':
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def env(self) -> Dict[str, str]:
        return {
            'SMTP_HOST': '127.0.0.1',
            'SMTP_PORT': str(self.port),
            'SMTP_USER': 'alerts@example.com',
            'SMTP_PASSWORD': 'app password',
            'SMTP_MAIL_FROM': 'mage@example.com',
            'ALERT_EMAILS': 'ops@example.com',
        }


@pytest.fixture(autouse=True)
def no_smtp_settings(monkeypatch):
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope='module')
def certificate(tmp_path_factory) -> Tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp('certificate'))


@pytest.fixture
def server(certificate):
    with StartTlsMailServer(*certificate) as mail:
        yield mail


def test_a_self_signed_certificate_is_refused_by_default_and_the_password_never_sent(server):
    with pytest.raises(MailCheckFailed) as refused:
        send_test_mail(server.env())
    assert 'SSLCertVerificationError' in str(refused.value) and 'self-signed certificate' in str(refused.value)
    assert server.logins == [] and server.messages == []


def test_the_certificate_given_as_smtp_ca_file_is_trusted(server, certificate, monkeypatch):
    monkeypatch.setenv('SMTP_CA_FILE', str(certificate[0]))
    sent = send_test_mail(server.env())
    assert sent['login'] is True
    assert server.logins == [('alerts@example.com', 'app password')]
    [message] = server.messages
    assert message['Subject'] == SUBJECT
    assert f'the server certificate checked against {certificate[0]}' in message.get_payload(decode=True).decode()


def test_a_local_relay_without_a_certificate_worth_checking_with_smtp_tls_verify_false(server, monkeypatch):
    monkeypatch.setenv('SMTP_TLS_VERIFY', 'false')
    send_test_mail(server.env())
    assert server.logins == [('alerts@example.com', 'app password')] and len(server.messages) == 1
    assert 'not checked (SMTP_TLS_VERIFY=false)' in server.messages[0].get_payload(decode=True).decode()


def test_the_ca_file_does_not_vouch_for_another_host_name(tmp_path, monkeypatch):
    """The certificate names 127.0.0.2; the server is reached as 127.0.0.1: refused though trusted."""
    cert_file, key_file = self_signed_certificate(tmp_path, ('127.0.0.2',))
    monkeypatch.setenv('SMTP_CA_FILE', str(cert_file))
    with StartTlsMailServer(cert_file, key_file) as mail:
        with pytest.raises(MailCheckFailed, match="IP address mismatch, certificate is not valid for '127.0.0.1'"):
            send_test_mail(mail.env())
        assert mail.logins == []


def test_the_control_mage_alone_accepts_the_self_signed_certificate_and_logs_in(server):
    """Without the workaround, in a fresh interpreter: Mage 0.9.80's sender logs in to the same
    server, whatever certificate it shows (the check above can tell the difference)."""
    script = textwrap.dedent(f"""
        from mage_ai.services.email.config import EmailConfig
        from mage_ai.services.email.email import send_email
        send_email(EmailConfig(smtp_host='127.0.0.1', smtp_port={server.port}, smtp_user='u',
                               smtp_password='p', smtp_mail_from='mage@example.com',
                               to_emails=['ops@example.com']), subject='s', message='m', verbose=False)
        print('sent')
    """)
    result = run_ok([sys.executable, '-c', script], cwd=REPO_ROOT, timeout=300, env=os.environ)
    assert result.stdout.strip() == 'sent', result.stderr[-2000:]
    assert server.logins == [('u', 'p')]


def mage_email_config(project: str):
    """The sub-project's ``email_config`` exactly as Mage 0.9.80's ``RepoConfig`` reads its
    ``metadata.yaml`` (Jinja with Mage's template functions, Mage's YAML loader and
    ``trim_strings``), as Mage's ``EmailConfig``."""
    from jinja2 import Template
    from mage_ai.data_preparation.shared.utils import get_template_vars_no_db
    from mage_ai.services.email.config import EmailConfig
    from mage_ai.shared.yaml import load_yaml, trim_strings

    text = (project_dir(project) / 'metadata.yaml').read_text()
    config = trim_strings(load_yaml(Template(text).render(**get_template_vars_no_db())))
    return EmailConfig.load(config=config['notification_config']['email_config'])


PASSWORDS = {
    'double quote': 'pa"ss',
    'backslash': 'pa\\ss\\',
    'backslash t': 'pa\\tss',  # two characters, not a tab
    'tab': 'pa\tss',
    'newline': 'pa\nss',
    'colon space': 'pa: ss',
    'hash': 'pa #ss#',
    'all at once': ' "\\\t\n: #{{ x }}\'',
}


@pytest.mark.parametrize('password', PASSWORDS.values(), ids=PASSWORDS.keys())
def test_a_password_reaches_the_login_as_it_is_in_the_environment(server, certificate, monkeypatch, password):
    """Rendered from the environment into notification_config by Mage (both sub-projects with
    alerts), then sent by Mage's sender: the SMTP server's login receives the same characters."""
    from mage_ai.services.email.email import send_email

    from mlops.utils.orchestration.workarounds.smtp_settings import check_smtp_settings
    from mlops.utils.orchestration.workarounds.smtp_timeout import install_smtp_timeout
    from mlops.utils.orchestration.workarounds.smtp_tls_verify import install_smtp_tls_verify

    for name, value in {**server.env(), 'SMTP_PASSWORD': password, 'SMTP_CA_FILE': str(certificate[0])}.items():
        monkeypatch.setenv(name, value)
    check_smtp_settings()  # what the start checks passes
    install_smtp_timeout()
    install_smtp_tls_verify()
    for project in ('unit_3_observability', 'unit_4_triggering'):
        config = mage_email_config(project)
        assert config.smtp_password == password
        send_email(config, subject='s', message='m', verbose=False)
    assert server.logins == [('alerts@example.com', password)] * 2 and len(server.messages) == 2
