"""./scripts/start.sh (no Docker) serves the Mage UI; a person signs in and sees the pipelines."""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys

import pytest
import requests
import yaml

from testkit.commands import run_command, run_ok
from testkit.mage_database import seeded
from testkit.servers import REPO_ROOT, mage_server
from tests.browser import page_text, sign_in

pytestmark = pytest.mark.slow


def pipelines_of(project: str):
    return sorted(
        p.name for p in (REPO_ROOT / 'mlops' / project / 'pipelines').iterdir() if (p / 'metadata.yaml').exists()
    )


@pytest.mark.parametrize('project', [None, 'unit_2_training'])
def test_sign_in_and_see_the_platform_pipelines(tmp_path, browser, project):
    """None: a first start, which opens on unit_1_data_preparation; otherwise the project the
    UI last had active (remembered in Mage's platform settings)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    if project:
        state = tmp_path / 'mage' / 'mlops'
        state.mkdir(parents=True)
        (state / '.settings.yaml').write_text(yaml.safe_dump({'projects': {project: {'active': True}}}))
    shown = project or 'unit_1_data_preparation'
    email, password = 'owner@example.com', secrets.token_urlsafe(12)
    projects = list(yaml.safe_load((REPO_ROOT / 'mlops' / 'settings.yaml').read_text())['projects'])
    with mage_server(tmp_path, env={'DEFAULT_OWNER_EMAIL': email, 'DEFAULT_OWNER_PASSWORD': password}) as server:
        base = f'http://127.0.0.1:{server.port}'
        sign_in(browser, base, email, password)
        wait = WebDriverWait(browser, 90)
        browser.get(base + '/pipelines')
        for pipeline in pipelines_of(shown):
            wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, 'body'), pipeline))
        screenshot = tmp_path / f'pipelines-{shown}.png'  # kept by pytest in its last three tmp trees
        browser.save_screenshot(str(screenshot))
        print(f'screenshot: {screenshot}')
        page = page_text(browser)
    assert shown in page
    assert all(name in page for name in projects), page[:500]


def test_start_rejects_an_unknown_mode():
    result = run_command(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        timeout=600,
        env={'PATH': '/usr/bin:/bin', 'MLOPS_START_MODE': 'cloud'},
    )
    assert result.returncode == 2 and "MLOPS_START_MODE must be docker, local or auto, got 'cloud'" in result.stderr


def test_start_rejects_an_unknown_project():
    result = run_command(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        timeout=600,
        env={
            'PATH': '/usr/bin:/bin',
            'MLOPS_START_MODE': 'local',
            'MLOPS_UI_PROJECT': 'unit_9',
            'MLOPS_VENV': str(REPO_ROOT / '.venv'),
        },
    )
    assert result.returncode == 2 and 'MLOPS_UI_PROJECT=unit_9 is not a sub-project' in result.stderr


# A state whose Mage database already has Mage's default owner, admin@admin.com / admin, as
# every install started before #30 has (Mage's own code creates it the same way).
DEFAULT_OWNER = """
from mlops.utils.orchestration import mage_internals
from mlops.utils.paths import project_dir
mage_internals.bind_project(project_dir('unit_1_data_preparation'))
from mage_ai.authentication.passwords import create_bcrypt_hash, generate_salt
from mage_ai.orchestration.db.models.oauth import Role, User
Role.create_default_roles()
salt = generate_salt()
User.create(email='admin@admin.com', username='admin', password_hash=create_bcrypt_hash('admin', salt),
            password_salt=salt, roles_new=[Role.get_role(Role.DefaultRole.OWNER)])
"""


def session_token(base: str, email: str, password: str) -> str:
    """What Mage answers a sign-in with: its session token, or '' when it refuses."""
    from mlops.utils.triggering.mage_api import frontend_client_id

    answer = requests.post(
        f'{base}/api/sessions',
        json={'session': {'email': email, 'password': password}},
        headers={'X-API-KEY': frontend_client_id()},
        timeout=60,
    )
    return ((answer.json() if answer.ok else {}).get('session') or {}).get('token') or ''


def test_a_default_start_prints_a_password_of_its_own_and_admin_admin_is_refused(tmp_path, browser):
    """./scripts/start.sh with no password set, on a state whose database has Mage's default
    owner: it prints the owner's new password once, keeps it in a file only its user reads,
    and the published admin@admin.com / admin signs nobody in; the printed one does, in the UI
    too. A second start prints no password and the same one still works."""
    env = {**os.environ, 'MAGE_DATA_DIR': str(tmp_path / 'mage'), 'PYTHONPATH': str(REPO_ROOT)}
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    seeded(tmp_path / 'mage')
    run_ok([sys.executable, '-c', DEFAULT_OWNER], cwd=REPO_ROOT, env=env, timeout=600)
    unset = {'DEFAULT_OWNER_EMAIL': '', 'DEFAULT_OWNER_PASSWORD': ''}  # as a person's shell has them
    with mage_server(tmp_path, env=unset) as server:
        base = f'http://127.0.0.1:{server.port}'
        printed = re.search(
            r'Mage owner: (\S+), password (\S+) \(new for this install; kept in (\S+),', server.log_path.read_text()
        )
        assert printed, server.log_path.read_text()[-3000:]
        email, password, where = printed.groups()
        assert where == str(tmp_path / 'mage' / 'mlops' / 'owner-credentials')
        assert (
            stat.S_IMODE(os.stat(where).st_mode) == 0o600 and f'DEFAULT_OWNER_PASSWORD={password}' in open(where).read()
        )
        assert email == 'admin@admin.com' and password != 'admin'
        assert session_token(base, 'admin@admin.com', 'admin') == ''
        assert session_token(base, email, password)
        sign_in(browser, base, email, password)
    with mage_server(tmp_path, env=unset) as server:
        assert 'password' not in server.log_path.read_text().split('Mage owner: ')[1].split('\n')[0].replace(
            'the password in', ''
        )
        assert session_token(f'http://127.0.0.1:{server.port}', email, password)
        assert session_token(f'http://127.0.0.1:{server.port}', 'admin@admin.com', 'admin') == ''


def test_start_refuses_mages_default_password_and_a_host_other_machines_reach(tmp_path):
    env = {
        'PATH': '/usr/bin:/bin',
        'MLOPS_START_MODE': 'local',
        'MLOPS_VENV': str(REPO_ROOT / '.venv'),
        'MAGE_DATA_DIR': str(tmp_path / 'mage'),
    }
    published = run_command(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        timeout=120,
        env={**env, 'DEFAULT_OWNER_PASSWORD': 'admin', 'MAGE_PORT': '1'},
    )
    assert published.returncode == 2, published.stderr[-2000:]
    assert (
        "error: DEFAULT_OWNER_PASSWORD from the environment (DEFAULT_OWNER_PASSWORD) is a published default ('admin')"
        in published.stderr
    )
    exposed = run_command(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        timeout=120,
        env={**env, 'MAGE_HOST': '0.0.0.0'},
    )
    assert exposed.returncode == 2 and 'error: MAGE_HOST=0.0.0.0 would let other machines reach Mage' in exposed.stderr
    assert 'set MLOPS_EXPOSE_MAGE=1 to do it on purpose' in exposed.stderr
