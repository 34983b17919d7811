"""The server's owner set-up waits for the database's migrations, not a fixed 5 s: on a database
at the migrations' head the wait ends at once; on one not migrated yet (no revision, an older
one) it lasts Mage's seconds; a database that cannot be read waits them too. And Mage's server
still sleeps there, once (when that changes, the workaround may go)."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from mlops.utils.orchestration.workarounds.migrated_before_owner import head_revisions, wait_until_migrated
from testkit.mage_database import template


def timed(seconds: float, url: str):
    started = time.monotonic()
    done = wait_until_migrated(seconds, url)
    return done, time.monotonic() - started


def test_a_database_at_the_head_revision_ends_the_wait_at_once(tmp_path):
    database = tmp_path / 'mage-ai.db'
    shutil.copyfile(template(), database)
    with sqlite3.connect(database) as db:
        (revision,) = db.execute('SELECT version_num FROM alembic_version').fetchone()
    assert revision in head_revisions()  # read here with sqlite3, not with the code under test
    done, seconds = timed(5, f'sqlite:///{database}')
    assert done and seconds < 2


@pytest.mark.parametrize('revision', [None, 'c07a23ff782b'])  # no migration yet; the first one only
def test_a_database_not_migrated_yet_waits_the_whole_time(tmp_path, revision):
    database = tmp_path / 'mage-ai.db'
    with sqlite3.connect(database) as db:
        db.execute('CREATE TABLE other (id INTEGER)')
        if revision:
            db.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)')
            db.execute('INSERT INTO alembic_version VALUES (?)', (revision,))
    done, seconds = timed(0.6, f'sqlite:///{database}')
    assert not done and 0.6 <= seconds < 3


def test_a_database_that_cannot_be_read_waits_as_mage_does(tmp_path):
    done, seconds = timed(0.6, f'sqlite:///{tmp_path / "no-such-folder" / "mage-ai.db"}')
    assert not done and 0.6 <= seconds < 3


def test_mages_server_still_sleeps_once_before_setting_up_its_owner():
    (mage,) = importlib.util.find_spec('mage_ai').submodule_search_locations
    tree = ast.parse((Path(mage) / 'server' / 'server.py').read_text())
    callers = [
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == 'sleep'
    ]
    assert callers == ['initialize_user_authentication']
