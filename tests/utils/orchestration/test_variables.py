import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.variables import (
    bounded_number,
    check_known,
    environment_vars,
    parse_assignments,
    parse_vars,
)


def test_json_object():
    assert parse_vars('{"start_month": "2024-01"}') == {'start_month': '2024-01'}


@pytest.mark.parametrize('text, message', [('{bad', 'not valid JSON'), ('[1]', 'must be a JSON object')])
def test_bad_json_is_an_error(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_vars(text)


def test_the_environments_variables_and_their_errors_name_it():
    assert environment_vars({}) == {} and environment_vars({'MLOPS_RUN_VARS': ''}) == {}
    assert environment_vars({'MLOPS_RUN_VARS': '{"max_evaluations": 1}'}) == {'max_evaluations': 1}
    with pytest.raises(ConfigError, match='MLOPS_RUN_VARS must be a JSON object'):
        environment_vars({'MLOPS_RUN_VARS': '3'})


def test_the_command_line_overrides_the_environment_and_a_bad_one_is_refused():
    """Through the runner's plan: --vars and --set over MLOPS_RUN_VARS; a misspelt name there is
    refused as on the command line (exit 2, naming it), before anything runs."""
    import os
    import sys

    from mlops.utils.orchestration.__main__ import parse_args, plan
    from mlops.utils.paths import REPO_ROOT
    from testkit.commands import run_command

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('MLOPS_RUN_VARS', '{"start_month": "2023-01", "end_month": "2023-03"}')
        [(_, variables)] = plan(parse_args(['--pipelines', 'data_preparation', '--set', 'end_month=2023-02']))
    assert variables['start_month'] == '2023-01' and variables['end_month'] == '2023-02'
    result = run_command(
        [sys.executable, '-m', 'mlops.utils.orchestration'],
        cwd=REPO_ROOT,
        env={**os.environ, 'MLOPS_RUN_VARS': '{"strat_month": "2024-01"}'},
        timeout=120,
    )
    assert result.returncode == 2 and 'unknown pipeline variable(s) strat_month' in result.stderr, result.stderr


def test_assignments():
    assert parse_assignments(['a=1', 'b=x=y']) == {'a': '1', 'b': 'x=y'}
    with pytest.raises(ConfigError, match="name=value, got 'oops'"):
        parse_assignments(['oops'])


def test_unknown_variables_are_listed():
    with pytest.raises(
        ConfigError, match='unknown pipeline variable\\(s\\) strat_month; known: end_month, start_month'
    ):
        check_known({'strat_month': 1}, ['start_month', 'end_month'])


def test_unknown_pipeline_steps_are_named():
    import sys

    from mlops.utils.paths import REPO_ROOT
    from testkit.commands import run_command

    result = run_command(
        [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', 'nope'], cwd=REPO_ROOT, timeout=600
    )
    assert result.returncode == 2
    assert 'unknown pipeline(s) nope; known: ' in result.stderr and 'xgboost_training' in result.stderr


def test_bounded_numbers_take_numbers_or_their_text_and_name_the_rest():
    assert bounded_number(' 2.5 ', 'x', 0, 10) == 2.5 and bounded_number(0, 'x', 0, 10) == 0
    assert bounded_number('+3', 'n', 1, 5, whole=True) == 3 and bounded_number(5, 'n', 1, 5, whole=True) == 5
    for value in ('nan', float('nan'), 'inf', -float('inf'), '1e400', 10**400, True, None, [], 'x', -0.1, 10.5):
        with pytest.raises(ConfigError, match=r'x must be a finite number in \[0, 10\], got '):
            bounded_number(value, 'x', 0, 10)
    for value in ('3.0', 3.0, 3.5, '1_000', 10**40, '9' * 5000, False, 0, 6):
        with pytest.raises(ConfigError, match=r'n must be a whole number in \[1, 5\], got '):
            bounded_number(value, 'n', 1, 5, whole=True)
    with pytest.raises(ConfigError, match=r"t must be a finite number in \(0, 1\], got '0'"):
        bounded_number('0', 't', 0, 1, above_minimum=True)
