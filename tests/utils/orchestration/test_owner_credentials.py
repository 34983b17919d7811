"""Where the Mage owner's password comes from: the environment, else the state's file (made
once, 0600, with a random password), never a published one; clients read the same places."""

from __future__ import annotations

import stat

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration import owner_credentials as owner


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path / 'mage'))
    monkeypatch.setattr(owner, 'COMPOSE_SETTINGS', tmp_path / 'repo' / '.env')
    return tmp_path / 'mage' / 'mlops' / 'owner-credentials'


def test_a_first_start_makes_a_password_of_its_own_readable_only_by_its_owner(state):
    credentials, created = owner.server_credentials({})
    assert created and credentials.email == 'admin@admin.com' and credentials.where == str(state)
    assert len(credentials.password) >= 20 and credentials.password not in owner.WELL_KNOWN_PASSWORDS
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    again, created_again = owner.server_credentials({})
    assert again == credentials and not created_again  # the same password at every start
    assert owner.client_credentials({}) == credentials  # predict_api.sh, the notebook, the tests
    assert credentials.password in owner.announce(credentials, True)
    assert credentials.password not in owner.announce(again, False) and str(state) in owner.announce(again, False)


def test_a_second_install_gets_another_password(state, tmp_path, monkeypatch):
    first, _ = owner.server_credentials({})
    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path / 'other'))
    second, _ = owner.server_credentials({})
    assert first.password != second.password


def test_the_environment_wins_and_is_never_written(state):
    env = {'DEFAULT_OWNER_EMAIL': 'me@example.com', 'DEFAULT_OWNER_PASSWORD': 'a-long-enough-secret'}
    credentials, created = owner.server_credentials(env)
    assert credentials[:2] == ('me@example.com', 'a-long-enough-secret') and not created
    assert not state.exists()
    assert owner.client_credentials(env)[:2] == credentials[:2]


@pytest.mark.parametrize('password, message', [('admin', 'published default'), ('short', 'has 5 characters')])
def test_a_published_or_short_password_is_refused_naming_where(state, password, message):
    with pytest.raises(ConfigError, match=f'DEFAULT_OWNER_PASSWORD from the environment .*{message}'):
        owner.server_credentials({'DEFAULT_OWNER_PASSWORD': password})
    state.parent.mkdir(parents=True)
    state.write_text(f'DEFAULT_OWNER_PASSWORD={password}\n')
    with pytest.raises(ConfigError, match=f'from {state} .*{message}'):
        owner.server_credentials({})


def test_clients_fall_back_to_the_docker_stacks_env_file_and_else_say_where_they_looked(state, tmp_path):
    with pytest.raises(ConfigError, match='no Mage owner password: set DEFAULT_OWNER_PASSWORD'):
        owner.client_credentials({})
    (tmp_path / 'repo').mkdir()
    (tmp_path / 'repo' / '.env').write_text(
        '# stack\nDEFAULT_OWNER_EMAIL=a@b.c\nDEFAULT_OWNER_PASSWORD=from-the-env-file\n'
    )
    assert owner.client_credentials({})[:2] == ('a@b.c', 'from-the-env-file')
