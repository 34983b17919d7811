import pytest

from mlops.utils.deploying.workflows import workflow_requirements
from mlops.utils.errors import ConfigError
from mlops.utils.paths import REPO_ROOT

WORKFLOW = """\
name: cd
on:
  push:
    branches: [main]
# a comment naming ${{ secrets.NOT_USED }} is not a use
permissions:
  id-token: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{ secrets.AWS_ROLE_ARN }}
          aws-region: ${{ vars.AWS_REGION }}
      - run: echo "${{ secrets['DOCKER_PASSWORD'] }}" | docker login -u ${{ vars.DOCKER_USER }} --password-stdin
  deploy:
    needs: build
    environment:
      name: production
      url: ${{ steps.apply.outputs.mage_url }}
    runs-on: ubuntu-latest
    env:
      TF_STATE_BUCKET: ${{ vars.TF_STATE_BUCKET }}
      GH: ${{ secrets.GITHUB_TOKEN }}
    steps:
      - run: terraform apply -var aws_region=${{ vars.AWS_REGION }} -var x=${{ secrets.AWS_ROLE_ARN && 'a' || 'b' }}
  notify:
    environment: staging
    runs-on: ubuntu-latest
    steps:
      - run: echo done
"""


def test_the_secrets_and_variables_a_workflow_uses_are_listed(tmp_path):
    path = tmp_path / 'cd.yml'
    path.write_text(WORKFLOW)
    assert workflow_requirements(path) == {
        'workflow': str(path),
        'secrets': ['AWS_ROLE_ARN', 'DOCKER_PASSWORD'],
        'variables': ['AWS_REGION', 'DOCKER_USER', 'TF_STATE_BUCKET'],
        'provided_by_github': ['GITHUB_TOKEN'],
        'environments': ['production', 'staging'],
    }


def test_a_missing_workflow_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match='cd.yml does not exist; the CD workflow'):
        workflow_requirements(tmp_path / 'cd.yml')


@pytest.mark.parametrize('text, message', [('jobs: [unclosed', 'is not valid YAML'), ('- a list', 'is not a workflow')])
def test_a_broken_workflow_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / 'cd.yml'
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        workflow_requirements(path)


def test_the_cd_workflow_asks_for_the_certificate_and_networks():
    """What ci_cd lists for this repository's cd.yml: the settings kept on every push (issue #30)."""
    requirements = workflow_requirements(REPO_ROOT / '.github' / 'workflows' / 'cd.yml')
    assert requirements['secrets'] == ['AWS_ROLE_ARN']
    assert requirements['variables'] == [
        'ALLOWED_CIDR_BLOCKS',
        'ALLOW_PUBLIC_HTTP',
        'AWS_REGION',
        'CERTIFICATE_ARN',
        'MLFLOW_ALLOWED_CIDR_BLOCKS',
        'PROJECT_NAME',
        'TF_STATE_BUCKET',
    ]
