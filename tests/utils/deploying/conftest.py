"""An environment with no AWS settings at all, and fixtures that add what a test needs."""

from __future__ import annotations

import pytest

from tests.utils.deploying.fake_terraform import AWS_VARIABLES, path_without_terraform


@pytest.fixture(autouse=True)
def no_aws(monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', path_without_terraform())
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AWS_SHARED_CREDENTIALS_FILE', str(tmp_path / 'no-credentials'))
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path / 'data'))


@pytest.fixture
def aws_ready(monkeypatch, tmp_path):
    """Credentials, region and state bucket set, and the fake terraform first on PATH; its log."""
    from tests.utils.deploying import fake_terraform

    log = tmp_path / 'terraform-calls.jsonl'
    for name, value in fake_terraform.install(tmp_path / 'bin', log).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEEXAMPLE00')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'not-a-real-secret')
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    monkeypatch.setenv('TF_STATE_BUCKET', 'mlops-state-example')
    return log
