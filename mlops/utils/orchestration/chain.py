"""The pipelines the main job runs, in order, and the variables each one declares."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import yaml

from mlops.utils.orchestration.headless import project_path


@dataclass(frozen=True)
class Step:
    project: str
    pipeline: str

    def declared_variables(self) -> Dict[str, object]:
        metadata = project_path(self.project) / 'pipelines' / self.pipeline / 'metadata.yaml'
        return yaml.safe_load(metadata.read_text()).get('variables') or {}


CHAIN: List[Step] = [
    Step('unit_1_data_preparation', 'data_preparation'),
]
