"""Every name in mlops/utils/pipelines.py is one Mage knows: a pipeline folder of its
sub-project, an API trigger of that pipeline's triggers.yaml, a block of its metadata.yaml, the
global data product its producer declares."""

from __future__ import annotations

import yaml

from mlops.utils import pipelines
from mlops.utils.paths import project_dir

NAMES = [value for value in vars(pipelines).values() if isinstance(value, pipelines.PipelineName)]
TRIGGERS = [value for value in vars(pipelines).values() if isinstance(value, pipelines.ApiTriggerName)]


def folder(name: pipelines.PipelineName):
    return project_dir(name.project) / 'pipelines' / name.pipeline


def test_every_pipeline_name_is_a_pipeline_of_its_sub_project():
    assert len(NAMES) == 8
    for name in NAMES:
        metadata = yaml.safe_load((folder(name) / 'metadata.yaml').read_text())
        assert metadata['uuid'] == name.pipeline, name


def test_every_api_trigger_is_declared_with_its_block():
    assert TRIGGERS
    for trigger in TRIGGERS:
        [owner] = [name for name in NAMES if name.pipeline == trigger.pipeline]
        declared = yaml.safe_load((folder(owner) / 'triggers.yaml').read_text())['triggers']
        assert [t['schedule_type'] for t in declared if t['name'] == trigger.trigger] == ['api'], trigger
        blocks = yaml.safe_load((folder(owner) / 'metadata.yaml').read_text())['blocks']
        assert trigger.block in {b['uuid'] for b in blocks}, trigger


def test_the_training_set_is_the_product_of_prepare_training_set():
    owner = pipelines.PREPARE_TRAINING_SET
    products = yaml.safe_load((project_dir(owner.project) / 'global_data_products.yaml').read_text())
    product = products[pipelines.TRAINING_SET]
    assert (product['object_uuid'], product['project']) == (owner.pipeline, owner.project)
