"""deploying_to_production's definition: each step a thin block after its markdown guide, the
order of the seed, and plan as the default action."""

import yaml

from mlops.utils.deploying import steps
from mlops.utils.paths import REPO_ROOT, project_dir

PROJECT = project_dir('unit_5_deploying')
PIPELINE = yaml.safe_load((PROJECT / 'pipelines' / 'deploying_to_production' / 'metadata.yaml').read_text())
STEPS = ['setup_email', 'permissions', 'infrastructure_setup', 'deploy', 'ci_cd', 'teardown']


def test_each_step_follows_its_guide():
    uuids = [block['uuid'] for block in PIPELINE['blocks']]
    assert uuids == [name for step in STEPS for name in (f'{step}_guide', step)]
    for block in PIPELINE['blocks']:
        path = REPO_ROOT / 'mlops' / block['configuration']['file_source']['path']
        assert path.is_file() and path.read_text().strip(), path
        kind = 'markdown' if block['uuid'].endswith('_guide') else 'custom'
        assert (block['type'], path.parent.name) == (kind, 'markdowns' if kind == 'markdown' else 'custom')


def test_the_blocks_are_thin_and_call_their_step():
    for step in STEPS:
        source = (PROJECT / 'custom' / f'{step}.py').read_text()
        assert f'from mlops.utils.deploying.steps import {step} as ' in source and hasattr(steps, step)
        assert len(source.splitlines()) < 20


def test_the_aws_chain_runs_in_the_seed_order_and_ci_cd_needs_no_aws():
    blocks = {block['uuid']: block for block in PIPELINE['blocks']}
    chain = ['setup_email', 'permissions', 'infrastructure_setup', 'deploy', 'teardown']
    for upstream, downstream in zip(chain, chain[1:]):
        assert (
            blocks[downstream]['upstream_blocks'] == [upstream] and downstream in blocks[upstream]['downstream_blocks']
        )
    assert (
        blocks['ci_cd']['upstream_blocks'] == ['setup_email'] and 'ci_cd' in blocks['setup_email']['downstream_blocks']
    )
    for uuid, block in blocks.items():
        for down in block['downstream_blocks']:
            assert uuid in blocks[down]['upstream_blocks']


def test_the_variables_default_to_a_plan():
    assert PIPELINE['variables']['action'] == 'plan'
    assert PIPELINE['variables']['mage_image'] == PIPELINE['variables']['mlflow_image'] == ''
    assert PIPELINE['variables']['cd_workflow'] == '.github/workflows/cd.yml'
    # HTTPS and who may connect: blank, i.e. the environment's, else terraform/aws's defaults
    # (which refuse plain HTTP open to the internet until one is set)
    for name in ('certificate_arn', 'allowed_cidr_blocks', 'mlflow_allowed_cidr_blocks', 'allow_public_http'):
        assert PIPELINE['variables'][name] == '', name
