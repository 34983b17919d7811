"""The Mage API client's parsing and the printed curl command (the server tests use both live)."""

import json
import shlex

import pytest

from mlops.utils.triggering.api_command import curl_command
from mlops.utils.triggering.mage_api import ApiTrigger, MageApiError, MageClient, _log_entry, output_value


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


def test_the_curl_posts_the_variables_to_the_trigger_url():
    trigger = ApiTrigger(7, 'abc123', 'predict', 'predict_api')
    command = curl_command('http://127.0.0.1:6789', trigger, {'inputs': [{'PULocationID': 1}]})
    words = shlex.split(command)
    assert words[:4] == ['curl', '-sS', '-X', 'POST']
    assert words[4] == 'http://127.0.0.1:6789/api/pipeline_schedules/7/pipeline_runs/abc123'
    assert json.loads(words[words.index('-d') + 1]) == {
        'pipeline_run': {'variables': {'inputs': [{'PULocationID': 1}]}}
    }


def test_an_unreachable_server_is_named():
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        url = f'http://127.0.0.1:{sock.getsockname()[1]}'
    with pytest.raises(MageApiError, match=f'Mage server at {url} unreachable'):
        MageClient(url, timeout=5).sign_in()
