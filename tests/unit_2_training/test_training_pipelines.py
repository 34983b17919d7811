"""Both training pipelines through Mage, with small budgets, against real MLflow stores.

Why it is this long: both training pipelines through Mage on real MLflow stores share one trained
state (minutes to make), and each step's checks read it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.training_data import unpack_training_set
from testkit.chain import QUICK_XGBOOST, REPO_ROOT, chain_env, run_chain, settings, summaries
from testkit.commands import run_ok
from testkit.registered import embedded_store
from testkit.servers import ServerProcess, free_port

pytestmark = pytest.mark.slow
MODEL = 'nyc-taxi-duration'
SKLEARN_MODELS = 'linear_model.LinearRegression,linear_model.Lasso'
MAX_EVALUATIONS = 2


@pytest.fixture(scope='module')
def trained(tmp_path_factory, shared_data):
    """The main job with small budgets: data preparation, GDP, sklearn (2 models), XGBoost
    (2 quick trials)."""
    root = tmp_path_factory.mktemp('trained')
    result = run_chain(
        root,
        '--source',
        str(shared_data),
        '--set',
        f'models={SKLEARN_MODELS}',
        '--set',
        f'max_evaluations={MAX_EVALUATIONS}',
        *settings(QUICK_XGBOOST),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root, summaries(result)


@pytest.fixture
def mlflow_client(trained):
    """A client on the embedded store the job used (SQLite under its data folder)."""
    from mlflow.tracking import MlflowClient

    root, _ = trained
    with embedded_store(root / 'data') as experiment_id:
        yield MlflowClient(), experiment_id


def champion(client):
    return client.get_model_version_by_alias(MODEL, 'champion')


def test_every_step_completes_and_reports(trained):
    _, lines = trained
    assert [(s['project'], s['pipeline'], s['status']) for s in lines] == [
        ('unit_1_data_preparation', 'data_preparation', 'completed'),
        ('unit_2_training', 'prepare_training_set', 'completed'),
        ('unit_2_training', 'sklearn_training', 'completed'),
        ('unit_2_training', 'xgboost_training', 'completed'),
    ]
    assert {m['family'] for m in lines[2]['models']} == set(SKLEARN_MODELS.split(','))
    assert [m['family'] for m in lines[3]['models']] == ['xgboost']


def test_trials_and_final_runs_are_tracked(trained, mlflow_client, default_training_set):
    _, lines = trained
    client, experiment_id = mlflow_client
    data = unpack_training_set(default_training_set)
    runs = client.search_runs([experiment_id], max_results=1000)
    ours = {(line['pipeline'], str(line['pipeline_run_id'])) for line in lines[2:]}
    parents = [
        r
        for r in runs
        if 'mlflow.parentRunId' not in r.data.tags
        and (r.data.tags.get('mage.pipeline_uuid'), r.data.tags.get('mage.pipeline_run_id')) in ours
    ]
    assert sorted(r.data.tags['model_family'] for r in parents) == sorted(SKLEARN_MODELS.split(',') + ['xgboost'])
    for parent in parents:
        children = [r for r in runs if r.data.tags.get('mlflow.parentRunId') == parent.info.run_id]
        trials = [r for r in children if r.data.tags.get('stage') == 'tuning']
        finals = [r for r in children if r.data.tags.get('stage') == 'final']
        assert len(trials) == MAX_EVALUATIONS and len(finals) == 1, parent.data.tags
        assert all({'validation_rmse', 'validation_mse', 'duration_seconds'} <= set(t.data.metrics) for t in trials)
        assert parent.data.tags['mage.pipeline_run_id'] and parent.info.status == 'FINISHED'
        final = finals[0]
        assert final.data.tags['data.training_rows'] == str(data.X_train.shape[0])
        assert final.data.tags['data.validation_rows'] == str(data.X_val.shape[0])
        assert final.data.tags['data.feature_count'] == str(len(data.feature_names))
        assert final.data.tags['mage.pipeline_run_id'] == parent.data.tags['mage.pipeline_run_id']
        pickups = data.df['lpep_pickup_datetime']
        assert final.data.tags['data.data_start'] == str(pickups.min())
        assert final.data.tags['data.training_end'] == str(pickups[pickups < '2024-02-01'].max())
        assert final.data.tags['data.validation_start'] == str(pickups[pickups >= '2024-02-01'].min())


def test_champion_is_the_best_version_and_beats_a_baseline(trained, mlflow_client, default_training_set):
    import mlflow

    _, lines = trained
    client, _ = mlflow_client
    registered = [m['version'] for line in lines[2:] for m in line['models']]
    assert len(registered) == len(SKLEARN_MODELS.split(',')) + 1  # a version per final model of the job
    versions = client.search_model_versions(f"name = '{MODEL}'")
    rmse = {v.version: float(v.tags['validation_rmse']) for v in versions}
    best = min(rmse, key=rmse.get)
    assert str(champion(client).version) == str(best)
    data = unpack_training_set(default_training_set)
    baseline = regression_metrics(data.y_val, LinearRegression().fit(data.X_train, data.y_train).predict(data.X_val))
    assert rmse[best] < baseline['rmse']
    served = mlflow.pyfunc.load_model(f'models:/{MODEL}@champion')
    records = data.validation_records().drop(columns=['duration'])
    assert regression_metrics(data.y_val, served.predict(records))['rmse'] == pytest.approx(rmse[best], abs=1e-6)


def test_each_versions_model_card_holds_the_figures_of_its_data_and_mlflows_records(
    trained, mlflow_client, default_training_set
):
    """Each version the job registered has a card, read here through MLflow's API only; its
    figures are recomputed from the validation month's rows and the registered model (loaded as
    MLflow serves it), its digests from the rows and against the datasets MLflow logged."""
    import mlflow

    from mlops.utils.model_code.features import INPUT_COLUMNS
    from mlops.utils.tracking.lineage import rows_digest

    _, lines = trained
    client, _ = mlflow_client
    df, df_train, df_val = default_training_set['prepare']
    actual = df_val['duration'].to_numpy()
    distance = df_val['trip_distance'].to_numpy()
    hours = df['lpep_pickup_datetime'].loc[df_val.index].dt.hour.to_numpy()
    routes = (df_val['PULocationID'].astype(str) + '_' + df_val['DOLocationID'].astype(str)).to_numpy()
    busiest = sorted(pd.Series(routes).value_counts().items(), key=lambda item: (-item[1], item[0]))[:10]
    edges = np.quantile(distance, np.linspace(0, 1, 11))
    digests = {
        'training': rows_digest(df_train[[*INPUT_COLUMNS, 'duration']]),
        'validation': rows_digest(df_val[[*INPUT_COLUMNS, 'duration']]),
    }

    def rmse(errors):
        return float(np.sqrt(np.mean(errors**2)))

    for version in [str(m['version']) for line in lines[2:] for m in line['models']]:
        registered = client.get_model_version(MODEL, version)
        card = mlflow.artifacts.load_dict(f'runs:/{registered.run_id}/{registered.tags["model_card"]}')
        errors = mlflow.pyfunc.load_model(f'models:/{MODEL}/{version}').predict(df_val[INPUT_COLUMNS]) - actual
        validation = card['validation']
        assert validation['overall']['trips'] == len(df_val), version
        assert validation['overall']['rmse'] == pytest.approx(rmse(errors), abs=1e-9), version
        assert validation['overall']['rmse'] == pytest.approx(float(registered.tags['validation_rmse']), abs=1e-6)
        assert validation['overall']['mae'] == pytest.approx(float(np.mean(np.abs(errors))), abs=1e-9), version
        deciles = validation['slices']['distance_deciles']
        assert len(deciles) == 10, version
        for i, figures in enumerate(deciles):
            inside = ((distance > edges[i]) | (i == 0)) & (distance <= edges[i + 1])
            assert figures['trips'] == inside.sum() and figures['rmse'] == pytest.approx(rmse(errors[inside])), i
        by_hour = {h['slice']: h for h in validation['slices']['pickup_hour']}
        assert sorted(by_hour) == [f'{h:02d}:00' for h in sorted(set(hours))], version
        for hour in set(hours):
            inside = hours == hour
            figures = by_hour[f'{hour:02d}:00']
            assert figures['trips'] == inside.sum() and figures['rmse'] == pytest.approx(rmse(errors[inside])), hour
        top = validation['slices']['busiest_routes']
        assert [(r['slice'], r['trips']) for r in top] == [(f'route {route}', n) for route, n in busiest], version
        for figures, (route, _) in zip(top, busiest):
            assert figures['mae'] == pytest.approx(float(np.mean(np.abs(errors[routes == route])))), route
        logged = {i.tags[0].value: i.dataset.digest for i in client.get_run(registered.run_id).inputs.dataset_inputs}
        assert {c: d['digest'] for c, d in card['data']['datasets'].items()} == digests == logged, version
        assert card['decision']['role'] == registered.tags['role'], version
        if 'champion_validation_rmse' in registered.tags:
            compared = float(registered.tags['champion_validation_rmse'])
            assert card['decision']['champion_rmse_on_same_rows'] == pytest.approx(compared, abs=1e-6)
        assert card['data']['training_months'] == '2024-01..2024-01' and card['drift']['computed'], version
    champion_card = mlflow.artifacts.load_dict(f'runs:/{champion(client).run_id}/model_card/model_card.json')
    assert champion_card['decision']['promoted'] and champion_card['model']['version'] == str(champion(client).version)


def test_a_worse_fixed_model_is_registered_but_rejected(trained, mlflow_client):
    """Fixed hyperparameters skip tuning; the GDP from the job is re-used (still fresh)."""
    root, _ = trained
    client, _ = mlflow_client
    before = champion(client).version
    fixed = json.dumps({'max_depth': 4, 'learning_rate': 0.05, 'min_child_weight': 20})
    result = run_chain(
        root, '--pipelines', 'xgboost_training', '--set', f'hyperparameters={fixed}', '--set', 'early_stopping_rounds=1'
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = summaries(result)[0]
    assert [m['role'] for m in line['models']] == ['rejected challenger']
    assert line['champion']['version'] == before == champion(client).version
    version = client.get_model_version(MODEL, line['models'][0]['version'])
    assert float(version.tags['champion_validation_rmse']) < float(version.tags['validation_rmse'])


# Through Mage, one refused variable and the unreachable store; the other refusals
# (max_evaluations below 1, an unknown hyperparameter) are unit tests of the same check
# (tests/utils/training/test_config.py, test_steps.py).
@pytest.mark.parametrize(
    'args, env, message',
    [
        (['--set', 'models=linear_model.Ridge'], {}, "unknown model 'linear_model.Ridge'"),
        ([], {'MLFLOW_TRACKING_URI': 'closed port'}, 'MLflow tracking at http://127.0.0.1:{port} cannot be used'),
    ],
)
def test_bad_input_fails_before_training_and_keeps_the_champion(trained, mlflow_client, args, env, message):
    root, _ = trained
    client, _ = mlflow_client
    _, experiment_id = mlflow_client
    if env.get('MLFLOW_TRACKING_URI') == 'closed port':  # nothing listens there
        port = free_port()
        env, message = {'MLFLOW_TRACKING_URI': f'http://127.0.0.1:{port}'}, message.format(port=port)
    before = (
        champion(client).version,
        len(client.search_model_versions(f"name = '{MODEL}'")),
        len(client.search_runs([experiment_id], max_results=1000)),
    )
    result = run_chain(root, '--pipelines', 'sklearn_training', *args, env=env)
    assert result.returncode == 1 and message in result.stderr, result.stderr[-2000:]
    assert summaries(result)[0]['status'] == 'failed'
    # failed before training: no version, no MLflow run (not even a tuning parent) was made
    assert (
        champion(client).version,
        len(client.search_model_versions(f"name = '{MODEL}'")),
        len(client.search_runs([experiment_id], max_results=1000)),
    ) == before


def test_a_killed_training_run_never_moves_the_alias(trained, mlflow_client):
    root, _ = trained
    client, experiment_id = mlflow_client
    before = (champion(client).version, len(client.search_model_versions(f"name = '{MODEL}'")))
    runs_before = len(client.search_runs([experiment_id], max_results=1000))
    killed_tmp = root / 'killed-run-tmp'
    killed_tmp.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'mlops.utils.orchestration',
            '--pipelines',
            'xgboost_training',
            '--set',
            'max_evaluations=20',
        ],
        cwd=REPO_ROOT,
        # SIGKILL leaves the runner's temporary folder: keep it out of the session's
        env=chain_env(root, {'TMPDIR': str(killed_tmp)}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # a bound on waiting, not a speed requirement
    while len(client.search_runs([experiment_id], max_results=1000)) < runs_before + 1:  # tuning has begun
        assert time.monotonic() < deadline and process.poll() is None, 'training never started'
        time.sleep(1)
    os.killpg(process.pid, signal.SIGKILL)  # the runner, its headless process and Mage's workers
    process.wait()
    assert (champion(client).version, len(client.search_model_versions(f"name = '{MODEL}'"))) == before
    # The killed run is still 'running' in Mage's database: the runner's clean-up cancels exactly it.
    cancel = run_ok(
        [sys.executable, '-m', 'mlops.utils.orchestration.headless', 'cancel', 'unit_2_training', 'xgboost_training'],
        cwd=REPO_ROOT,
        env=chain_env(root),
        timeout=300,
    )
    assert json.loads(cancel.stdout.strip().splitlines()[-1]) == {'cancelled': 1}


def test_the_champion_is_served_as_is_by_mlflow_models_serve(trained, mlflow_client, default_training_set, tmp_path):
    """Raw records over HTTP in, the same minutes as the champion loaded in-process out."""
    import mlflow
    import requests

    from mlops.utils.tracking.mlflow_setup import tracking_uri

    records = unpack_training_set(default_training_set).validation_records().drop(columns=['duration']).head(5)
    expected = mlflow.pyfunc.load_model(f'models:/{MODEL}@champion').predict(records)
    port = free_port()
    command = [
        str(Path(sys.executable).parent / 'mlflow'),
        'models',
        'serve',
        '-m',
        f'models:/{MODEL}@champion',
        '--env-manager',
        'local',
        '--host',
        '127.0.0.1',
        '--port',
        str(port),
    ]
    elsewhere = tmp_path / 'elsewhere'  # not the repo: the model must bring its own code
    elsewhere.mkdir()
    with ServerProcess(
        command,
        f'http://127.0.0.1:{port}/ping',
        tmp_path / 'serve.log',
        cwd=elsewhere,
        env={
            'MLFLOW_TRACKING_URI': tracking_uri(),  # as from an activated venv
            'PATH': f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}',
        },
        inherit_env=False,
    ):
        answer = requests.post(
            f'http://127.0.0.1:{port}/invocations',
            timeout=30,
            json={'dataframe_records': records.to_dict(orient='records')},
        )
    assert answer.status_code == 200, answer.text
    assert np.allclose(answer.json()['predictions'], expected, rtol=0, atol=1e-9)


def test_a_version_is_refit_exactly_from_its_reproduce_tags(trained, mlflow_client):
    """``--reproduce VERSION`` reruns the tuned XGBoost model's pipeline with its ``reproduce.*``
    tags (fixed booster parameters, the rounds early stopping kept): same training set, same
    validation RMSE, no tuning."""
    root, lines = trained
    client, _ = mlflow_client
    original = next(m for m in lines[3]['models'] if m['family'] == 'xgboost')
    source = client.get_run(client.get_model_version(MODEL, str(original['version'])).run_id)
    assert {'reproduce.hyperparameters', 'reproduce.num_boost_round', 'reproduce.early_stopping_rounds'} <= set(
        source.data.tags
    )
    result = run_chain(root, '--reproduce', str(original['version']))
    assert result.returncode == 0, result.stderr[-3000:]
    line = summaries(result)[0]
    assert line['pipeline'] == 'xgboost_training'
    refit = client.get_run(client.get_model_version(MODEL, str(line['models'][0]['version'])).run_id)
    assert refit.data.metrics['validation_rmse'] == pytest.approx(source.data.metrics['validation_rmse'], abs=1e-9)
    parent = client.get_run(refit.data.tags['mlflow.parentRunId'])
    assert parent.data.tags['tuning'] == 'skipped: fixed hyperparameters'


def test_reproducing_an_unknown_version_is_an_argument_error(trained):
    root, _ = trained
    result = run_chain(root, '--reproduce', '999')
    assert result.returncode == 2 and '--reproduce: no version 999 of nyc-taxi-duration' in result.stderr


def test_run_health_dashboards_show_the_jobs_runs(trained, browser, tmp_path):
    """A Mage server over the job's own state: each training pipeline's Dashboard tab counts
    the runs Mage recorded, their durations, its triggers and the trials MLflow holds per run,
    and Chromium draws it (screenshots kept)."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.observability.history import tuning_trials
    from testkit.servers import signed_in_mage
    from tests.browser import sign_in
    from tests.dashboards import dashboard_charts, draw

    root, _ = trained
    with embedded_store(root / 'data') as experiment:
        trials = tuning_trials(MlflowClient(), experiment)
    with signed_in_mage(root) as client:
        sign_in(browser, client.base_url, client.email, client.password)
        browser.set_window_size(1600, 1600)
        for pipeline in ('sklearn_training', 'xgboost_training'):
            short, page = pipeline.split('_')[0], f'pipelines/{pipeline}/dashboard'
            runs = client.get('/api/pipeline_runs', pipeline_uuid=pipeline)['pipeline_runs']
            completed = [r for r in runs if r['pipeline_uuid'] == pipeline and r['status'] == 'completed']
            charts = dashboard_charts(client, page)
            _, by_day = charts[f'{short}_runs_by_day']
            assert sum(row[1] for row in by_day['y']) == len(completed) > 0, pipeline
            _, seconds = charts[f'{short}_run_seconds']
            assert len(seconds['x']) == len(seconds['y'][0]) >= len(completed), pipeline
            assert all(s >= 0 for s in seconds['y'][0]), pipeline
            _, triggers = charts[f'{short}_triggers']
            assert triggers['x'][0] == 'trigger' and 'headless runner' in [row[0] for row in triggers['y']], pipeline
            _, per_run = charts[f'{short}_trials_per_run']
            assert sum(per_run['y'][0]) == (trials['pipeline_uuid'] == pipeline).sum() > 0, pipeline
            health = {block['name'] for uuid, (block, _) in charts.items() if uuid.startswith(short + '_')}
            missing, _ = draw(
                browser,
                client.base_url,
                page,
                [block for block, _ in charts.values()],
                tmp_path / f'{pipeline}-dashboard.png',
                only=health,
            )
            assert not missing, f'{pipeline}: not drawn: {sorted(missing)}'
