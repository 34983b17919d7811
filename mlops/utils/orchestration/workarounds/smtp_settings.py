"""The alert mails' SMTP settings, read and checked in one place, and the one way the SMTP
workarounds wrap the connection Mage's e-mail sender opens.

Not a workaround itself: ``smtp_timeout`` and ``smtp_tls_verify`` (the patches over Mage's
``services/email/email.py``), ``deploying.mail`` (setup_email's test mail) and the server's start
read these settings here, and this module goes with the last of those two patches.

Checked when a Mage process starts (``install_workarounds``; before it, ``python -m
mlops.utils.orchestration.workarounds`` in a shell script): a bad ``SMTP_TIMEOUT``,
``SMTP_PORT``, ``SMTP_TLS_VERIFY`` or ``SMTP_CA_FILE`` stops the start naming the variable,
instead of failing the first alert mail. So does a value
that Mage's reading of the sub-projects' ``metadata.yaml`` would change (it renders
``notification_config`` from the environment, then strips trailing whitespace from every string)
or that Python's ``smtplib`` cannot send (it logs in with ASCII only).
"""

from __future__ import annotations

import math
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Callable, List, Mapping, Optional

from mlops.utils.errors import ConfigError
from mlops.utils.paths import REPO_ROOT, resolve_local

DEFAULT_PORT = 587
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 3600.0
TRUE_WORDS, FALSE_WORDS = ('true', '1', 'yes', 'on'), ('false', '0', 'no', 'off')
# The environment variables notification_config renders, and what each becomes there.
RENDERED = {
    'SMTP_HOST': 'smtp_host',
    'SMTP_USER': 'smtp_user',
    'SMTP_PASSWORD': 'smtp_password',
    'SMTP_MAIL_FROM': 'smtp_mail_from',
    'ALERT_EMAILS': 'to_emails',
}
CREDENTIALS = ('SMTP_USER', 'SMTP_PASSWORD')  # sent as they are when logging in


@dataclass(frozen=True)
class SmtpSettings:
    """What the alert mails' connection uses beside Mage's own ``EmailConfig``."""

    port: int
    timeout: float  # seconds per step: connect, then each command
    verify: bool  # STARTTLS checks the server's certificate and host name
    ca_file: Optional[Path]  # the CAs to trust instead of the system's


def _env(env: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return os.environ if env is None else env


def smtp_port(env: Optional[Mapping[str, str]] = None) -> int:
    text = (_env(env).get('SMTP_PORT') or '').strip() or str(DEFAULT_PORT)
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ConfigError(f'SMTP_PORT must be a port number (1-65535), got {text!r}')
    return int(text)


def smtp_timeout(env: Optional[Mapping[str, str]] = None) -> float:
    text = (_env(env).get('SMTP_TIMEOUT') or '').strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT_SECONDS):
        raise ConfigError(f'SMTP_TIMEOUT must be a number of seconds in (0, {MAX_TIMEOUT_SECONDS:.0f}], got {text!r}')
    return seconds


def smtp_settings(env: Optional[Mapping[str, str]] = None) -> SmtpSettings:
    """The settings from ``env`` (default: this process's environment); ConfigError naming the
    variable and its value when one is not valid."""
    env = _env(env)
    verify_text = (env.get('SMTP_TLS_VERIFY') or '').strip().lower() or 'true'
    if verify_text not in TRUE_WORDS + FALSE_WORDS:
        raise ConfigError(f'SMTP_TLS_VERIFY must be true or false, got {env.get("SMTP_TLS_VERIFY")!r}')
    verify = verify_text in TRUE_WORDS
    ca_text = (env.get('SMTP_CA_FILE') or '').strip()
    if ca_text and not verify:
        raise ConfigError(
            f'SMTP_CA_FILE={ca_text} is set but SMTP_TLS_VERIFY={env.get("SMTP_TLS_VERIFY")} turns certificate '
            'checks off: unset one of them'
        )
    ca_file = resolve_local(ca_text) if ca_text else None
    settings = SmtpSettings(smtp_port(env), smtp_timeout(env), verify, ca_file)
    if ca_file:
        tls_context(settings)  # a CA file that cannot be used is named now, not at the first alert
    return settings


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The context STARTTLS upgrades with: the server's certificate and host name checked against
    the system's CAs (or ``SMTP_CA_FILE``'s only), or nothing checked with ``SMTP_TLS_VERIFY=false``."""
    if not settings.verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise ConfigError(
            f'SMTP_CA_FILE={settings.ca_file} cannot be used as the CAs to trust (a PEM file of '
            f'certificates is expected): {type(error).__name__}: {error}'
        ) from None


# -- what Mage will read ----------------------------------------------------------------------


def alert_metadata_files(platform_root: Path = REPO_ROOT / 'mlops') -> List[Path]:
    """The sub-projects' ``metadata.yaml`` that configure alert mails."""
    from mlops.utils.orchestration.platform_triggers import sub_projects

    files = [project / 'metadata.yaml' for project in sub_projects(platform_root)]
    return [f for f in files if f.exists() and 'email_config' in f.read_text()]


def rendered_email_config(metadata: Path, env: Optional[Mapping[str, str]] = None) -> Optional[dict]:
    """``notification_config.email_config`` of ``metadata`` as Mage 0.9.80 reads it
    (``RepoConfig.__init__``: Jinja with ``env_var``, its YAML loader, ``trim_strings``), with
    ``env`` as the environment; None when it configures no mail."""
    import yaml
    from jinja2 import Template
    from mage_ai.shared.yaml import load_yaml, trim_strings

    env = _env(env)
    text = Template(metadata.read_text()).render(env_var=lambda name, default=None: env.get(name, default))
    try:
        config = trim_strings(load_yaml(text) or {})
    except yaml.YAMLError as error:  # a value the rendering made unreadable
        raise ConfigError(
            f'{metadata} cannot be read once rendered with the SMTP settings of the environment '
            f'({type(error).__name__}); a value holds characters YAML cannot carry'
        ) from None
    return (config.get('notification_config') or {}).get('email_config')


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def check_rendering(env: Optional[Mapping[str, str]] = None, files: Optional[List[Path]] = None) -> None:
    """Every alert setting reaches Mage's sender as it is in the environment (the password is
    never printed); ConfigError naming the variable otherwise."""
    env = _env(env)
    for name in CREDENTIALS:
        value = env.get(name) or ''
        if not value.isascii():
            raise ConfigError(f"{name} holds characters outside ASCII: Python's smtplib cannot log in with them")
        if value != value.rstrip():
            raise ConfigError(
                f'{name} ends in whitespace, which Mage strips from every setting it reads '
                '(mage_ai/shared/yaml.py trim_strings): the server would log in with another value'
            )
    if not ((env.get('SMTP_HOST') or '').strip() and (env.get('ALERT_EMAILS') or '').strip()):
        return  # no mail is attempted
    for metadata in alert_metadata_files() if files is None else files:
        config = rendered_email_config(metadata, env) or {}
        for name, key in RENDERED.items():
            wanted, got = env.get(name) or '', config.get(key)
            got = got[0] if isinstance(got, list) and len(got) == 1 else got
            if name not in CREDENTIALS:  # Mage's own rstrip (and our strip) of a name is harmless
                wanted, got = wanted.strip(), got.strip() if isinstance(got, str) else got
            if wanted and got != wanted:
                shown = '' if name == 'SMTP_PASSWORD' else f': {wanted!r} became {got!r}'
                raise ConfigError(f'{name} changes when Mage reads {_shown(metadata)}{shown}')


def check_smtp_settings(env: Optional[Mapping[str, str]] = None) -> SmtpSettings:
    """Everything above, as a server start does it."""
    settings = smtp_settings(env)
    check_rendering(env)
    return settings


# -- the connection Mage's sender opens -------------------------------------------------------


def wrap_smtp(module: ModuleType, name: str, wrap: Callable[[Callable], Callable]) -> None:
    """Make Mage's sender module (``mage_ai.services.email.email``, which calls
    ``smtplib.SMTP(host, port)``) open its connections through ``wrap(previous)``, once per
    ``name`` however often a workaround is installed, whatever the order of the workarounds."""
    current = module.smtplib
    applied = getattr(current, 'mlops_wrappers', frozenset())
    if name in applied:
        return
    module.smtplib = SimpleNamespace(SMTP=wrap(current.SMTP), mlops_wrappers=applied | {name})
