"""batch_scoring's definition, without Mage: three thin blocks in order, variables the code
reads with defaults it accepts, the daily trigger that scores each new month once, and a
runner step that the main job leaves out and --pipelines selects."""

import pytest
import yaml

from mlops.utils import pipelines
from mlops.utils.batch_scoring import variables as batch_variables_module
from mlops.utils.batch_scoring.variables import batch_variables
from mlops.utils.errors import ConfigError
from mlops.utils.orchestration import __main__ as cli
from mlops.utils.orchestration.chain import CHAIN, OPTIONAL_STEPS
from mlops.utils.orchestration.summaries import SUMMARIES
from mlops.utils.paths import REPO_ROOT, project_dir

FOLDER = project_dir(pipelines.BATCH_SCORING.project) / 'pipelines' / pipelines.BATCH_SCORING.pipeline
PIPELINE = yaml.safe_load((FOLDER / 'metadata.yaml').read_text())
BLOCKS = [
    ('batch_scoring_plan', 'data_loader', 'data_loaders'),
    ('batch_scoring_predict', 'transformer', 'transformers'),
    ('batch_scoring_write', 'data_exporter', 'data_exporters'),
]


def test_three_thin_blocks_in_order_the_last_one_summing_up():
    assert [(b['uuid'], b['type']) for b in PIPELINE['blocks']] == [(uuid, kind) for uuid, kind, _ in BLOCKS]
    for (uuid, _, folder), block in zip(BLOCKS, PIPELINE['blocks']):
        path = REPO_ROOT / 'mlops' / block['configuration']['file_source']['path']
        assert path == project_dir('unit_4_triggering') / folder / f'{uuid}.py'
        source = path.read_text()
        assert 'from mlops.utils.batch_scoring.steps import' in source and len(source.splitlines()) < 30, path
    for upstream, downstream in zip(PIPELINE['blocks'], PIPELINE['blocks'][1:]):
        assert upstream['downstream_blocks'] == [downstream['uuid']]
        assert downstream['upstream_blocks'] == [upstream['uuid']]
    assert PIPELINE['blocks'][-1]['uuid'] == pipelines.BATCH_SCORING_SUMMARY_BLOCK


def test_the_declared_variables_are_the_ones_read_and_their_defaults_are_accepted(monkeypatch, tmp_path):
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path))
    declared = PIPELINE['variables']
    assert set(declared) == {
        'start_month',
        'end_month',
        'taxi_colour',
        'data_source',
        'model_version',
        'output',
        'score_new_months',
        'compute',
    }
    variables = batch_variables(declared)
    assert variables.output == tmp_path / batch_variables_module.OUTPUT_FOLDER
    assert (variables.start_month, variables.end_month, variables.model_version) == (None, None, None)


def test_the_daily_trigger_scores_each_new_month():
    [trigger] = yaml.safe_load((FOLDER / 'triggers.yaml').read_text())['triggers']
    assert (trigger['name'], trigger['schedule_type'], trigger['schedule_interval']) == (
        'daily_batch_scoring',
        'time',
        '@daily',
    )
    assert trigger['status'] == 'active' and trigger['settings']['skip_if_previous_running'] is True
    assert trigger['variables'] == {'score_new_months': True}
    assert batch_variables(trigger['variables']).score_new_months is True


def plan(*argv):
    return cli.plan(cli.parse_args(list(argv)))


def test_the_main_job_leaves_it_out_and_pipelines_selects_it():
    assert [step for step, _ in plan()] == CHAIN
    assert pipelines.BATCH_SCORING.pipeline not in {step.pipeline for step in CHAIN}
    assert [step.label for step in OPTIONAL_STEPS] == ['unit_4_triggering/batch_scoring']
    [(step, variables)] = plan(
        '--pipelines', 'batch_scoring', '--set', 'start_month=2024-02', '--set', 'end_month=2024-02', '--source', '/d'
    )
    assert step.label == 'unit_4_triggering/batch_scoring'
    assert variables == {'start_month': '2024-02', 'end_month': '2024-02', 'data_source': '/d'}
    both = plan('--pipelines', 'unit_4_triggering/batch_scoring,data_preparation', '--set', 'start_month=2024-02')
    assert [s.pipeline for s, _ in both] == ['data_preparation', 'batch_scoring']  # the main job's steps first
    with pytest.raises(ConfigError, match='unknown pipeline variable.*max_evaluations'):
        plan('--pipelines', 'batch_scoring', '--set', 'max_evaluations=3')
    assert SUMMARIES[pipelines.BATCH_SCORING.pipeline].__name__ == 'batch_scoring'


def test_the_runners_help_lists_it_as_run_only_when_named(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(['--help'])
    assert 'only when named: unit_4_triggering/batch_scoring' in ' '.join(capsys.readouterr().out.split())
