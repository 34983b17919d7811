"""The deploying principal's least-privilege IAM policy, kept once in
``terraform/aws/deployer-policy.json`` with ``${PROJECT}``, ``${REGION}``, ``${STATE_BUCKET}``
and ``${STATE_KEY}`` placeholders (names are scoped to ``<project>-*`` wherever the service
allows it, generated ids to the region).

IAM caps a managed policy at 6,144 characters (whitespace not counted), so the statements are
packed, in order, into as few managed policies as fit.
"""

from __future__ import annotations

import json
import string
from typing import Any, Dict, List

from mlops.utils.deploying.settings import TERRAFORM_DIR, DeploySettings

POLICY_FILE = TERRAFORM_DIR / 'deployer-policy.json'
MANAGED_POLICY_MAX_CHARS = 6144
VERSION = '2012-10-17'


def render_policy(settings: DeploySettings) -> Dict[str, Any]:
    """The policy for this project, region and state location (every placeholder filled)."""
    text = string.Template(POLICY_FILE.read_text()).substitute(
        PROJECT=settings.project_name,
        REGION=settings.aws_region,
        STATE_BUCKET=settings.state_bucket,
        STATE_KEY=settings.state_key,
    )
    return json.loads(text)


def _listed(value: Any) -> List[str]:
    return [value] if isinstance(value, str) else list(value or [])


def policy_problems(policy: Dict[str, Any]) -> List[str]:
    """What makes the document invalid or broader than least privilege; empty when fine."""
    problems = [] if policy.get('Version') == VERSION else [f'Version must be {VERSION}']
    sids = [statement.get('Sid') for statement in policy.get('Statement', [])]
    if len(set(sids)) != len(sids) or None in sids:
        problems.append('every statement needs its own Sid')
    for statement in policy.get('Statement', []):
        sid, actions = statement.get('Sid'), _listed(statement.get('Action'))
        if statement.get('Effect') != 'Allow' or not actions or not _listed(statement.get('Resource')):
            problems.append(f'{sid}: needs Effect Allow, Action and Resource')
        for action in actions:
            service, _, name = action.partition(':')
            if action == '*' or name == '*' or not service:
                problems.append(f'{sid}: {action!r} grants a whole service')
            elif '*' in name and not name.startswith(('Describe', 'List', 'Get')):
                problems.append(f'{sid}: wildcard {action!r} is not read-only')
        if 'iam:PassRole' in actions and 'iam:PassedToService' not in json.dumps(statement.get('Condition')):
            problems.append(f'{sid}: iam:PassRole without an iam:PassedToService condition')
    return problems


def _size(document: Dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(',', ':')))


def managed_policies(policy: Dict[str, Any], limit: int = MANAGED_POLICY_MAX_CHARS) -> List[Dict[str, Any]]:
    """The statements packed, in order, into documents of at most ``limit`` characters each."""
    documents: List[Dict[str, Any]] = []
    for statement in policy['Statement']:
        if documents and _size({**documents[-1], 'Statement': documents[-1]['Statement'] + [statement]}) <= limit:
            documents[-1]['Statement'].append(statement)
        else:
            documents.append({'Version': policy['Version'], 'Statement': [statement]})
    too_big = [d['Statement'][0].get('Sid') for d in documents if _size(d) > limit]
    if too_big:
        raise ValueError(f'statement(s) {", ".join(map(str, too_big))} alone exceed {limit} characters')
    return documents
