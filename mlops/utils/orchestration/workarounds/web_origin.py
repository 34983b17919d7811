"""Mage answers every web page: any origin may call its API and open its websockets, under any Host.

Why it is this long: like every workaround, it carries the upstream evidence in this docstring
(forty lines), then parses Host and Origin headers, reads the allowed names from the environment
and guards each of Mage's applications.

Upstream: no issue found in mage-ai/mage-ai (searched: CORS, Access-Control-Allow-Origin,
check_origin, DNS rebinding, Host header; ``server/api/base.py`` is the same in the newest stored
copy of its repository, commit 0f385463). Mage 0.9.80: ``server/api/base.py``
``BaseHandler.set_default_headers`` puts ``Access-Control-Allow-Origin: *`` and
``Access-Control-Allow-Headers: *`` on every API answer and ``BaseHandler.options`` says yes to
every preflight; ``server/static/files.py`` ``StaticFileHandler`` sends ``*`` too; ``check_origin``
returns True in ``server/websocket_server.py`` ``WebSocketServer`` (the editor's kernel),
``server/websockets/base.py`` ``BaseHandler`` and ``server/terminal_server.py``
``TerminalWebsocketServer`` (a shell); nothing in ``server/server.py`` ``make_app``'s application
looks at the Host header. With the UI's OAuth client id a public constant, a page open in the same
browser could sign in (``POST /api/sessions`` from ``Origin: https://evil.example`` returned a
session token and ``*``) and run code; through DNS rebinding (a name of the attacker's made to
resolve to 127.0.0.1) even as the same origin. Can go when
``tests/utils/orchestration/test_web_origin.py``'s control (Mage with this module left out) refuses
a foreign Origin, a foreign Host and a foreign websocket by itself.

The rule, one for every request of ``make_app``'s application, before Mage sees it:

- **Host**: the ``Host`` header names a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``),
  the host of ``MAGE_PUBLIC_HOST`` (Mage's own setting: the URL the UI is reached at) or one of
  ``MLOPS_ALLOWED_HOSTS`` (comma-separated names or IP addresses), any port. Otherwise 403 and a
  line of text. One exemption, for a load balancer's health check: ``GET``/``HEAD /api/status``
  with no ``Origin`` and a Host that is an IP address (an AWS ALB sends the target's IP and port)
  or no Host at all.
  A rebound name is never an IP address, so the exemption lets no rebinding through.
- **Origin**: a request that carries one (every browser POST, preflight and websocket does) must
  come from the same origin (its host and port are the Host header's; the scheme is not compared,
  TLS may end at a proxy) or from one listed in
  ``MLOPS_ALLOWED_ORIGINS`` (full origins, e.g. a reverse proxy's that does not pass the Host on)
  or ``MAGE_PUBLIC_HOST``'s; otherwise 403, preflights included, with no CORS header. Requests
  without ``Origin`` (curl, the project's clients, Mage calling itself) are not cross-origin.
- **CORS headers**: answers to admitted requests with an ``Origin`` echo it in
  ``Access-Control-Allow-Origin`` (with ``Vary: Origin``) where Mage put ``*``; answers to requests
  without one carry no ``Access-Control-Allow-*`` header.
- **Websockets**: ``check_origin`` of every websocket handler the application routes to applies
  the same Origin rule (tornado calls it only when an ``Origin`` is sent).

A malformed setting stops the install (so the server's start) with a ConfigError naming it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Callable, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.patching import patch_on_import

if TYPE_CHECKING:
    from tornado.web import Application

HOSTS_VARIABLE, ORIGINS_VARIABLE = 'MLOPS_ALLOWED_HOSTS', 'MLOPS_ALLOWED_ORIGINS'
PUBLIC_URL_VARIABLE = 'MAGE_PUBLIC_HOST'  # Mage's: the UI's URL, for the links of its alert mails
LOOPBACK_HOSTS = frozenset({'localhost', '127.0.0.1', '[::1]'})
HEALTH_CHECK_PATH = '/api/status'  # the load balancer's check of the mage target group (terraform/aws/alb.tf)
DEFAULT_PORTS = {'http': 80, 'https': 443}
CORS_HEADERS = (
    'Access-Control-Allow-Origin',
    'Access-Control-Allow-Headers',
    'Access-Control-Allow-Methods',
    'Access-Control-Allow-Credentials',
    'Access-Control-Expose-Headers',
    'Access-Control-Max-Age',
)
HOST_REFUSED = (
    f'this server answers only its own host names (loopback, {PUBLIC_URL_VARIABLE}, {HOSTS_VARIABLE}); '
    "this request's Host is not one"
)
ORIGIN_REFUSED = f"cross-origin request refused: its Origin is neither this server's own nor one of {ORIGINS_VARIABLE}"
_LABEL = re.compile(r'[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?')  # _: Docker service names have them
_HOST_HEADER = re.compile(r'(\[[^\]]*\]|[^:\[\]]+)(?::(\d{1,5}))?')

Origin = Tuple[str, str, int]  # scheme, host name as a Host header writes it, port
log = logging.getLogger(__name__)


def host_name(text: str) -> Optional[str]:
    """``text`` as a Host header names a host (lower case, an IPv6 address in brackets), or None
    when it is not a host name or IP address."""
    text = text.lower()
    if text.startswith('[') and text.endswith(']'):
        try:
            ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            return None
        return text
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in text.split('.')):
        return None
    return text


def split_host(header: Optional[str]) -> Optional[Tuple[str, Optional[int]]]:
    """(host name, port or None) of a Host header; None when absent or not ``host[:port]``."""
    match = _HOST_HEADER.fullmatch(header or '')
    if not match:
        return None
    name, port = host_name(match.group(1)), int(match.group(2)) if match.group(2) else None
    if name is None or (port is not None and not 0 < port < 65536):
        return None
    return name, port


def parse_origin(text: str) -> Optional[Origin]:
    """(scheme, host, port) of an origin ``scheme://host[:port]`` (http or https, the port
    defaulted from the scheme); None for anything else (``null``, a path, user info, ``*``)."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    if (
        parts.scheme not in DEFAULT_PORTS
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or '@' in parts.netloc
        or port == 0
    ):
        return None
    name = host_name(f'[{parts.hostname}]' if ':' in parts.hostname else parts.hostname)
    return None if name is None else (parts.scheme, name, port or DEFAULT_PORTS[parts.scheme])


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip('[]'))
    except ValueError:
        return False
    return True


def _health_check(method: str, path: str, host: Optional[str], origin: Optional[str]) -> bool:
    """A load balancer's health check: no browser sends it (no Origin, an IP address or nothing
    as Host), so no rebound name can pass as one."""
    split = split_host(host)
    return (
        method in ('GET', 'HEAD')
        and path == HEALTH_CHECK_PATH
        and origin is None
        and (host is None or (split is not None and _is_ip_address(split[0])))
    )


@dataclass(frozen=True)
class WebAccess:
    """Who the server answers: the host names (any port) and the origins besides its own."""

    hosts: FrozenSet[str]
    origins: FrozenSet[Origin]

    def host_allowed(self, host: Optional[str]) -> bool:
        split = split_host(host)
        return split is not None and split[0] in self.hosts

    def origin_allowed(self, origin: str, host: Optional[str]) -> bool:
        """``origin`` is the request's own (the Host header's host and port) or a listed one."""
        parsed, split = parse_origin(origin), split_host(host)
        if parsed is None:
            return False
        if parsed in self.origins:
            return True
        return split is not None and (split[0], split[1] or DEFAULT_PORTS[parsed[0]]) == parsed[1:]

    def refusal(self, method: str, path: str, host: Optional[str], origin: Optional[str]) -> Optional[str]:
        """Why a request is refused (its Host, then its Origin), or None to let Mage answer it."""
        if not (self.host_allowed(host) or _health_check(method, path, host, origin)):
            return HOST_REFUSED
        if origin is not None and not self.origin_allowed(origin, host):
            return ORIGIN_REFUSED
        return None


def _entries(env: Mapping[str, str], name: str) -> List[str]:
    return [entry.strip() for entry in (env.get(name) or '').split(',') if entry.strip()]


def web_access(env: Optional[Mapping[str, str]] = None) -> WebAccess:
    """The settings of ``env`` (default: this process's environment); ConfigError naming the
    variable and the entry that is not valid."""
    env = os.environ if env is None else env
    hosts, origins = set(LOOPBACK_HOSTS), set()
    for entry in _entries(env, HOSTS_VARIABLE):
        name = host_name(entry)
        if name is None:
            raise ConfigError(
                f'{HOSTS_VARIABLE} holds {entry!r}, which is not a host name: give names or IP addresses, '
                'comma-separated, without scheme, port or path (e.g. mage.example.com,10.0.0.5,[fd00::5]); '
                'every port of a name is answered'
            )
        hosts.add(name)
    for entry in _entries(env, ORIGINS_VARIABLE):
        origin = parse_origin(entry)
        if origin is None:
            raise ConfigError(
                f'{ORIGINS_VARIABLE} holds {entry!r}, which is not an origin: give scheme://host[:port] '
                '(http or https, no path, no wildcard), comma-separated (e.g. https://mage.example.com)'
            )
        origins.add(origin)
    public = (env.get(PUBLIC_URL_VARIABLE) or '').strip()
    if public:
        parts = urlsplit(public)
        origin = parse_origin(f'{parts.scheme}://{parts.netloc}') if parts.scheme and parts.netloc else None
        if origin is None:
            raise ConfigError(
                f'{PUBLIC_URL_VARIABLE}={public!r} is not the http(s) URL the UI is reached at '
                '(e.g. https://mage.example.com or http://localhost:6789)'
            )
        hosts.add(origin[1])
        origins.add(origin)
    return WebAccess(frozenset(hosts), frozenset(origins))


def guard(app: 'Application', access: WebAccess) -> None:
    """Put every request to ``app`` (a tornado Application) and every websocket it routes to under
    ``access``'s rule (once per application)."""
    from tornado.web import OutputTransform, RequestHandler
    from tornado.websocket import WebSocketHandler

    if getattr(app, 'mlops_web_access', None) is not None:
        return
    app.mlops_web_access = access

    class Refused(RequestHandler):
        """403 and a line of text, whatever the method: nothing of Mage's answers."""

        def initialize(self, reason: str) -> None:
            self.reason = reason

        def prepare(self) -> None:
            self.set_status(403)
            self.set_header('Content-Type', 'text/plain; charset=utf-8')
            self.finish(f'403 Forbidden: {self.reason}\n')

    route = app.find_handler

    def find_handler(request, **kwargs):
        host, origin = request.headers.get('Host'), request.headers.get('Origin')
        reason = access.refusal(request.method, request.path, host, origin)
        if reason is None:
            return route(request, **kwargs)
        log.warning('refused %s %s (Host %r, Origin %r): %s', request.method, request.path, host, origin, reason)
        return app.get_handler_delegate(request, Refused, {'reason': reason})

    class OwnOriginHeaders(OutputTransform):
        """Mage's ``Access-Control-Allow-Origin: *`` becomes the admitted origin, or goes."""

        def __init__(self, request) -> None:
            self.origin = request.headers.get('Origin')
            host = request.headers.get('Host')
            self.admitted = self.origin is not None and access.origin_allowed(self.origin, host)

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            if self.admitted and 'Access-Control-Allow-Origin' in headers:
                headers['Access-Control-Allow-Origin'] = self.origin
                headers.add('Vary', 'Origin')
            elif not self.admitted:
                for name in CORS_HEADERS:
                    headers.pop(name, None)
            return status_code, headers, chunk

    def check_origin(handler: WebSocketHandler, origin: str) -> bool:
        return access.origin_allowed(origin, handler.request.headers.get('Host'))

    app.find_handler = find_handler
    app.add_transform(OwnOriginHeaders)
    for rule in app.wildcard_router.rules:
        if isinstance(rule.target, type) and issubclass(rule.target, WebSocketHandler):
            rule.target.check_origin = check_origin


def _guarded_apps(access: WebAccess) -> Callable[[ModuleType], None]:
    def patch(module: ModuleType) -> None:
        original = module.make_app

        def make_app(*args, **kwargs):
            app = original(*args, **kwargs)
            guard(app, access)
            return app

        module.make_app = make_app

    return patch


def install_web_origin() -> None:
    """Mage's server answers only its own origin and host names (the rule above). The settings
    are read and checked now: a malformed one stops the install, naming it."""
    patch_on_import('mage_ai.server.server', _guarded_apps(web_access()))
