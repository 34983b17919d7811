"""The champion alias's history and rollback, against a real MLflow registry (embedded store in
a temp folder): every promotion and rollback is a ``champion_history.*`` tag with who, when and
why; rollback moves the alias to the previous good champion or a given version, and refuses a
version that cannot serve. Expectations are read back from MLflow's records."""

import getpass
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.errors import ConfigError
from mlops.utils.tracking.history import alias_history
from mlops.utils.tracking.loading import BrokenModelError
from mlops.utils.tracking.rollback import rollback
from mlops.utils.tracking.schema import CHAMPION, CHAMPION_HISTORY_PREFIX
from testkit.commands import run_command
from testkit.servers import REPO_ROOT
from tests.utils.tracking.constant_versions import register

MODEL = 'test-model'  # the tracking_store fixture's registered model name
WHO = 'ops-on-call'


@pytest.fixture
def three_champions(tracking_store, synthetic_data):
    """Versions 1, 2, 3, each better than the one before, so each became champion."""
    best = float(np.mean(synthetic_data.y_val))
    return [register(tracking_store, synthetic_data, best + offset).version for offset in (6, 4, 2)]


def champion() -> str:
    return str(MlflowClient().get_model_version_by_alias(MODEL, CHAMPION).version)


def test_every_promotion_is_in_the_alias_history_with_who_when_and_why(three_champions):
    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    client = MlflowClient()
    moves = alias_history(client, MODEL)
    assert [(m.from_version, m.to_version, m.kind) for m in moves] == [
        (None, three_champions[0], 'promotion'),
        (three_champions[0], three_champions[1], 'promotion'),
        (three_champions[1], three_champions[2], 'promotion'),
    ]
    assert {m.who for m in moves} == {getpass.getuser()}
    assert all(started <= datetime.fromisoformat(m.when) <= datetime.now(timezone.utc) for m in moves)
    tags = client.get_model_version(MODEL, three_champions[2]).tags
    assert moves[0].why == 'no champion yet'
    assert moves[2].why == (
        f"validation_rmse {float(tags['validation_rmse']):.4f} < the champion's "
        f'{float(tags["champion_validation_rmse"]):.4f} on the same validation rows'
    )


def test_rollback_goes_to_the_previous_good_champion_and_records_it(three_champions):
    first, second, third = three_champions
    done = rollback(MlflowClient(), MODEL, None, 'serving errors after the release', WHO)
    assert (done.from_version, done.to_version, champion()) == (third, second, second)
    last = alias_history(MlflowClient(), MODEL)[-1]
    assert (last.from_version, last.to_version, last.kind, last.who, last.when, last.why) == (
        third,
        second,
        'rollback',
        WHO,
        done.when,
        'serving errors after the release',
    )
    assert MlflowClient().get_model_version(MODEL, third).tags['rolled_back'] == (
        f'{done.when} by {WHO}: serving errors after the release'
    )
    again = rollback(MlflowClient(), MODEL, None, 'still wrong', WHO)  # not back to the one rolled away from
    assert (again.from_version, again.to_version, champion()) == (second, first, first)
    with pytest.raises(ConfigError, match=f'{MODEL} has no previous good champion to roll back to'):
        rollback(MlflowClient(), MODEL, None, 'and again', WHO)


def test_after_a_rollback_the_next_promotion_rolls_back_to_the_good_one(
    three_champions, tracking_store, synthetic_data
):
    first, second, third = three_champions
    rollback(MlflowClient(), MODEL, None, 'bad release', WHO)
    newer = register(tracking_store, synthetic_data, float(np.mean(synthetic_data.y_val)))
    assert newer.promoted
    assert rollback(MlflowClient(), MODEL, None, 'bad again', WHO).to_version == second  # not the rolled-back third


def test_rollback_to_a_given_version_and_what_it_refuses(three_champions, tracking_store, synthetic_data):
    first, second, third = three_champions
    client = MlflowClient()
    history = len(alias_history(client, MODEL))
    with pytest.raises(ConfigError, match=f'{MODEL} version {third} is already the champion'):
        rollback(client, MODEL, third, 'why not', WHO)
    with pytest.raises(ConfigError, match=f"{MODEL} has no version '99'"):
        rollback(client, MODEL, '99', 'typo', WHO)
    with pytest.raises(ConfigError, match=r'a rollback needs a reason \(--reason TEXT\)'):
        rollback(client, MODEL, first, '  ', WHO)
    dollars = register(tracking_store, synthetic_data, 1.0, promote='never', target='tip_amount').version
    with pytest.raises(ConfigError, match=f'{MODEL} version {dollars} cannot be the champion: its target tip_amount'):
        rollback(client, MODEL, dollars, 'wrong model', WHO)
    assert champion() == third and len(alias_history(client, MODEL)) == history  # nothing moved
    assert rollback(client, MODEL, first, 'the first was best', WHO).to_version == first == champion()


def test_rollback_refuses_a_version_that_cannot_be_loaded(three_champions):
    first, second, third = three_champions
    client = MlflowClient()
    location = client.get_model_version_download_uri(MODEL, second)
    shutil.rmtree(Path(urlparse(location).path))
    with pytest.raises(BrokenModelError, match=f'{MODEL} version {second} cannot be loaded: nothing is stored at'):
        rollback(client, MODEL, None, 'bad release', WHO)
    assert champion() == third
    assert rollback(client, MODEL, first, 'bad release', WHO).to_version == first


def test_champions_promoted_before_the_history_existed_are_rolled_back_to(three_champions):
    client = MlflowClient()
    for key in [k for k in client.get_registered_model(MODEL).tags if k.startswith(CHAMPION_HISTORY_PREFIX)]:
        client.delete_registered_model_tag(MODEL, key)  # as a registry from before the history
    assert rollback(client, MODEL, None, 'bad release', WHO).to_version == three_champions[1]


def cli(*args: str) -> subprocess.CompletedProcess:
    return run_command(
        [sys.executable, '-m', 'mlops.utils.tracking.rollback', *args],
        cwd=REPO_ROOT,
        env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},  # this test's store and model
        timeout=300,
    )


def test_the_command_rolls_back_and_says_what_it_did_or_why_not(three_champions):
    first, second, third = three_champions
    done = cli('--reason', 'p95 latency doubled')
    assert done.returncode == 0, done.stderr[-2000:]
    last = alias_history(MlflowClient(), MODEL)[-1]
    assert (last.from_version, last.to_version, last.who) == (third, second, getpass.getuser())
    assert done.stdout.strip() == (
        f'{MODEL}: champion moved from version {third} to version {second} by {last.who} at {last.when}: '
        'p95 latency doubled'
    )
    refused = cli(second, '--reason', 'again')
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f'rollback: {MODEL} version {second} is already the champion: nothing to roll back'
    )
    assert champion() == second


def test_run_sh_rollback_is_the_same_command(three_champions):
    """``./scripts/run.sh --rollback [VERSION] --reason TEXT``: the runner runs no pipeline and
    moves the alias as the rollback command does; no reason, no move."""
    first, _, third = three_champions

    def runner(*args: str) -> subprocess.CompletedProcess:
        return run_command(
            [sys.executable, '-m', 'mlops.utils.orchestration', '--rollback', *args],
            cwd=REPO_ROOT,
            env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},
            timeout=300,
        )

    refused = runner(first)
    assert refused.returncode == 1 and 'reason' in refused.stderr, refused.stderr[-2000:]
    assert champion() == third
    done = runner(first, '--reason', 'back to the first')
    assert done.returncode == 0, done.stderr[-2000:]
    assert champion() == first
    last = alias_history(MlflowClient(), MODEL)[-1]
    assert (last.from_version, last.to_version, last.why) == (third, first, 'back to the first')
    assert not [line for line in done.stdout.splitlines() if line.startswith('{')]  # no pipeline ran
