"""``install_pipeline_home`` by its effect on Mage's own look-ups, with unit_1_data_preparation
active (a default start): a pipeline of unit_4 or unit_2 is found in its own sub-project, with
its own variables folder (where its block outputs are); Mage alone (the control) looks for it in
unit_1 and fails, or reads outputs from a folder nobody wrote."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok

# argv: patched|unpatched. Prints one JSON line: what each look-up found.
LOOK_UPS = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path

    from mlops.utils.orchestration.platform_state import use_one_database
    from mlops.utils.orchestration.workarounds import pipeline_home

    use_one_database()
    if sys.argv[1] == 'patched':
        pipeline_home.install_pipeline_home()
    from mage_ai.settings.repo import get_repo_path, set_repo_path

    set_repo_path(str(Path('mlops').resolve()))
    from mage_ai.data_preparation.models.pipeline import Pipeline

    def found(look_up):
        try:
            return Path(look_up().repo_path).name
        except Exception as error:
            return f'error: {error}'

    active = get_repo_path()
    print(json.dumps({
        'active': Path(active).name,
        'get': found(lambda: Pipeline.get('predict')),
        'variables_dir': Path(Pipeline.get('predict').variables_dir).name,
        'get_async': found(lambda: asyncio.run(Pipeline.get_async('sklearn_training', repo_path=active))),
        'exists': Pipeline.exists('monitoring'),
        'own': found(lambda: Pipeline.get('data_preparation')),
        'all_projects': found(lambda: Pipeline.get('predict', all_projects=True)),
    }))
""")


def look_ups(tmp_path, how: str) -> dict:
    state = tmp_path / how
    (state / 'mage' / 'mlops').mkdir(parents=True)
    (state / 'mage' / 'mlops' / '.settings.yaml').write_text(
        'projects:\n  unit_1_data_preparation:\n    active: true\n'
    )
    env = {**os.environ, 'PYTHONPATH': str(REPO_ROOT), 'MAGE_DATA_DIR': str(state / 'mage')}
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    result = run_ok([sys.executable, '-c', LOOK_UPS, how], cwd=REPO_ROOT, env=env, timeout=300)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_pipeline_is_found_in_its_own_sub_project_and_mage_alone_does_not(tmp_path):
    patched, unpatched = look_ups(tmp_path, 'patched'), look_ups(tmp_path, 'unpatched')
    assert patched == {
        'active': 'unit_1_data_preparation',
        'get': 'unit_4_triggering',
        'variables_dir': 'unit_4_triggering',
        'get_async': 'unit_2_training',
        'exists': True,
        'own': 'unit_1_data_preparation',
        'all_projects': 'unit_4_triggering',
    }
    # the control: Mage resolves against the active sub-project
    assert unpatched['get'] == 'unit_1_data_preparation'
    assert unpatched['variables_dir'] == 'unit_1_data_preparation'
    assert unpatched['get_async'] == 'error: Pipeline sklearn_training does not exist.'
    assert unpatched['exists'] is False
