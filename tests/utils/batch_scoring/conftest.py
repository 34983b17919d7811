"""A registry for batch scoring: an embedded MLflow store with a constant model (version 1) and
a linear regression (version 2, the champion), both trained on 2023-01 and validated on
2023-02 of a source folder that also holds 2023-03 and 2023-04 (links to the shared data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.registered import embedded_store
from tests.sources import months_folder
from tests.utils.batch_scoring.expected import register_two_versions

MODEL = 'test-model'


@dataclass
class Registry:
    root: Path
    source: Path
    older: str  # the constant model's version
    champion: str  # the linear model's version


@pytest.fixture(scope='module')
def registry(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('batch-scoring')
    source = months_folder(root / 'source', shared_data, ['2023-01', '2023-02', '2023-03', '2023-04'])
    with embedded_store(root / 'data', MODEL) as experiment:
        older, champion = register_two_versions(experiment, source, '2023-01', '2023-02')
        yield Registry(root, source, older, champion)
