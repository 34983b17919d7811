import pytest
import yaml

from mlops.utils.deploying.settings import ACTIONS, DEFAULT_ACTION, DEFAULT_STATE_KEY, deploy_settings, parse_action
from mlops.utils.errors import ConfigError
from mlops.utils.paths import project_dir

PIPELINE = project_dir('unit_5_deploying') / 'pipelines' / 'deploying_to_production' / 'metadata.yaml'


def pipeline_variables():
    return yaml.safe_load(PIPELINE.read_text())['variables']


def test_plan_is_the_default_and_apply_and_destroy_must_be_asked_for():
    assert DEFAULT_ACTION == 'plan' and pipeline_variables()['action'] == 'plan'
    assert parse_action(None) == parse_action('') == parse_action('  ') == 'plan'
    assert deploy_settings({}).action == 'plan' and not deploy_settings({}).changes_aws
    assert parse_action('apply') == 'apply' and parse_action(' DESTROY ') == 'destroy'
    assert deploy_settings({'action': 'destroy'}).changes_aws


@pytest.mark.parametrize('value', ['nuke', 'applied', 'true', 1])
def test_an_unknown_action_is_refused_naming_the_allowed_values(value):
    with pytest.raises(ConfigError) as error:
        parse_action(value)
    assert repr(value) in str(error.value) and all(action in str(error.value) for action in ACTIONS)


def test_settings_read_the_state_location_from_the_environment(monkeypatch):
    monkeypatch.setenv('AWS_DEFAULT_REGION', 'us-east-1')
    monkeypatch.setenv('TF_STATE_BUCKET', ' my-state ')
    settings = deploy_settings({})
    assert (settings.aws_region, settings.state_bucket, settings.state_key) == (
        'us-east-1',
        'my-state',
        DEFAULT_STATE_KEY,
    )
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    monkeypatch.setenv('TF_STATE_KEY', 'other/state')
    assert (deploy_settings({}).aws_region, deploy_settings({}).state_key) == ('eu-west-1', 'other/state')


def test_images_come_from_the_variables_else_the_environment(monkeypatch):
    monkeypatch.setenv('MAGE_IMAGE', 'registry/mage:env')
    monkeypatch.setenv('MLFLOW_IMAGE', 'registry/mlflow:env')
    settings = deploy_settings({'mage_image': 'registry/mage:var', 'mlflow_image': ''})
    assert (settings.mage_image, settings.mlflow_image) == ('registry/mage:var', 'registry/mlflow:env')


def test_terraform_data_stays_out_of_the_repository(tmp_path):
    settings = deploy_settings({})
    assert settings.work_dir == tmp_path / 'data' / 'deploying'  # MLOPS_DATA_DIR (conftest)
    assert settings.terraform_dir.name == 'aws' and (settings.terraform_dir / 'versions.tf').is_file()


def test_the_certificate_and_networks_come_from_the_variables_else_the_environment(monkeypatch):
    monkeypatch.setenv('CERTIFICATE_ARN', 'arn:aws:acm:eu-west-1:123456789012:certificate/env')
    monkeypatch.setenv('ALLOW_PUBLIC_HTTP', 'true')
    settings = deploy_settings({'certificate_arn': 'arn:aws:acm:eu-west-1:123456789012:certificate/var'})
    assert settings.access == {
        'certificate_arn': 'arn:aws:acm:eu-west-1:123456789012:certificate/var',
        'allow_public_http': 'true',
    }
    assert deploy_settings({}).access['certificate_arn'].endswith('/env')


def test_a_malformed_network_stops_the_settings():
    with pytest.raises(ConfigError, match='pipeline variable allowed_cidr_blocks is not a valid JSON list'):
        deploy_settings({'allowed_cidr_blocks': '["10.0.0.0/8"'})
