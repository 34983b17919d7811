import json

import pytest

from mlops.utils.deploying.policy import (
    MANAGED_POLICY_MAX_CHARS,
    POLICY_FILE,
    managed_policies,
    policy_problems,
    render_policy,
)
from mlops.utils.deploying.settings import deploy_settings


@pytest.fixture
def policy(monkeypatch):
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    monkeypatch.setenv('TF_STATE_BUCKET', 'state-bucket')
    monkeypatch.setenv('TF_STATE_KEY', 'team/mlops.tfstate')
    return render_policy(deploy_settings({'project_name': 'demo'}))


def statement(policy, sid):
    return next(s for s in policy['Statement'] if s['Sid'] == sid)


def test_the_policy_is_rendered_for_the_project_region_and_state(policy):
    text = json.dumps(policy)
    assert '${' not in text and '"*"' in text
    assert statement(policy, 'TerraformStateObjects')['Resource'] == [
        'arn:aws:s3:::state-bucket/team/mlops.tfstate',
        'arn:aws:s3:::state-bucket/team/mlops.tfstate.tflock',
    ]
    assert statement(policy, 'ProjectRoles')['Resource'] == 'arn:aws:iam::*:role/demo-*'
    assert statement(policy, 'NetworkInTheRegion')['Condition'] == {
        'StringEquals': {'aws:RequestedRegion': 'eu-west-1'}
    }


def test_the_committed_policy_has_no_problem(policy):
    assert policy_problems(policy) == []


@pytest.mark.parametrize(
    'change, problem',
    [
        ({'Action': ['*']}, "'*' grants a whole service"),
        ({'Action': ['iam:*']}, "'iam:*' grants a whole service"),
        ({'Action': ['ec2:Create*']}, "wildcard 'ec2:Create*' is not read-only"),
        ({'Action': ['iam:PassRole'], 'Condition': None}, 'iam:PassRole without an iam:PassedToService condition'),
        ({'Effect': 'Deny'}, 'needs Effect Allow, Action and Resource'),
        ({'Resource': []}, 'needs Effect Allow, Action and Resource'),
    ],
)
def test_broad_or_broken_statements_are_named(policy, change, problem):
    broken = {**policy, 'Statement': [{**policy['Statement'][0], **change}] + policy['Statement'][1:]}
    assert any(problem in found for found in policy_problems(broken))


def test_version_and_sids_are_required(policy):
    assert 'Version must be 2012-10-17' in policy_problems({**policy, 'Version': '2008-10-17'})
    twice = {**policy, 'Statement': policy['Statement'] + policy['Statement'][:1]}
    assert 'every statement needs its own Sid' in policy_problems(twice)


def test_statements_are_packed_in_order_into_managed_policies_that_fit(policy):
    documents = managed_policies(policy)
    assert len(documents) >= 2  # the whole policy is over IAM's limit
    assert all(len(json.dumps(d, separators=(',', ':'))) <= MANAGED_POLICY_MAX_CHARS for d in documents)
    assert [s for d in documents for s in d['Statement']] == policy['Statement']
    assert all(d['Version'] == '2012-10-17' for d in documents)
    with pytest.raises(ValueError, match='alone exceed 100 characters'):
        managed_policies(policy, limit=100)


def test_the_policy_file_is_kept_once_with_placeholders():
    text = POLICY_FILE.read_text()
    for placeholder in ('${PROJECT}', '${REGION}', '${STATE_BUCKET}', '${STATE_KEY}'):
        assert placeholder in text
