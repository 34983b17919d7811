"""One Mage server started as the README says (no sub-project chosen: it opens on unit_1),
with its scheduler: every sub-project's triggers are listed and active, a time trigger of
unit_3 (monitoring) and one of unit_4 (retraining) fire and complete, and SIGTERM to the
server's main process stops every process it started."""
from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Dict, List

import psutil
import pytest
import yaml

from tests.registered import embedded_store, register_linear_on
from tests.servers import REPO_ROOT, mage_server
from tests.unit_1_data_preparation.test_charts_ui import repo_copy

pytestmark = pytest.mark.slow
# The champion is trained on 2023-12 and validated on 2024-01: monitoring scores 2024-02.
TRAINED, VALIDATED, NEWER = '2023-12', '2024-01', '2024-02'
# (sub-project, pipeline, trigger) of the time triggers this test makes fire once.
FIRED = [('unit_3_observability', 'monitoring', 'daily_monitoring'),
         ('unit_4_triggering', 'automatic_retraining', 'daily_retraining')]


def declared_triggers() -> Dict[str, str]:
    """Every trigger of every sub-project's triggers.yaml, read here from the files:
    ``{name: pipeline}``."""
    settings = yaml.safe_load((REPO_ROOT / 'mlops' / 'settings.yaml').read_text())
    found = {}
    for project in settings['projects']:
        for path in (REPO_ROOT / 'mlops' / project / 'pipelines').glob('*/triggers.yaml'):
            for trigger in yaml.safe_load(path.read_text())['triggers']:
                found[trigger['name']] = path.parent.name
    return found


def months_folder(root: Path, shared_data: Path, months: List[str]) -> Path:
    """A data source in the upstream layout holding only ``months`` (links to the shared files)."""
    for month in months:
        year, number = month.split('-')
        target = root / 'taxi' / 'green' / year / f'{number}.parquet'
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_data / 'taxi' / 'green' / year / f'{number}.parquet')
    return root


def fire_once(repo: Path, retraining_source: Path) -> None:
    """In the repo copy: the two time triggers run once, now. Retraining reads a source with no
    month newer than the champion's, so it completes without training (its children are
    tested in unit_4's tests)."""
    for project, pipeline, name in FIRED:
        path = repo / 'mlops' / project / 'pipelines' / pipeline / 'triggers.yaml'
        config = yaml.safe_load(path.read_text())
        for trigger in config['triggers']:
            if trigger['name'] == name:
                trigger.update(schedule_interval='@once', start_time=datetime(2026, 1, 1))
                if pipeline == 'automatic_retraining':
                    trigger['variables'] = {'data_source': str(retraining_source)}
        path.write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture(scope='module')
def platform(tmp_path_factory, shared_data):
    from mlops.utils.triggering.mage_api import MageClient

    root = tmp_path_factory.mktemp('platform')
    source = months_folder(root / 'source', shared_data, [TRAINED, VALIDATED, NEWER])
    with embedded_store(root / 'data') as experiment:
        register_linear_on(experiment, str(source), TRAINED, VALIDATED)
    repo = repo_copy(root)
    fire_once(repo, months_folder(root / 'old-source', shared_data, [TRAINED, VALIDATED]))
    email, password = 'owner@example.com', 'platform-test-password'
    env = {'MLOPS_DATA_DIR': str(root / 'data'), 'MLOPS_DATA_SOURCE': str(source), 'DEFAULT_OWNER_EMAIL': email,
           'DEFAULT_OWNER_PASSWORD': password, 'REQUIRE_USER_AUTHENTICATION': '1',
           'SCHEDULER_TRIGGER_INTERVAL': '2'}
    with mage_server(root, env=env, repo=repo) as server:
        client = MageClient(f'http://127.0.0.1:{server.port}', email=email, password=password, timeout=120)
        yield server, client


def schedules(client) -> Dict[str, dict]:
    return {s['name']: s for s in client.get('/api/pipeline_schedules')['pipeline_schedules']}


def wait_for(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(2)
    raise TimeoutError(f'{what}: not within {timeout:.0f} s')


def test_every_trigger_of_every_sub_project_is_listed_and_active(platform):
    _, client = platform
    declared = declared_triggers()
    listed = wait_for('every triggers.yaml synced', lambda: (lambda s: s if set(declared) <= set(s) else None)(
        schedules(client)), 120)
    fired = {name for _, _, name in FIRED}
    for name, pipeline in declared.items():
        assert listed[name]['pipeline_uuid'] == pipeline, name
        if name in fired:  # the copy's @once version (Mage deactivates it once it has run)
            assert listed[name]['schedule_interval'] == '@once', name
        else:
            assert listed[name]['status'] == 'active', name


@pytest.mark.parametrize('project, pipeline, trigger', FIRED)
def test_a_time_trigger_fires_and_completes(platform, project, pipeline, trigger):
    _, client = platform

    def finished_run():
        schedule = schedules(client).get(trigger)
        if not schedule:
            return None
        runs = client.get(f'/api/pipeline_schedules/{schedule["id"]}/pipeline_runs')['pipeline_runs']
        done = [r for r in runs if r['status'] in ('completed', 'failed', 'cancelled')]
        return done[0] if done else None

    run = wait_for(f'a finished run of {project}/{pipeline} by {trigger}', finished_run, 420)
    assert run['status'] == 'completed', run
    assert run['pipeline_uuid'] == pipeline


def test_sigterm_to_the_main_process_stops_all_of_it(platform):
    """As a process supervisor stops it: one SIGTERM to the main process, not its group."""
    server, _ = platform
    main = psutil.Process(server.process.pid)
    children = main.children(recursive=True)
    assert children, 'the server runs a scheduler and a job queue in child processes'
    os.kill(main.pid, signal.SIGTERM)
    server.process.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
