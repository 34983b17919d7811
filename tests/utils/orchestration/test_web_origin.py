"""``install_web_origin`` on a real Mage server (``start.sh``, authentication on): a foreign Origin
cannot sign in, preflight or open a websocket, a foreign Host gets 403 and nothing of Mage's, while
the UI's own origin, clients that send no Origin (curl, ``MageClient``), a load balancer's health
check and what ``MLOPS_ALLOWED_HOSTS`` / ``MLOPS_ALLOWED_ORIGINS`` / ``MAGE_PUBLIC_HOST`` list get
through, and the UI still signs in in a browser. The control, Mage with this module left out
(started beside it), answers the foreign origin and host as today.

The rule's reading of the settings and of Host and Origin headers, and the websocket rule alone
(on a bare tornado application), are checked without Mage.

Why it is this long: one real Mage server with the rule and one without (the control) are started
once, and each origin, host and client is a test against both.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import requests
import yaml

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.workarounds.web_origin import (
    HOSTS_VARIABLE,
    ORIGINS_VARIABLE,
    PUBLIC_URL_VARIABLE,
    guard,
    web_access,
)
from mlops.utils.triggering.mage_api import frontend_client_id
from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from testkit.servers import WEB_SERVER_ONLY, ServerProcess, free_port, mage_server, signed_in_env

EVIL = 'https://evil.example'
SETTINGS = {
    HOSTS_VARIABLE: 'mage.example.test',
    ORIGINS_VARIABLE: 'https://proxy.example.test',
    PUBLIC_URL_VARIABLE: 'https://public.example.test',
}

# -- the rule, without Mage -------------------------------------------------------------------


def test_the_settings_name_hosts_and_origins_and_loopback_is_always_answered():
    access = web_access(
        {
            HOSTS_VARIABLE: ' Mage.Example.com, 10.0.0.5 ,[FD00::5],',
            ORIGINS_VARIABLE: 'https://proxy.example.com,http://127.0.0.1:8080',
            PUBLIC_URL_VARIABLE: 'https://public.example.com/mage',
        }
    )
    assert access.hosts == {
        'localhost',
        '127.0.0.1',
        '[::1]',
        'mage.example.com',
        '10.0.0.5',
        '[fd00::5]',
        'public.example.com',
    }
    assert access.origins == {
        ('https', 'proxy.example.com', 443),
        ('http', '127.0.0.1', 8080),
        ('https', 'public.example.com', 443),
    }
    assert web_access({}).hosts == {'localhost', '127.0.0.1', '[::1]'} and not web_access({}).origins


@pytest.mark.parametrize(
    'variable, value',
    [
        (HOSTS_VARIABLE, 'https://mage.example.com'),
        (HOSTS_VARIABLE, 'mage.example.com:8080'),
        (HOSTS_VARIABLE, 'mage.example.com/ui'),
        (HOSTS_VARIABLE, '*'),
        (HOSTS_VARIABLE, '*.example.com'),
        (HOSTS_VARIABLE, '::1'),
        (HOSTS_VARIABLE, 'a b'),
        (ORIGINS_VARIABLE, 'mage.example.com'),
        (ORIGINS_VARIABLE, 'https://mage.example.com/'),
        (ORIGINS_VARIABLE, '*'),
        (ORIGINS_VARIABLE, 'null'),
        (ORIGINS_VARIABLE, 'ftp://mage.example.com'),
        (ORIGINS_VARIABLE, 'https://mage.example.com:99999'),
        (ORIGINS_VARIABLE, 'https://user@mage.example.com'),
        (PUBLIC_URL_VARIABLE, 'localhost:6789'),
        (PUBLIC_URL_VARIABLE, 'mage.example.com'),
    ],
)
def test_a_malformed_setting_is_named(variable, value):
    with pytest.raises(ConfigError, match=f'^{variable}'):
        web_access({variable: value})


@pytest.mark.parametrize(
    'method, path, host, origin, answered',
    [
        ('POST', '/api/sessions', '127.0.0.1:6789', None, True),  # curl, MageClient
        ('POST', '/api/sessions', '127.0.0.1:6789', 'http://127.0.0.1:6789', True),  # the UI
        ('POST', '/api/sessions', 'localhost:6789', 'http://localhost:6789', True),
        ('GET', '/', '[::1]:6789', 'http://[::1]:6789', True),
        ('POST', '/api/sessions', 'mage.example.com', 'https://mage.example.com', True),  # default port
        ('POST', '/api/sessions', '127.0.0.1:6789', 'http://localhost:6789', False),  # another origin
        ('POST', '/api/sessions', '127.0.0.1:6789', 'https://127.0.0.1:6789', True),  # TLS may end at a proxy
        ('POST', '/api/sessions', '127.0.0.1:6789', EVIL, False),
        ('OPTIONS', '/api/sessions', '127.0.0.1:6789', EVIL, False),
        ('POST', '/api/sessions', '127.0.0.1:6789', 'null', False),  # a sandboxed frame, a file
        ('POST', '/api/sessions', '127.0.0.1:6789', '', False),
        ('POST', '/api/sessions', '127.0.0.1:6789', 'https://proxy.example.com', True),  # listed
        ('GET', '/api/status', 'evil.example', None, False),  # DNS rebinding: the attacker's name
        ('POST', '/api/sessions', 'evil.example:6789', 'http://evil.example:6789', False),
        ('GET', '/api/status', 'localhost.evil.example', None, False),
        ('GET', '/api/status', '127.0.0.1:6789, evil.example', None, False),
        ('GET', '/api/status', 'mage.example.com:8443', None, True),  # listed, any port
        ('GET', '/api/status', '10.0.1.23:6789', None, True),  # the load balancer's health check
        ('HEAD', '/api/status', '[fd00::7]:6789', None, True),
        ('GET', '/api/status', None, None, True),
        ('GET', '/api/pipelines', '10.0.1.23:6789', None, False),  # only the health check
        ('POST', '/api/status', '10.0.1.23:6789', None, False),
        ('GET', '/api/status', '10.0.1.23:6789', 'http://10.0.1.23:6789', False),
        ('GET', '/', None, None, False),
    ],
)
def test_the_rule(method, path, host, origin, answered):
    access = web_access({HOSTS_VARIABLE: 'mage.example.com', ORIGINS_VARIABLE: 'https://proxy.example.com'})
    assert (access.refusal(method, path, host, origin) is None) == answered


def test_a_malformed_setting_stops_the_server_at_start(tmp_path):
    """Mage's command line as every start runs it (start.sh, docker-compose.yml, the ECS task)."""
    env = {**os.environ, HOSTS_VARIABLE: 'mage.example.com,https://other.example.com', 'MAGE_DATA_DIR': str(tmp_path)}
    result = run_command(
        [sys.executable, '-m', 'mlops.utils.orchestration.mage_cli', 'start', 'mlops', '--port', '1'],
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"ConfigError: {HOSTS_VARIABLE} holds 'https://other.example.com', which is not a host name" in result.stderr


def test_websocket_handlers_check_the_origin_themselves():
    """The websocket rule alone, the request gate taken off again: a handler that takes every
    origin (as Mage's three do) refuses a foreign one and takes its own."""
    import tornado.httpclient
    import tornado.web
    import tornado.websocket

    class AnyOrigin(tornado.websocket.WebSocketHandler):
        def check_origin(self, origin: str) -> bool:
            return True

    async def answers(port: int) -> Dict[str, str]:
        app = tornado.web.Application([(r'/websocket/', AnyOrigin)])
        guard(app, web_access({}))
        del app.find_handler  # the application's own routing again: no gate before the handler
        server = app.listen(port, '127.0.0.1')
        try:
            return {origin: await open_websocket(port, origin) for origin in (EVIL, f'http://127.0.0.1:{port}')}
        finally:
            server.stop()

    assert list(asyncio.run(answers(free_port())).values()) == ['HTTP 403: Forbidden', 'open']


async def open_websocket(port: int, origin: Optional[str]) -> str:
    """'open', or how the handshake of ``ws://127.0.0.1:<port>/websocket/`` (the editor's kernel
    channel in Mage) from ``origin`` was refused."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {'Origin': origin} if origin else {}
    request = HTTPRequest(f'ws://127.0.0.1:{port}/websocket/', headers=headers, connect_timeout=60, request_timeout=120)
    try:
        connection = await websocket_connect(request)
    except HTTPClientError as error:
        return str(error)
    connection.close()
    return 'open'


# -- a real Mage server, and the control ------------------------------------------------------

# Mage's command line with every workaround but this one: Mage's own answers (argv: the port).
CONTROL = textwrap.dedent("""
    import runpy, sys
    from mlops.utils.orchestration.workarounds import web_origin

    web_origin.install_web_origin = lambda: None
    sys.argv = ['mage_cli', 'start', 'mlops', '--host', '127.0.0.1', '--port', sys.argv[1]]
    runpy.run_module('mlops.utils.orchestration.mage_cli', run_name='__main__', alter_sys=True)
""")


class Mage:
    def __init__(self, server: ServerProcess, env: Dict[str, str]):
        self.port, self.env = server.port, env
        self.base = f'http://127.0.0.1:{server.port}'

    def call(self, method: str, path: str, headers: Optional[Dict[str, str]] = None, **kwargs) -> requests.Response:
        return requests.request(method, self.base + path, headers=headers or {}, timeout=120, **kwargs)

    def sign_in(self, **headers: str) -> requests.Response:
        """``POST /api/sessions`` with the owner's credentials, as the UI sends it."""
        credentials = {'email': self.env['DEFAULT_OWNER_EMAIL'], 'password': self.env['DEFAULT_OWNER_PASSWORD']}
        return self.call(
            'POST', '/api/sessions', {'X-API-KEY': frontend_client_id(), **headers}, json={'session': credentials}
        )

    def websocket(self, origin: Optional[str]) -> str:
        return asyncio.run(open_websocket(self.port, origin))


def token(response: requests.Response) -> Optional[str]:
    try:
        return ((response.json() or {}).get('session') or {}).get('token')
    except ValueError:
        return None


def cors(response: requests.Response) -> Dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith('access-control-')}


@pytest.fixture(scope='module')
def servers(tmp_path_factory) -> Iterator[Dict[str, Mage]]:
    """'patched': ``start.sh`` with the settings above; 'control': Mage without this module.
    Started side by side: each takes about half a minute."""
    root = tmp_path_factory.mktemp('web-origin')
    envs = {
        'patched': {**signed_in_env(root / 'patched'), **WEB_SERVER_ONLY, **SETTINGS},
        'control': {**signed_in_env(root / 'control'), **WEB_SERVER_ONLY, 'MLOPS_TEST_CONTROL': CONTROL},
    }
    platform = root / 'control' / 'mage' / 'mlops'  # what start.sh writes: the UI's sub-project
    platform.mkdir(parents=True)
    (platform / '.settings.yaml').write_text(
        yaml.safe_dump({'projects': {'unit_1_data_preparation': {'active': True}}})
    )
    processes = {
        'patched': mage_server(root / 'patched', env=envs['patched']),
        'control': mage_server(
            root / 'control',
            env=envs['control'],
            command='exec "$MLOPS_VENV/bin/python" -c "$MLOPS_TEST_CONTROL" "$MAGE_PORT"',
        ),
    }
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        started = {name: pool.submit(stack.enter_context, process) for name, process in processes.items()}
        yield {name: Mage(future.result(), envs[name]) for name, future in started.items()}


@pytest.mark.slow
def test_a_foreign_origin_cannot_sign_in_and_mage_alone_lets_it(servers):
    refused = servers['patched'].sign_in(Origin=EVIL)
    assert refused.status_code == 403 and token(refused) is None and 'token' not in refused.text
    assert not cors(refused)
    control = servers['control'].sign_in(Origin=EVIL)
    assert control.status_code == 200 and token(control)
    assert control.headers['Access-Control-Allow-Origin'] == '*'


@pytest.mark.slow
def test_the_ui_origin_and_clients_without_one_sign_in_and_never_see_a_wildcard(servers):
    mage = servers['patched']
    for host in ('127.0.0.1', 'localhost'):
        own = f'http://{host}:{mage.port}'
        signed_in = mage.sign_in(Origin=own, Host=f'{host}:{mage.port}')
        assert signed_in.status_code == 200 and token(signed_in), signed_in.text[:300]
        assert signed_in.headers['Access-Control-Allow-Origin'] == own and 'Origin' in signed_in.headers['Vary']
    no_origin = mage.sign_in()  # curl, MageClient
    assert no_origin.status_code == 200 and token(no_origin) and not cors(no_origin)
    for path in ('/favicon.ico', '/api/status'):  # a static file, a resource: Mage sets "*" on both
        answer = mage.call('GET', path)
        assert answer.status_code == 200 and not cors(answer), (path, answer.headers)
        assert servers['control'].call('GET', path).headers['Access-Control-Allow-Origin'] == '*'


@pytest.mark.slow
def test_a_foreign_host_gets_403_and_nothing_of_mage(servers):
    mage = servers['patched']
    page = mage.call('GET', '/', {'Host': 'evil.example'})
    assert page.status_code == 403 and '<html' not in page.text.lower()
    assert page.text.startswith('403 Forbidden: this server answers only its own host names')
    signed_in = mage.sign_in(Host=f'evil.example:{mage.port}', Origin=f'http://evil.example:{mage.port}')
    assert signed_in.status_code == 403 and token(signed_in) is None and not cors(signed_in)
    assert mage.call('GET', '/api/status', {'Host': 'evil.example'}).status_code == 403
    assert servers['control'].call('GET', '/', {'Host': 'evil.example'}).status_code == 200  # Mage alone


@pytest.mark.slow
def test_the_load_balancer_health_check_passes_with_an_ip_address_host_only(servers):
    mage = servers['patched']
    status = mage.call('GET', '/api/status', {'Host': f'10.0.1.23:{mage.port}'})
    assert status.status_code == 200 and 'statuses' in status.json()
    assert mage.call('GET', '/api/pipelines', {'Host': f'10.0.1.23:{mage.port}'}).status_code == 403


@pytest.mark.slow
def test_the_settings_admit_what_they_list(servers):
    mage = servers['patched']
    for host in ('mage.example.test:8443', 'public.example.test'):  # MLOPS_ALLOWED_HOSTS, MAGE_PUBLIC_HOST
        signed_in = mage.sign_in(Host=host)
        assert signed_in.status_code == 200 and token(signed_in), host
    proxy = 'https://proxy.example.test'  # MLOPS_ALLOWED_ORIGINS: e.g. a proxy that sends Host 127.0.0.1
    signed_in = mage.sign_in(Origin=proxy)
    assert signed_in.status_code == 200 and token(signed_in)
    assert signed_in.headers['Access-Control-Allow-Origin'] == proxy
    preflight = {'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type'}
    allowed = mage.call('OPTIONS', '/api/sessions', {'Origin': proxy, **preflight})
    assert allowed.status_code == 204 and allowed.headers['Access-Control-Allow-Origin'] == proxy
    assert 'POST' in allowed.headers['Access-Control-Allow-Methods']
    foreign = mage.call('OPTIONS', '/api/sessions', {'Origin': EVIL, **preflight})
    assert foreign.status_code == 403 and not cors(foreign)
    assert servers['control'].call('OPTIONS', '/api/sessions', {'Origin': EVIL, **preflight}).status_code == 204


@pytest.mark.slow
def test_websockets_take_their_own_origin_only(servers):
    mage = servers['patched']
    assert mage.websocket(EVIL) == 'HTTP 403: Forbidden'
    assert mage.websocket(f'http://127.0.0.1:{mage.port}') == 'open'
    assert mage.websocket('https://proxy.example.test') == 'open'
    assert mage.websocket(None) == 'open'  # no Origin: not a browser
    assert servers['control'].websocket(EVIL) == 'open'  # Mage alone


@pytest.mark.slow
def test_the_ui_still_signs_in_and_lists_the_pipelines(servers, browser):
    """At 127.0.0.1 only: on a page at ``localhost`` Mage's frontend sends its API calls to port
    6789 whatever the page's port (``NEXT_PUBLIC_MAGE_API_PORT``, built in), so a browser at
    localhost works on 6789 alone, which a test cannot claim; the requests it sends there (Host
    ``localhost:<port>``, Origin ``http://localhost:<port>``) are signed in above."""
    from tests.browser import page_text, sign_in, wait_until

    mage = servers['patched']
    host = '127.0.0.1'
    base = f'http://{host}:{mage.port}'
    sign_in(browser, base, mage.env['DEFAULT_OWNER_EMAIL'], mage.env['DEFAULT_OWNER_PASSWORD'])
    browser.get(base + '/pipelines')
    wait_until(browser, lambda b: 'data_preparation' in page_text(b), 120, 'the pipelines list')
    screenshot = Path(mage.env['MLOPS_DATA_DIR']).parent / f'pipelines-{host}.png'
    browser.save_screenshot(str(screenshot))
