"""docs/past-one-machine.md names real things: Mage's executor types at the pinned version,
the project's functions and blocks it points at, and the packages it says are (not) installed."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from testkit.chain import REPO_ROOT


def section() -> str:
    return (REPO_ROOT / 'docs' / 'past-one-machine.md').read_text()


def test_the_executor_types_named_are_mage_s_own():
    from mage_ai.data_preparation.models.constants import ExecutorType

    named = set(re.findall(r'`(local_python|k8s|ecs|gcp_cloud_run|azure_container_instance|pyspark)`', section()))
    assert named == {e.value for e in ExecutorType} - {'local_python_force'}
    # ...and "local_python here" is what every pipeline and block says.
    for metadata in (REPO_ROOT / 'mlops').glob('unit_*/pipelines/*/metadata.yaml'):
        config = yaml.safe_load(metadata.read_text())
        types = {config.get('executor_type')} | {b.get('executor_type') for b in config.get('blocks', [])}
        assert types <= {None, 'local_python'}, metadata


@pytest.mark.parametrize(
    'module, names',
    [
        ('mlops.utils.data_preparation.ingest', ['read_month']),
        ('mlops.utils.data_preparation.cleaning', ['clean']),
        ('mlops.utils.model_code.features', ['trip_features']),
        ('mlops.utils.data_preparation.encoders', ['fit_vectorizer', 'vectorizer_from_distinct']),
        ('mlops.utils.data_preparation.steps', ['prepared_rows']),
        ('mlops.utils.compute.cluster', ['dask_client']),
        ('mlops.utils.compute.partitions', ['Rows', 'PartitionedMatrix', 'PartitionedTarget', 'transform']),
        ('mlops.utils.model_code.estimators', ['BoosterRegressor']),
        ('mlops.utils.orchestration.workarounds.fork_safety', ['install_fork_safety']),
    ],
)
def test_the_code_it_points_at_exists(module, names):
    loaded = importlib.import_module(module)
    for name in names:
        assert name in section() and hasattr(loaded, name), name


def test_the_blocks_it_names_exist():
    for block in (
        'custom/load_models.py',
        'transformers/hyperparameter_tuning/xgboost.py',
        'transformers/hyperparameter_tuning/sklearn.py',
    ):
        assert (REPO_ROOT / 'mlops' / 'unit_2_training' / block).exists(), block
    assert 'xgboost.train(' in (REPO_ROOT / 'mlops/utils/models/families.py').read_text()


def test_what_it_says_is_installed_and_what_is_not():
    assert importlib.util.find_spec('dask.dataframe') is not None  # "comes with mage-ai"
    assert importlib.util.find_spec('distributed') is not None  # "the image has distributed"
    import hyperopt

    assert hasattr(hyperopt, 'SparkTrials') and importlib.util.find_spec('xgboost.dask') is not None
    spark = importlib.util.find_spec('xgboost.spark')  # importable only beside pyspark, as the section says
    assert 'class SparkXGBRegressor' in (Path(spark.origin).parent / 'estimator.py').read_text()
