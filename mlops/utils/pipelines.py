"""The names the code uses to find the platform's pipelines, triggers and blocks, spelt once.

Mage knows them by their folders (``mlops/<sub-project>/pipelines/<name>``), ``triggers.yaml``
and each pipeline's ``metadata.yaml``; ``tests/utils/test_pipelines.py`` checks every name
here against those files.
"""

from __future__ import annotations

from typing import NamedTuple


class PipelineName(NamedTuple):
    project: str  # the sub-project's folder under mlops/
    pipeline: str


class ApiTriggerName(NamedTuple):
    pipeline: str
    trigger: str
    block: str  # whose output answers a run


DATA_PREPARATION = PipelineName('unit_1_data_preparation', 'data_preparation')
PREPARE_TRAINING_SET = PipelineName('unit_2_training', 'prepare_training_set')  # unit_2's copy of it
SKLEARN_TRAINING = PipelineName('unit_2_training', 'sklearn_training')
XGBOOST_TRAINING = PipelineName('unit_2_training', 'xgboost_training')
MONITORING = PipelineName('unit_3_observability', 'monitoring')
AUTOMATIC_RETRAINING = PipelineName('unit_4_triggering', 'automatic_retraining')
PREDICT = PipelineName('unit_4_triggering', 'predict')
BATCH_SCORING = PipelineName('unit_4_triggering', 'batch_scoring')

# The global data product the training pipelines read (produced by prepare_training_set).
TRAINING_SET = 'training_set'

# The API triggers
PREDICT_API = ApiTriggerName(PREDICT.pipeline, 'predict_api', 'inference')
RETRAIN_NOW = ApiTriggerName(AUTOMATIC_RETRAINING.pipeline, 'retrain_now', 'retrain')

# The block whose output is a batch-scoring run's summary (the runner's summary line reads it).
BATCH_SCORING_SUMMARY_BLOCK = 'batch_scoring_write'
