"""The tests' database templates (testkit/templates.py): a fresh state folder gets a copy that
behaves as the library's own new file, and a file already there is never replaced."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient

from mlops.utils.tracking.mlflow_setup import embedded_database
from testkit.mlflow_database import seeded_store
from testkit.templates import Template


def test_a_copy_lands_only_where_no_file_is(tmp_path, monkeypatch):
    monkeypatch.delenv('TEST_TEMPLATE', raising=False)
    built = []

    def build(folder: Path) -> Path:
        built.append(folder)
        (folder / 'db').write_text('template')
        return folder / 'db'

    template = Template('TEST_TEMPLATE', build)
    template.copy_to(tmp_path / 'new' / 'db')
    (tmp_path / 'kept').mkdir()
    (tmp_path / 'kept' / 'db').write_text('a state kept on purpose')
    template.copy_to(tmp_path / 'kept' / 'db')
    assert (tmp_path / 'new' / 'db').read_text() == 'template'
    assert (tmp_path / 'kept' / 'db').read_text() == 'a state kept on purpose'
    assert len(built) == 1  # built once, then read from its variable
    assert not list(tmp_path.rglob('*.partial'))


def test_a_seeded_store_opens_as_a_new_one_with_its_default_experiment_in_its_own_place(tmp_path):
    fresh, seeded = tmp_path / 'fresh', seeded_store(tmp_path / 'seeded')
    for root in (fresh, seeded):
        embedded_database(root).parent.mkdir(parents=True, exist_ok=True)
    clients = {
        name: MlflowClient(f'sqlite:///{embedded_database(root)}')
        for name, root in (('fresh', fresh), ('seeded', seeded))
    }
    experiments = {name: client.search_experiments() for name, client in clients.items()}
    assert (
        [(e.experiment_id, e.name) for e in experiments['seeded']]
        == [(e.experiment_id, e.name) for e in experiments['fresh']]
        == [('0', 'Default')]
    )
    assert clients['seeded'].create_experiment('x') == clients['fresh'].create_experiment('x')
