import json

import pytest

from mlops.utils.triggering.sessions import keep_token, kept_token


@pytest.fixture
def sessions(tmp_path, monkeypatch):
    path = tmp_path / 'cache' / 'sessions.json'
    monkeypatch.setenv('MLOPS_SESSION_FILE', str(path))
    return path


def test_a_kept_token_is_read_back_per_server_and_account_from_a_file_only_its_owner_reads(sessions):
    assert kept_token('http://127.0.0.1:6789', 'a@example.com') is None
    keep_token('http://127.0.0.1:6789', 'a@example.com', 'one')
    keep_token('http://127.0.0.1:6790', 'a@example.com', 'two')
    assert kept_token('http://127.0.0.1:6789', 'a@example.com') == 'one'
    assert kept_token('http://127.0.0.1:6790', 'a@example.com') == 'two'
    assert kept_token('http://127.0.0.1:6789', 'b@example.com') is None
    assert sessions.stat().st_mode & 0o777 == 0o600 and sessions.parent.stat().st_mode & 0o777 == 0o700
    keep_token('http://127.0.0.1:6789', 'a@example.com', None)
    assert kept_token('http://127.0.0.1:6789', 'a@example.com') is None
    assert kept_token('http://127.0.0.1:6790', 'a@example.com') == 'two'


@pytest.mark.parametrize(
    'text, mode', [('{"a@example.com @ http://x": "t"}', 0o644), ('not json', 0o600), ('[1]', 0o600)]
)
def test_a_file_others_can_read_or_that_is_not_a_json_object_is_not_trusted(sessions, text, mode):
    sessions.parent.mkdir()
    sessions.write_text(text)
    sessions.chmod(mode)
    assert kept_token('http://x', 'a@example.com') is None
    keep_token('http://x', 'a@example.com', 'new')  # rewritten whole, 0600
    assert json.loads(sessions.read_text()) == {'a@example.com @ http://x': 'new'}
    assert sessions.stat().st_mode & 0o777 == 0o600
