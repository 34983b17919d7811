"""The main job's CLI: planning and the failure paths of a step, without Mage."""

from __future__ import annotations

import sys

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration import __main__ as cli
from mlops.utils.orchestration.chain import CHAIN


def plan(*argv):
    return cli.plan(cli.parse_args(list(argv)))


def test_the_whole_chain_with_each_steps_own_variables():
    steps = plan('--set', 'start_month=2023-11', '--set', 'max_evaluations=3', '--source', '/data')
    assert [step for step, _ in steps] == CHAIN
    for step, variables in steps:
        declared = step.declared_variables()
        assert set(variables) <= set(declared)
        assert ('start_month' in variables) == ('start_month' in declared)
    assert steps[0][1] == {'start_month': '2023-11', 'data_source': '/data'}
    assert steps[3][1] == {'max_evaluations': '3'}


def test_steps_by_name_or_label():
    assert [s.label for s, _ in plan('--pipelines', 'xgboost_training')] == ['unit_2_training/xgboost_training']
    assert [s.label for s, _ in plan('--pipelines', 'data_preparation')] == [CHAIN[0].label]
    assert [s.label for s, _ in plan('--pipelines', 'prepare_training_set')] == [CHAIN[1].label]


@pytest.mark.parametrize(
    'argv, message',
    [
        (['--pipelines', 'predict'], 'unknown pipeline(s) predict'),
        (['--vars', '[1]'], '--vars must be a JSON object'),
        (['--set', 'start_month'], "--set takes name=value, got 'start_month'"),
        (['--pipelines', 'xgboost_training', '--set', 'models=x'], 'unknown pipeline variable(s) models'),
    ],
)
def test_bad_arguments_are_named(argv, message):
    with pytest.raises(ConfigError, match=message.replace('(', r'\(').replace(')', r'\)').replace('[', r'\[')):
        plan(*argv)


@pytest.fixture
def fake_headless(monkeypatch, tmp_path):
    """The headless process replaced by a small script; records the commands it was given."""
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path / 'data'))
    calls = []

    def command(*args):
        calls.append(args)
        if args[0] == 'cancel':
            return [sys.executable, '-c', 'print("cancelled")']
        return [sys.executable, '-c', fake_headless.script, *args]

    fake_headless.script = ''
    monkeypatch.setattr(cli, 'headless_command', command)
    monkeypatch.setattr(cli, 'GRACE_SECONDS', 1.0)
    return fake_headless, calls


def test_a_step_whose_process_dies_is_reported_crashed(fake_headless, tmp_path):
    fake, calls = fake_headless
    fake.script = 'import os; os._exit(3)'
    result = cli.run_step(CHAIN[0], {}, timeout=30, runner_lock=tmp_path / 'runner.lock')
    assert result['status'] == 'crashed' and result['log'].endswith(
        'headless-unit_1_data_preparation-data_preparation.log'
    )
    assert calls[0][:3] == ('run', 'unit_1_data_preparation', 'data_preparation') and '--timeout' in calls[0]


def test_a_step_past_its_timeout_is_killed_cancelled_and_reported_timed_out(fake_headless, tmp_path):
    fake, calls = fake_headless
    fake.script = 'import time; time.sleep(600)'
    result = cli.run_step(CHAIN[0], {}, timeout=0.5, runner_lock=tmp_path / 'runner.lock')
    assert result['status'] == 'timed out'
    assert calls[-1] == ('cancel', 'unit_1_data_preparation', 'data_preparation')
    assert calls[0][calls[0].index('--timeout') + 1] == '0.5'  # the timeout reached the headless process


def test_the_result_the_process_wrote_is_reported(fake_headless, tmp_path):
    fake, _ = fake_headless
    fake.script = (
        'import json, sys; from pathlib import Path; '
        'Path(sys.argv[5]).write_text(json.dumps({"project": "p", "pipeline": "q", "status": "failed", '
        '"failures": [{"block": "b", "log": "boom"}]}))'
    )
    result = cli.run_step(CHAIN[0], {}, timeout=30, runner_lock=tmp_path / 'runner.lock')
    assert result['status'] == 'failed' and result['failures'] == [{'block': 'b', 'log': 'boom'}]


@pytest.mark.parametrize(
    'argv, message',
    [
        (['--timeout', 'nan'], "--timeout must be a finite number in (0, 604800], got 'nan'"),
        (['--timeout', 'inf'], "--timeout must be a finite number in (0, 604800], got 'inf'"),
        (['--timeout', '0'], "--timeout must be a finite number in (0, 604800], got '0'"),
        (['--timeout', '-1'], "--timeout must be a finite number in (0, 604800], got '-1'"),
        (['--timeout', '604801'], "--timeout must be a finite number in (0, 604800], got '604801'"),
        (['--pipelines', ','], "--pipelines names no pipeline, got ','; give one or more of: unit_1_data_preparation/"),
        (['--pipelines', ' , '], "--pipelines names no pipeline, got ' , '"),
        (['--pipelines', ''], "--pipelines names no pipeline, got ''"),
    ],
)
def test_the_runner_refuses_what_would_never_time_out_or_run_nothing(argv, message, tmp_path):
    """The command line as run.sh runs it: exit 2 and the reason, before any pipeline starts
    (NaN or inf: a stuck pipeline never stopped; an empty --pipelines: nothing run, exit 0)."""
    import os

    from mlops.utils.paths import REPO_ROOT
    from testkit.commands import run_command

    result = run_command(
        [sys.executable, '-m', 'mlops.utils.orchestration', *argv],
        cwd=REPO_ROOT,
        env={**os.environ, 'MLOPS_DATA_DIR': str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 2 and f'error: {message}' in result.stderr, result.stderr
    assert result.stdout == '' and not (tmp_path / 'logs').exists()  # nothing ran


def test_a_bounded_timeout_is_taken_in_seconds():
    assert cli.timeout_seconds(cli.parse_args([])) == 3600.0
    assert cli.timeout_seconds(cli.parse_args(['--timeout', '0.5'])) == 0.5
    assert cli.timeout_seconds(cli.parse_args(['--timeout', '604800'])) == cli.MAX_TIMEOUT_SECONDS
