"""The whole platform as a person starts it, from the README itself: the main job (the README's
``./scripts/run.sh --source ../shared/data``, typed in a copy of the repo whose ``../shared/data``
holds three months; ``MLOPS_RUN_VARS`` gives it the months and a small budget), then one Mage
server started as the README says (``./scripts/start.sh``: no sub-project chosen, so it opens
on unit_1), with its scheduler and time triggers, on the same state:

- one database: the main job's runs are the server's, whichever sub-project the UI shows;
- every sub-project's triggers listed and active; a time trigger of unit_3 (monitoring) and one
  of unit_4 (retraining) fire and complete; the retraining's children are Mage runs of their
  own pipelines, tied to it;
- every way in the README gives, typed as it is written, against this one server with unit_1
  active: the API endpoint (``predict_api.sh --run``, its printed ``curl``, ``--retrain``), the
  interactions form in Chromium, the notebook and the model server answer the champion's own
  prediction, computed here;
- every Dashboard tab serves data; a walk of the UI as a person clicks it (every sub-project's
  pipelines: Triggers, Runs, Dashboard, editor) finds no error text and every chart drawn, with
  unit_1 active (screenshots kept);
- a runner started while the server runs hands its run to the server's scheduler;
- SIGTERM to the server's main process stops every process it started and leaves its TMPDIR empty.

Why it is this long: the platform is started once, as the README says (the main job, then one
server), and every way of using it is checked against that one start; split into files, each would
start its own and hide what the others need.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional

import psutil
import pytest
import yaml

from mlops.utils.orchestration.owner_credentials import read_settings
from testkit.chain import QUICK_XGBOOST, chain_env, run_chain, summaries
from testkit.commands import run_command, run_ok
from testkit.servers import REPO_ROOT, ServerProcess, free_port, mage_server
from tests.dashboards import chart_data, layouts
from tests.readme import readme_commands, server_commands, the_command
from tests.sources import months_folder
from tests.ui_walk import choose_in_header, walk_ui
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
MODEL = 'nyc-taxi-duration'  # the registered model (MLOPS_REGISTERED_MODEL's default)
# The scripts a person runs from the copy use this checkout's virtualenv (set up once).
VENV = {'MLOPS_VENV': os.environ.get('MLOPS_VENV', str(REPO_ROOT / '.venv'))}
# The test process's variables a person's shell does not have (DASK_SCHEDULER_ADDRESS: the
# documented default of compute=dask, a LocalCluster per block, is what runs).
NOT_A_PERSONS = (
    'PYTHONPATH',
    'MLFLOW_TRACKING_URI',
    'DEFAULT_OWNER_EMAIL',
    'DEFAULT_OWNER_PASSWORD',
    'DASK_SCHEDULER_ADDRESS',
)
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
    def __init__(self, root: Path, repo: Path, source: Path, server, client, main_job: List[dict], env: Dict[str, str]):
        self.root, self.repo, self.source, self.server, self.client = root, repo, source, server, client
        self.main_job, self.env = main_job, env


@pytest.fixture(scope='module')
def platform(tmp_path_factory, shared_data):
    from mlops.utils.triggering.mage_api import MageClient

    root = tmp_path_factory.mktemp('platform')
    repo = repo_copy(root)  # root/repo: its ../shared/data is root/shared/data
    source = months_folder(root / 'shared' / 'data', shared_data, [FIRST, VALIDATED, NEWER])
    fire_once(repo)
    commands = readme_commands()
    main_job = the_command(commands, './scripts/run.sh --source ../shared/data', exact=True)
    run_vars = {'start_month': FIRST, 'end_month': VALIDATED, 'split_on_feature_value': f'{VALIDATED}-01', **SMALL}
    result = run_ok(
        ['bash', '-c', main_job],
        cwd=repo,
        env=chain_env(root, {'MLOPS_RUN_VARS': json.dumps(run_vars), **VENV}, repo),
        timeout=1800,
    )
    env = {
        'MLOPS_DATA_DIR': str(root / 'data'),
        'MLOPS_DATA_SOURCE': str(source),
        'DEFAULT_OWNER_EMAIL': '',  # a default start: the owner's password is the install's own
        'DEFAULT_OWNER_PASSWORD': '',
        'REQUIRE_USER_AUTHENTICATION': '1',
        'MLOPS_TIME_TRIGGERS': 'on',
        'TMPDIR': str(root / 'server-tmp'),  # its own: what a stop leaves there is the server's
    }
    (root / 'server-tmp').mkdir()
    start = the_command(commands, './scripts/start.sh')
    with mage_server(root, env=env, repo=repo, command=start) as server:  # MAGE_DATA_DIR = root/mage, as the main job's
        # What start.sh wrote for this install (<state>/owner-credentials), as every client reads it.
        owner = read_settings(root / 'mage' / 'mlops' / 'owner-credentials')
        email, password = owner['DEFAULT_OWNER_EMAIL'], owner['DEFAULT_OWNER_PASSWORD']
        assert password in server.log_path.read_text()  # printed once, at this first start
        client = MageClient(f'http://127.0.0.1:{server.port}', email=email, password=password, timeout=120)
        yield Platform(root, repo, source, server, client, summaries(result), env)


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


def settled(platform) -> None:
    """Monitoring and the retraining the server fired at start have finished: the champion the
    README's commands are checked against no longer moves."""
    wait_for(
        'monitoring and retraining done',
        lambda: all(finished_run_of(platform.client, t) for _, _, t in FIRED),
        1200,
        interval=5,
    )


def typed(platform, command: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    """A command of the README typed in a shell at the repo copy's root, as a person who exported
    the server's address (``MAGE_URL``) would; the owner's password is read where the server's
    start wrote it (``MAGE_DATA_DIR``: the state the main job and the server share)."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_PERSONS}
    env.update(
        MAGE_URL=platform.client.base_url,
        MAGE_DATA_DIR=str(platform.root / 'mage'),
        MLOPS_DATA_DIR=platform.env['MLOPS_DATA_DIR'],
        MLOPS_SESSION_FILE=str(platform.root / 'mage-sessions.json'),
        **VENV,
        **extra,
    )
    return run_command(['bash', '-c', command], cwd=platform.repo, env=env, timeout=timeout)


def answers_of(platform, trips: List[dict], version: Optional[str] = None):
    """(version, minutes): what the registered model answers for ``trips`` in this process (the
    champion, or ``version``), loaded from the store the platform's runs wrote."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from testkit.registered import embedded_store

    with embedded_store(platform.root / 'data'):
        version = version or MlflowClient().get_model_version_by_alias(MODEL, 'champion').version
        model = mlflow.pyfunc.load_model(f'models:/{MODEL}/{version}')
        return str(version), model.predict(pd.DataFrame(trips))


def trips_of(command: str) -> List[dict]:
    """The trips a ``predict_api.sh --run`` command or a ``curl`` command (to Mage or to the
    model server) sends."""
    body = json.loads(shlex.split(command)[-1])
    return body.get('dataframe_records') or (body.get('pipeline_run', {}).get('variables') or body)['inputs']


def test_the_readmes_api_command_answers_the_champions_prediction_in_about_a_second(platform):
    import numpy as np

    settled(platform)
    command = the_command(server_commands(), "./scripts/predict_api.sh --run '")
    seconds = []
    for _ in range(3):
        started = time.monotonic()
        result = typed(platform, command)
        seconds.append(time.monotonic() - started)
        assert result.returncode == 0, result.stderr[-3000:]
    rows, trips = json.loads(result.stdout), trips_of(command)
    version, expected = answers_of(platform, trips)
    assert [r['model_version'] for r in rows] == [version] * len(trips), rows
    assert [{k: r[k] for k in trips[0]} for r in rows] == trips
    assert np.allclose([r['predicted_minutes'] for r in rows], expected, rtol=1e-9, atol=0)
    print(f'predict_api.sh --run: {", ".join(f"{s:.2f}" for s in seconds)} s')  # bench_predict_api times it


def test_the_curl_the_readme_has_printed_answers_through_mage(platform):
    import numpy as np

    settled(platform)
    printed = typed(platform, the_command(server_commands(), './scripts/predict_api.sh', exact=True))
    assert printed.returncode == 0, printed.stderr[-3000:]
    [curl] = [line for line in printed.stdout.splitlines() if line.startswith('curl ')]
    token = schedules(platform.client)['predict_api']['token']
    assert token not in printed.stdout  # the printed command reads it from MLOPS_API_TOKEN
    posted = typed(platform, curl, MLOPS_API_TOKEN=token)
    assert posted.returncode == 0, posted.stderr
    run = platform.client.wait(json.loads(posted.stdout)['pipeline_run']['id'], timeout=300)
    assert run['status'] == 'completed', run
    rows = platform.client.block_output(run['id'], 'inference')
    version, expected = answers_of(platform, trips_of(curl))
    assert {r['model_version'] for r in rows} == {version}
    assert np.allclose([r['predicted_minutes'] for r in rows], expected, rtol=1e-9, atol=0)


def test_the_readmes_retrain_command_prints_the_retrain_now_trigger(platform):
    """The printed ``curl`` is not posted here: it would retrain on the trigger's full budget
    (``--retrain --run`` with nothing new is run in tests/unit_4_triggering/test_predict_api.py)."""
    from mlops.utils.pipelines import RETRAIN_NOW

    printed = typed(platform, the_command(server_commands(), './scripts/predict_api.sh --retrain'))
    assert printed.returncode == 0, printed.stderr[-3000:]
    schedule = schedules(platform.client)[RETRAIN_NOW.trigger]
    assert schedule['pipeline_uuid'] == RETRAIN_NOW.pipeline
    [curl] = [line for line in printed.stdout.splitlines() if line.startswith('curl ')]
    assert f'/api/pipeline_schedules/{schedule["id"]}/pipeline_runs/${{MLOPS_API_TOKEN:?' in curl
    assert schedule['token'] not in printed.stdout


def test_the_readmes_form_shows_the_champions_prediction(platform, browser, tmp_path):
    from tests.browser import sign_in
    from tests.predict_form import prediction_shown, submit_trip_form

    settled(platform)
    [trip] = trips_of(the_command(server_commands(), "./scripts/predict_api.sh --run '"))[:1]
    sign_in(browser, platform.client.base_url, platform.client.email, platform.client.password)
    run = submit_trip_form(browser, platform.client.base_url, platform.client, trip, tmp_path)
    assert run['status'] == 'completed', run
    _, [expected] = answers_of(platform, [trip])
    shown = prediction_shown(browser, platform.client.base_url, run['id'], tmp_path)
    print(f'screenshots: {tmp_path}')
    assert shown == pytest.approx(float(expected), abs=1e-3), shown


def test_the_readmes_model_server_and_notebook_answer_the_champions_prediction(platform, monkeypatch):
    """``./scripts/serve.sh`` (on a free port instead of 5001, which the container check's stack
    may hold) answers the README's trips as the champion does; the notebook the README names
    runs against it and the Mage server (it asserts the two agree) and reports the champion."""
    import nbformat
    import numpy as np
    import requests
    from nbclient import NotebookClient

    settled(platform)
    commands = server_commands()
    assert '.venv/bin/jupyter lab notebooks/' in commands
    assert 'run `inference.ipynb`' in (REPO_ROOT / 'README.md').read_text()
    trips = trips_of(the_command(commands, "./scripts/predict_api.sh --run '"))
    port = free_port()
    version, expected = answers_of(platform, trips)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'MLFLOW_TRACKING_URI')},
        'MLOPS_DATA_DIR': platform.env['MLOPS_DATA_DIR'],
        'MODEL_SERVER_PORT': str(port),
        **VENV,
    }
    serve = the_command(commands, './scripts/serve.sh')
    url = f'http://127.0.0.1:{port}'
    with ServerProcess(
        ['bash', '-c', serve], f'{url}/ping', platform.root / 'serve.log', env=env, cwd=platform.repo, inherit_env=False
    ):
        answer = requests.post(f'{url}/invocations', json={'dataframe_records': trips}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert np.allclose(answer.json()['predictions'], expected, rtol=1e-9, atol=0)
        curl = the_command(commands, 'curl -s 127.0.0.1:5001/invocations').replace(':5001/', f':{port}/')
        answered = typed(platform, curl)  # docs/model-server.md's example
        assert answered.returncode == 0, answered.stderr
        _, documented = answers_of(platform, trips_of(curl), version)
        assert np.allclose(json.loads(answered.stdout)['predictions'], documented, rtol=1e-9, atol=0)
        for name, value in {
            'MLOPS_DATA_DIR': platform.env['MLOPS_DATA_DIR'],
            'MAGE_URL': platform.client.base_url,
            'MODEL_SERVER_URL': url,
            'MAGE_DATA_DIR': str(platform.root / 'mage'),  # the owner's password: where start.sh wrote it
            'SAMPLE_ROWS': '50',
        }.items():
            monkeypatch.setenv(name, value)
        for name in ('MLFLOW_TRACKING_URI', 'DEFAULT_OWNER_EMAIL', 'DEFAULT_OWNER_PASSWORD'):
            monkeypatch.delenv(name, raising=False)
        notebook = nbformat.read(platform.repo / 'notebooks' / 'inference.ipynb', as_version=4)
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name='python3',
            resources={'metadata': {'path': str(platform.repo / 'notebooks')}},
        ).execute()
    text = '\n'.join(
        o.get('text', '') for cell in notebook.cells if cell.cell_type == 'code' for o in cell.get('outputs', [])
    )
    assert f'50 predictions from {platform.client.base_url}, model version {version}' in text, text
    assert f'50 predictions from {url}' in text, text
    assert re.search(r'RMSE on these trips: [0-9.]+ min', text), text


def test_the_readmes_batch_scoring_equals_the_model_server_and_the_pyfunc_on_10000_trips(platform):
    """The README's batch-scoring command (on the platform's newest month; run beside the server,
    which takes the run), then again with ``compute=dask`` and no scheduler address: a LocalCluster
    started for the block. Both write the same rows; on 10,000 of them the predicted minutes
    equal the model server's answer (``./scripts/serve.sh``) and the champion's pyfunc loaded in
    this process, to 1e-9. The trips are read here from the month's parquet file by the rows the
    output names; nothing of the batch code computes the expectation."""
    import numpy as np
    import pandas as pd
    import requests

    settled(platform)
    command = the_command(readme_commands(), './scripts/run.sh --pipelines batch_scoring').replace('2024-02', NEWER)
    lines = {}
    for compute in ('pandas', 'dask'):
        result = typed(platform, f'{command} --set compute={compute}', timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
        [lines[compute]] = [line for line in summaries(result) if line['pipeline'] == 'batch_scoring']
        assert lines[compute]['status'] == 'completed', lines[compute]
        frame = pd.read_parquet(lines[compute]['outputs'][0])
        if compute == 'pandas':
            written = frame
    pd.testing.assert_frame_equal(frame, written)  # the Dask path's file: the same rows, to the bit
    version = lines['pandas']['model_version']
    assert lines['dask']['model_version'] == version and lines['dask']['outputs'] == lines['pandas']['outputs']

    sample = written.sample(n=10_000, random_state=0).sort_values('source_row')
    year, number = NEWER.split('-')
    raw = pd.read_parquet(platform.source / 'taxi' / 'green' / year / f'{number}.parquet')
    trips = raw.iloc[sample['source_row'].to_numpy()][['PULocationID', 'DOLocationID', 'trip_distance']]
    records = json.loads(trips.to_json(orient='records'))
    _, in_process = answers_of(platform, records, version)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'MLFLOW_TRACKING_URI')},
        'MLOPS_DATA_DIR': platform.env['MLOPS_DATA_DIR'],
        'MODEL_SERVER_PORT': str(port),
        **VENV,
    }
    url = f'http://127.0.0.1:{port}'
    serve = the_command(server_commands(), './scripts/serve.sh')
    with ServerProcess(
        ['bash', '-c', serve],
        f'{url}/ping',
        platform.root / 'serve-batch.log',
        env=env,
        cwd=platform.repo,
        inherit_env=False,
    ):
        answer = requests.post(f'{url}/invocations', json={'dataframe_records': records}, timeout=120)
        assert answer.status_code == 200, answer.text[:2000]
        assert answer.headers.get('X-Model-Version') == version
    served = np.asarray(answer.json()['predictions'], dtype=float)
    batch = sample['predicted_minutes'].to_numpy()
    np.testing.assert_allclose(batch, in_process, rtol=0, atol=1e-9)
    np.testing.assert_allclose(batch, served, rtol=0, atol=1e-9)


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
    from testkit.registered import embedded_store

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
    assert active_project(platform.client) == 'unit_1_data_preparation'  # a default start's
    for page, blocks in layouts(platform.repo).items():  # the copy the server runs from
        for uuid, block in blocks.items():
            data = chart_data(platform.client, page, uuid)
            assert has_data(block['configuration']['chart_type'], data), (page, uuid, data)
            if data['x'] == DAY_COLUMNS:  # runs by day: the completed ones Mage lists for the pipeline
                pipeline = page.split('/')[1]
                completed = sum(1 for r in listed if r['pipeline_uuid'] == pipeline and r['status'] == 'completed')
                assert sum(row[1] for row in data['y']) == completed, (page, uuid)


def expected_drops(source: Path, months: List[str]) -> List[list]:
    """Per month, computed here from the parquet files with plain pandas: rows read, dropped for
    a missing time, a null location id, a missing distance, an id or distance a prediction
    refuses, a duration outside 1..60 minutes
    (the first reason that applies), kept."""
    import numpy as np
    import pandas as pd

    table = []
    for month in months:
        year, number = month.split('-')
        trips = pd.read_parquet(source / 'taxi' / 'green' / year / f'{number}.parquet')
        minutes = (trips['lpep_dropoff_datetime'] - trips['lpep_pickup_datetime']).dt.total_seconds() / 60
        left = pd.Series(True, index=trips.index)
        counts = []
        for dropped in (
            minutes.isna(),
            trips[['PULocationID', 'DOLocationID']].isna().any(axis=1),
            ~np.isfinite(trips['trip_distance'].astype(float)),
            ~(  # what a prediction refuses: ids outside 1..2**31-1, miles outside 0..1e6
                trips['PULocationID'].between(1, 2**31 - 1)
                & trips['DOLocationID'].between(1, 2**31 - 1)
                & trips['trip_distance'].between(0, 1e6)
            ),
            ~minutes.between(1, 60),
        ):
            counts.append(int((left & dropped).sum()))
            left &= ~dropped
        table.append([month, len(trips), *counts, int(left.sum())])
    return table


def test_unit_1s_dashboard_shows_what_cleaning_dropped_per_month_and_reason(platform):
    """The data_preparation Dashboard tab: the newest completed preparation is the main job's
    (FIRST..VALIDATED); its rows read, dropped per reason and kept, per month, are the counts
    of the month files themselves, and the reasons' bars add up the months."""
    page = 'pipelines/data_preparation/dashboard'
    table = chart_data(platform.client, page, 'rows_dropped_by_month')
    expected = expected_drops(platform.source, [FIRST, VALIDATED])
    assert [row[:-1] for row in table['y']] == expected, (table, expected)
    assert [row[-1] for row in table['y']] == [round(100 * row[-1] / row[1], 2) for row in expected]
    bars = chart_data(platform.client, page, 'rows_dropped_by_reason')
    assert bars['y'] == [[sum(row[2 + i] for row in expected) for i in range(5)]], bars
    assert sum(bars['y'][0]) > 0, 'the real months drop rows: the chart shows them'


def test_a_walk_through_the_ui_finds_no_error_on_any_page_with_unit_1_active(platform, browser, tmp_path):
    """As a person clicks: every sub-project's pipelines, their Triggers, Runs, newest run,
    Dashboard and editor, with the default start's sub-project active; then each sub-project in
    the header's menu (screenshots kept)."""
    from tests.browser import sign_in

    settled(platform)
    client = platform.client
    browser.set_window_size(1600, 1400)
    sign_in(browser, client.base_url, client.email, client.password)
    assert active_project(client) == 'unit_1_data_preparation'
    problems = walk_ui(browser, client.base_url, platform.repo, tmp_path)
    print(f'screenshots: {tmp_path}')
    assert not problems, '\n'.join(problems)
    assert active_project(client) == 'unit_1_data_preparation'


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
    """As a process supervisor stops it: one SIGTERM to the main process, not its group; and
    what the server kept in its TMPDIR (the job queue manager's ``pymp-*`` folder, the editor
    kernel's connection file) goes with it."""
    main = psutil.Process(platform.server.process.pid)
    children = main.children(recursive=True)
    assert children, 'the server runs a scheduler and a job queue in child processes'
    temporary = Path(platform.env['TMPDIR'])
    kept = sorted(p.name for p in temporary.iterdir())
    assert any(name.startswith('pymp-') for name in kept), kept  # so the check below can fail
    os.kill(main.pid, signal.SIGTERM)
    platform.server.process.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    assert sorted(p.name for p in temporary.iterdir()) == [], kept
