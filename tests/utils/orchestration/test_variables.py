import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.variables import check_known, parse_assignments, parse_vars


def test_json_object():
    assert parse_vars('{"start_month": "2024-01"}') == {'start_month': '2024-01'}


@pytest.mark.parametrize('text, message', [('{bad', 'not valid JSON'), ('[1]', 'must be a JSON object')])
def test_bad_json_is_an_error(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_vars(text)


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
    import subprocess
    import sys

    from mlops.utils.paths import REPO_ROOT

    result = subprocess.run(
        [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', 'nope'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert 'unknown pipeline(s) nope; known: ' in result.stderr and 'xgboost_training' in result.stderr
