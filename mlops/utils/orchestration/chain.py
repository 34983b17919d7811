"""The pipelines the main job runs, in order (``CHAIN``), the ones it runs only when
``--pipelines`` names them (``OPTIONAL_STEPS``), and the variables each one declares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import yaml

from mlops.utils import pipelines
from mlops.utils.paths import project_dir


@dataclass(frozen=True)
class Step:
    project: str
    pipeline: str
    data_product: Optional[str] = None  # the run refreshes this global data product

    @property
    def label(self) -> str:
        return f'{self.project}/{self.pipeline}'

    def declared_variables(self) -> Dict[str, object]:
        metadata = project_dir(self.project) / 'pipelines' / self.pipeline / 'metadata.yaml'
        return yaml.safe_load(metadata.read_text()).get('variables') or {}


CHAIN: List[Step] = [
    Step(*pipelines.DATA_PREPARATION),
    # The training set both training pipelines consume, made with this job's variables.
    Step(*pipelines.PREPARE_TRAINING_SET, data_product=pipelines.TRAINING_SET),
    Step(*pipelines.SKLEARN_TRAINING),
    Step(*pipelines.XGBOOST_TRAINING),
]

# Run only when --pipelines names them (``./scripts/run.sh --pipelines batch_scoring``), after
# the main job's steps when both are named.
OPTIONAL_STEPS: List[Step] = [
    Step(*pipelines.BATCH_SCORING),
]
STEPS: List[Step] = CHAIN + OPTIONAL_STEPS  # what --pipelines chooses from, in this order
