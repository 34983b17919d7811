"""The whole platform as a person starts it: the main job (``python -m mlops.utils.orchestration``,
as ``scripts/run.sh`` runs it, on a small budget), then one Mage server started as the README
says (no sub-project chosen: it opens on unit_1), with its scheduler and time triggers, on the
same state:

- one database: the main job's runs are the server's, whichever sub-project the UI shows;
- every sub-project's triggers listed and active; a time trigger of unit_3 (monitoring) and one
  of unit_4 (retraining) fire and complete; the retraining's children are Mage runs of their
  own pipelines, tied to it;
- every Dashboard tab serves data and Chromium draws it (screenshots kept);
- a runner started while the server runs hands its run to the server's scheduler;
- SIGTERM to the server's main process stops every process it started.
"""

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

from tests.chain import QUICK_XGBOOST, run_chain, summaries
from tests.dashboards import chart_data, draw, layouts
from tests.servers import REPO_ROOT, mage_server
from tests.sources import months_folder
from tests.unit_1_data_preparation.test_charts_ui import repo_copy

pytestmark = pytest.mark.slow
# The main job trains on 2023-11, validates on 2023-12; the source also holds 2024-01, which
# monitoring scores and retraining trains on.
FIRST, VALIDATED, NEWER = '2023-11', '2023-12', '2024-01'
SMALL = {
    'models': 'linear_model.Lasso',
    'max_evaluations': 1,
    'num_boost_round': 60,
}  # XGBoost: default depths (SHAP check)
# (sub-project, pipeline, trigger) of the time triggers this test makes fire once, now.
FIRED = [
    ('unit_3_observability', 'monitoring', 'daily_monitoring'),
    ('unit_4_triggering', 'automatic_retraining', 'daily_retraining'),
]


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


def fire_once(repo: Path) -> None:
    """In the repo copy: the two time triggers run once, now; retraining on a small budget."""
    for project, pipeline, name in FIRED:
        path = repo / 'mlops' / project / 'pipelines' / pipeline / 'triggers.yaml'
        config = yaml.safe_load(path.read_text())
        for trigger in config['triggers']:
            if trigger['name'] == name:
                trigger.update(schedule_interval='@once', start_time=datetime(2026, 1, 1))
                if pipeline == 'automatic_retraining':
                    trigger['variables'] = {
                        'sklearn_variables': {'models': SMALL['models'], 'max_evaluations': 1},
                        'xgboost_variables': {'max_evaluations': 1, **QUICK_XGBOOST},
                    }
        path.write_text(yaml.safe_dump(config, sort_keys=False))


class Platform:
    def __init__(self, root: Path, repo: Path, source: Path, server, client, main_job: List[dict]):
        self.root, self.repo, self.source, self.server, self.client = root, repo, source, server, client
        self.main_job = main_job


@pytest.fixture(scope='module')
def platform(tmp_path_factory, shared_data):
    from mlops.utils.triggering.mage_api import MageClient

    root = tmp_path_factory.mktemp('platform')
    source = months_folder(root / 'source', shared_data, [FIRST, VALIDATED, NEWER])
    sets = [
        f'start_month={FIRST}',
        f'end_month={VALIDATED}',
        f'split_on_feature_value={VALIDATED}-01',
        *(f'{k}={v}' for k, v in SMALL.items()),
    ]
    repo = repo_copy(root)
    fire_once(repo)
    result = run_chain(root, '--source', str(source), *[a for s in sets for a in ('--set', s)], timeout=1800, repo=repo)
    assert result.returncode == 0, result.stderr[-3000:]
    email, password = 'owner@example.com', 'platform-test-password'
    env = {
        'MLOPS_DATA_DIR': str(root / 'data'),
        'MLOPS_DATA_SOURCE': str(source),
        'DEFAULT_OWNER_EMAIL': email,
        'DEFAULT_OWNER_PASSWORD': password,
        'REQUIRE_USER_AUTHENTICATION': '1',
        'SCHEDULER_TRIGGER_INTERVAL': '2',
        'MLOPS_TIME_TRIGGERS': 'on',
    }
    with mage_server(root, env=env, repo=repo) as server:  # MAGE_DATA_DIR = root/mage, as the main job's
        client = MageClient(f'http://127.0.0.1:{server.port}', email=email, password=password, timeout=120)
        yield Platform(root, repo, source, server, client, summaries(result))


def schedules(client) -> Dict[str, dict]:
    return {s['name']: s for s in client.get('/api/pipeline_schedules')['pipeline_schedules']}


def runs(client) -> Dict[int, dict]:
    """Every run Mage lists: its runs page, plus the training set's refreshes, which Mage lists
    under the global data product (``unit_2_training``'s ``training_set``), not among the runs."""
    listed = client.get('/api/pipeline_runs', _limit=500)['pipeline_runs']
    listed += client.get('/api/pipeline_runs', _limit=500, global_data_product_uuid='training_set')['pipeline_runs']
    return {r['id']: r for r in listed}


def wait_for(what: str, check, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f'{what}: not within {timeout:.0f} s')


def finished_run_of(client, trigger: str):
    schedule = schedules(client).get(trigger)
    if not schedule:
        return None
    found = client.get(f'/api/pipeline_schedules/{schedule["id"]}/pipeline_runs')['pipeline_runs']
    done = [r for r in found if r['status'] in ('completed', 'failed', 'cancelled')]
    return done[0] if done else None


def test_the_main_jobs_runs_are_the_servers(platform):
    listed = runs(platform.client)
    assert [line['status'] for line in platform.main_job] == ['completed'] * 4
    for line in platform.main_job:
        assert listed[line['pipeline_run_id']]['pipeline_uuid'] == line['pipeline'], line
        assert listed[line['pipeline_run_id']]['status'] == 'completed', line


def test_every_trigger_of_every_sub_project_is_listed_and_active(platform):
    declared = declared_triggers()
    listed = wait_for(
        'every triggers.yaml synced',
        lambda: (lambda s: s if set(declared) <= set(s) else None)(schedules(platform.client)),
        120,
    )
    fired = {name for _, _, name in FIRED}
    for name, pipeline in declared.items():
        assert listed[name]['pipeline_uuid'] == pipeline, name
        if name in fired:  # the copy's @once version (Mage deactivates it once it has run)
            assert listed[name]['schedule_interval'] == '@once', name
        else:
            assert listed[name]['status'] == 'active', name


@pytest.mark.parametrize('project, pipeline, trigger', FIRED)
def test_a_time_trigger_fires_and_completes(platform, project, pipeline, trigger):
    run = wait_for(
        f'a finished run of {project}/{pipeline} by {trigger}',
        lambda: finished_run_of(platform.client, trigger),
        1200,
        interval=5,
    )
    assert run['status'] == 'completed', run
    assert run['pipeline_uuid'] == pipeline


def test_retrainings_children_are_mage_runs_of_their_pipelines(platform):
    from mlops.utils.triggering.retraining import CHILD_PARENT_VARIABLE, CHILD_TRIGGER

    retraining = wait_for('the retraining run', lambda: finished_run_of(platform.client, 'daily_retraining'), 1200)
    children = [
        r
        for r in runs(platform.client).values()
        if (r.get('variables') or {}).get(CHILD_PARENT_VARIABLE) == retraining['id']
    ]
    assert sorted(r['pipeline_uuid'] for r in children) == [
        'prepare_training_set',
        'sklearn_training',
        'xgboost_training',
    ]
    assert all(r['status'] == 'completed' for r in children), children
    for child in children:  # each under its pipeline's trigger named for the retraining (the
        # training set under its global data product's own, so training reads it as the latest)
        expected = 'GLOBAL_DATA_PRODUCT_TRIGGER' if child['pipeline_uuid'] == 'prepare_training_set' else CHILD_TRIGGER
        assert child['pipeline_schedule_name'] == expected, child


def test_switching_the_sub_project_in_the_header_shows_the_same_runs_and_triggers(platform, browser, tmp_path):
    """As a person switches: the header's sub-project menu (Mage activates the choice and
    reloads the page). The Triggers and Pipeline runs pages, and the API, show the same
    triggers and runs whichever sub-project is active."""
    from tests.browser import page_text, sign_in, wait_until

    client, declared = platform.client, declared_triggers()
    # the pipelines of the runs Mage's runs page lists (the training set's refreshes it lists
    # under the global data product instead): the main job's, monitoring's, retraining's
    pipelines = {r['pipeline_uuid'] for r in client.get('/api/pipeline_runs', _limit=500)['pipeline_runs']}
    assert {'data_preparation', 'sklearn_training', 'monitoring', 'automatic_retraining'} <= pipelines, pipelines
    browser.set_window_size(1600, 1400)
    sign_in(browser, client.base_url, client.email, client.password)
    seen = []
    for project in ('unit_4_triggering', 'unit_1_data_preparation'):
        browser.get(f'{client.base_url}/triggers')
        choose_in_header(browser, project)
        assert active_project(client) == project
        triggers = wait_until(
            browser,
            lambda b: (lambda text: text if all(n in text for n in declared) else None)(page_text(b)),
            120,
            f'every trigger on the Triggers page ({project})',
        )
        browser.save_screenshot(str(tmp_path / f'triggers-{project}.png'))
        browser.get(f'{client.base_url}/pipeline-runs')
        listed = wait_until(
            browser,
            lambda b: (lambda text: text if all(p in text for p in pipelines) else None)(page_text(b)),
            120,
            f'runs of {sorted(pipelines)} on the Pipeline runs page ({project})',
        )
        browser.save_screenshot(str(tmp_path / f'pipeline-runs-{project}.png'))
        seen.append(
            (
                table_rows(triggers, declared),
                table_rows(listed, pipelines),
                sorted(schedules(client)),
                sorted((r['id'], r['status']) for r in runs(client).values()),
            )
        )
    print(f'screenshots: {tmp_path}')
    assert seen[0] == seen[1]


def choose_in_header(browser, project: str) -> None:
    """The header's sub-project menu (a select listing every sub-project): choose ``project``
    and wait until the reloaded page shows it chosen."""
    from selenium.webdriver.support.ui import Select

    from tests.browser import wait_until

    menu = (
        "return [...document.querySelectorAll('select')].find(s => [...s.options].some("
        f'o => o.text.trim() === {project!r}))'
    )
    chooser = Select(wait_until(browser, lambda b: b.execute_script(menu), 60, 'the sub-project menu'))
    browser.execute_script('window.beforeTheSwitch = true')  # gone once the page has reloaded
    chooser.select_by_visible_text(project)
    wait_until(
        browser,
        lambda b: (
            not b.execute_script('return window.beforeTheSwitch === true')
            and b.execute_script(menu)
            and b.execute_script(menu).get_attribute('value') == project
        ),
        60,
        f'the page reloaded with {project} chosen',
    )


def active_project(client) -> str:
    return next(p['name'] for p in client.get('/api/projects')['projects'] if not p['root_project'])


def table_rows(text: str, names) -> list:
    """The lines of a page's text that name one of ``names`` (its table's rows, as shown)."""
    return sorted(line for line in text.splitlines() if line.strip() in names)


def has_data(kind: str, data: dict) -> bool:
    """What Mage's frontend draws from: a pie's counts (x), a table's rows (y), a bar chart's
    labels and values."""
    if kind == 'pie chart':
        return bool(data.get('x'))
    if kind == 'table':
        return bool(data.get('y'))
    return bool(data.get('x')) and data.get('y') not in (None, [], [[]])


def project_of(page: str) -> str:
    """The sub-project of a pipeline's dashboard page (``pipelines/<uuid>/dashboard``): a person
    opens it from that sub-project's pipeline list."""
    pipeline = page.split('/')[1]
    [metadata] = (REPO_ROOT / 'mlops').glob(f'*/pipelines/{pipeline}/metadata.yaml')
    return metadata.parents[2].name


def activate(client, project: str) -> None:
    client.put('/api/projects/mlops', {'project': {'activate_project': project}})


def test_the_main_jobs_xgboost_explanation_adds_up_to_what_the_model_predicts(platform):
    """The XGBoost version the main job tuned in its default search space (trees up to 100
    deep, where XGBoost's own float32 TreeSHAP gave contributions of 1e16 minutes): the
    explanation logged with it adds up to the registered model's own prediction for the logged
    trip, and its mean contributions are minutes, not overflow."""
    import json

    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from mlops.utils.observability.explain import ARTIFACT
    from tests.registered import embedded_store

    [version] = [
        m['version'] for line in platform.main_job if line['pipeline'] == 'xgboost_training' for m in line['models']
    ]
    with embedded_store(platform.root / 'data'):
        client = MlflowClient()
        registered = client.get_model_version('nyc-taxi-duration', str(version))
        with open(client.download_artifacts(registered.run_id, ARTIFACT)) as file:
            explained = json.load(file)
        model = mlflow.pyfunc.load_model(f'models:/nyc-taxi-duration/{version}')
        prediction = float(model.predict(pd.DataFrame([explained['trip']['inputs']]))[0])
    assert explained['explained'] is True, explained
    rows = explained['trip']['rows']
    assert rows[0][0] == 'prediction' and abs(rows[0][1] - prediction) < 1e-3, (rows[0], prediction)
    assert abs(sum(minutes for _, minutes in rows[1:]) - prediction) < 1e-3 * len(rows)  # 4-decimal rows
    assert all(0 <= m < 120 for m in explained['top_features']['mean_abs_minutes']), explained['top_features']


def test_every_dashboard_chart_serves_data(platform):
    from mlops.utils.observability.run_health import DAY_COLUMNS

    wait_for(
        'monitoring and retraining done',
        lambda: all(finished_run_of(platform.client, t) for _, _, t in FIRED),
        1200,
        interval=5,
    )
    listed = runs(platform.client).values()
    for page, blocks in layouts(platform.repo).items():  # the copy the server runs from
        activate(platform.client, project_of(page))  # Mage finds a dashboard's pipeline in the active one
        for uuid, block in blocks.items():
            data = chart_data(platform.client, page, uuid)
            assert has_data(block['configuration']['chart_type'], data), (page, uuid, data)
            if data['x'] == DAY_COLUMNS:  # runs by day: the completed ones Mage lists for the pipeline
                pipeline = page.split('/')[1]
                completed = sum(1 for r in listed if r['pipeline_uuid'] == pipeline and r['status'] == 'completed')
                assert sum(row[1] for row in data['y']) == completed, (page, uuid)


def test_chromium_draws_every_dashboard(platform, browser, tmp_path):
    from tests.browser import sign_in

    client = platform.client
    browser.set_window_size(1600, 2400)
    sign_in(browser, client.base_url, client.email, client.password)
    for page, blocks in layouts(platform.repo).items():
        activate(client, project_of(page))
        missing, _ = draw(browser, client.base_url, page, blocks.values(), tmp_path / (page.replace('/', '-') + '.png'))
        assert not missing, (page, sorted(missing))


def test_a_runner_started_beside_the_server_hands_it_the_run(platform):
    result = run_chain(
        platform.root,
        '--pipelines',
        'unit_1_data_preparation/data_preparation',
        '--source',
        str(platform.source),
        '--set',
        f'start_month={FIRST}',
        '--set',
        f'end_month={VALIDATED}',
        '--set',
        f'split_on_feature_value={VALIDATED}-01',
        timeout=900,
        repo=platform.repo,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = summaries(result)[0]
    assert 'a Mage server drives this database' in Path(line['log']).read_text()
    assert runs(platform.client)[line['pipeline_run_id']]['status'] == 'completed'


def test_sigterm_to_the_main_process_stops_all_of_it(platform):
    """As a process supervisor stops it: one SIGTERM to the main process, not its group."""
    main = psutil.Process(platform.server.process.pid)
    children = main.children(recursive=True)
    assert children, 'the server runs a scheduler and a job queue in child processes'
    os.kill(main.pid, signal.SIGTERM)
    platform.server.process.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
