"""./scripts/start.sh (no Docker) serves the Mage UI; a person signs in and sees the pipelines."""

from __future__ import annotations

import secrets
import subprocess

import pytest
import yaml

from tests.browser import page_text, sign_in
from tests.servers import REPO_ROOT, mage_server

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
    result = subprocess.run(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={'PATH': '/usr/bin:/bin', 'MLOPS_START_MODE': 'cloud'},
    )
    assert result.returncode == 2 and "MLOPS_START_MODE must be docker, local or auto, got 'cloud'" in result.stderr


def test_start_rejects_an_unknown_project():
    result = subprocess.run(
        ['bash', 'scripts/start.sh'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={
            'PATH': '/usr/bin:/bin',
            'MLOPS_START_MODE': 'local',
            'MLOPS_UI_PROJECT': 'unit_9',
            'MLOPS_VENV': str(REPO_ROOT / '.venv'),
        },
    )
    assert result.returncode == 2 and 'MLOPS_UI_PROJECT=unit_9 is not a sub-project' in result.stderr
