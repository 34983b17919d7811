"""The Mage API client's parsing, the printed curl command as bash reads it, and the options that
choose a trigger (the server tests use them live)."""

import json
import os
import shlex

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.triggering.api_command import curl_command, parse_args, target
from mlops.utils.triggering.mage_api import ApiTrigger, MageApiError, MageClient, _log_entry, output_value
from testkit.commands import run_command


def test_outputs_come_back_as_values():
    table = {'type': 'table', 'sample_data': {'columns': ['a', 'b'], 'rows': [[1, '[1, 2]'], [2, 'x']]}}
    assert output_value(table) == [{'a': 1, 'b': [1, 2]}, {'a': 2, 'b': 'x'}]
    assert output_value({'type': 'text', 'text_data': '{"k": [1]}'}) == {'k': [1]}
    assert output_value({'type': 'text', 'text_data': 'plain'}) == 'plain'


def test_log_lines_are_read_or_ignored():
    assert _log_entry('2026-11-27T07:46:12 {"block_uuid": "inference", "error": "boom"}') == {
        'block_uuid': 'inference',
        'error': 'boom',
    }
    assert _log_entry('  File "x.py", line 3') == {} and _log_entry('2026 {broken') == {}


def words_as_bash_reads(command: str, **env: str):
    """The words of the printed command after bash's expansions (``curl`` swapped for ``printf``)."""
    result = run_command(
        ['bash', '-c', command.replace('curl ', 'printf "%s\\n" ', 1)],
        env={'PATH': os.environ['PATH'], **env},
        timeout=60,
    )
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_the_curl_posts_the_variables_to_the_trigger_url_with_the_token_only_when_asked():
    trigger = ApiTrigger(7, 'abc123', 'predict', 'predict_api')
    shown = curl_command('http://127.0.0.1:6789', trigger, {'inputs': [{'PULocationID': 1}]}, show_token=True)
    words = shlex.split(shown)
    assert words[:4] == ['curl', '-sS', '-X', 'POST']
    assert words[4] == 'http://127.0.0.1:6789/api/pipeline_schedules/7/pipeline_runs/abc123'
    assert json.loads(words[words.index('-d') + 1]) == {
        'pipeline_run': {'variables': {'inputs': [{'PULocationID': 1}]}}
    }
    hidden = curl_command('http://127.0.0.1:6789', trigger, {'inputs': [{'PULocationID': 1}]})
    assert 'abc123' not in hidden
    assert '/api/pipeline_schedules/7/pipeline_runs/${MLOPS_API_TOKEN:?' in hidden
    code, words, _ = words_as_bash_reads(hidden, MLOPS_API_TOKEN='abc123')
    assert code == 0 and words == ['-sS', '-X', 'POST', *shlex.split(shown)[4:]]


def test_without_the_token_variable_the_shell_stops_saying_what_to_set():
    trigger = ApiTrigger(7, 'abc123', 'predict', 'predict_api')
    code, words, stderr = words_as_bash_reads(curl_command('http://127.0.0.1:6789', trigger, {}))
    assert code != 0 and words == []
    assert 'MLOPS_API_TOKEN: set MLOPS_API_TOKEN to the token of trigger predict_api' in stderr


def test_the_server_address_is_taken_literally_by_the_shell():
    trigger = ApiTrigger(7, 'abc123', 'predict', 'predict_api')
    base = 'http://127.0.0.1:6789/$HOME/`id`/"x"\\'
    _, words, _ = words_as_bash_reads(curl_command(base, trigger, {}), MLOPS_API_TOKEN='abc123')
    assert words[3] == trigger.url(base)


@pytest.mark.parametrize(
    'argv, chosen',
    [
        ([], 'predict_api'),
        (['--retrain'], 'retrain_now'),
        (['--rotate-token'], 'predict_api'),
        (['--retrain', '--rotate-token'], 'retrain_now'),
        (['--rotate-token', 'retrain_now', '--show-token'], 'retrain_now'),
        (['--rotate-token', 'predict_api'], 'predict_api'),
    ],
)
def test_the_options_choose_the_trigger(argv, chosen):
    assert target(parse_args(argv))[1] == chosen


def test_an_unknown_trigger_to_rotate_is_named_with_the_known_ones():
    with pytest.raises(
        ConfigError, match='--rotate-token nope: no such API trigger; the API triggers are predict_api, retrain_now'
    ):
        target(parse_args(['--rotate-token', 'nope']))


def test_an_unreachable_server_is_named():
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        url = f'http://127.0.0.1:{sock.getsockname()[1]}'
    with pytest.raises(MageApiError, match=f'Mage server at {url} unreachable'):
        MageClient(url, email='owner@example.com', password='a-password-of-its-own', timeout=5).sign_in()
