import pytest

from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION, is_default_configuration, pipeline_variables
from mlops.utils.errors import ConfigError


def test_missing_and_empty_variables_take_defaults():
    variables = pipeline_variables({'start_month': '', 'end_month': None, 'data_source': ''})
    assert {k: variables[k] for k in DEFAULT_CONFIGURATION} == DEFAULT_CONFIGURATION
    assert variables['data_source'] is None


def test_default_configuration_detection():
    assert is_default_configuration({})
    assert is_default_configuration({'data_source': '/elsewhere'})  # same data, other place
    assert not is_default_configuration({'end_month': '2024-03'})


def test_both_data_preparation_pipelines_declare_the_codes_defaults():
    import yaml

    from mlops.utils.data_preparation.config import OPTIONAL_VARIABLES
    from mlops.utils.paths import project_dir

    for project, pipeline in (
        ('unit_1_data_preparation', 'data_preparation'),
        ('unit_2_training', 'prepare_training_set'),
    ):
        metadata = project_dir(project) / 'pipelines' / pipeline / 'metadata.yaml'
        declared = yaml.safe_load(metadata.read_text())['variables']
        assert {k: str(v) for k, v in declared.items() if k in DEFAULT_CONFIGURATION} == DEFAULT_CONFIGURATION
        assert set(declared) == set(DEFAULT_CONFIGURATION) | set(OPTIONAL_VARIABLES)


def test_a_data_source_that_is_not_text_is_a_config_error():
    with pytest.raises(ConfigError, match='data_source must be text .*, got int 5'):
        pipeline_variables({'data_source': 5})
    assert pipeline_variables({'data_source': '  /data  '})['data_source'] == '/data'
