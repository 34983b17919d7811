"""A stand-in for the ``terraform`` binary (none here, and no AWS): it records each command
line as a JSON line in $FAKE_TERRAFORM_LOG and answers like terraform would, so the steps'
command sequences can be checked through the real runner, inside Mage too.

    plan   -> writes the -out file, exits 2 (changes) or 0 with FAKE_TERRAFORM_NO_CHANGES=1
    show   -> a plan with one resource to create
    output -> every output the steps read
    FAKE_TERRAFORM_FAIL=<subcommand> -> that subcommand fails with a message on stderr
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Dict, List

# Every variable that could give a test AWS settings from the developer's environment.
AWS_VARIABLES = (
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'TF_STATE_BUCKET',
    'TF_STATE_KEY',
    'MAGE_IMAGE',
    'MLFLOW_IMAGE',
    # the certificate and client networks (mlops/utils/deploying/access.py)
    'CERTIFICATE_ARN',
    'ALLOWED_CIDR_BLOCKS',
    'MLFLOW_ALLOWED_CIDR_BLOCKS',
    'ALLOW_PUBLIC_HTTP',
)
OUTPUTS = {
    'mage_url': 'https://mage.example.com',
    'mlflow_url': 'https://mage.example.com:5000',
    'ecr_mage_repository_url': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-mage',
    'ecr_mlflow_repository_url': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-mlflow',
    'ecs_cluster_name': 'mlops',
}


def path_without_terraform() -> str:
    """PATH minus any folder holding a terraform binary (a developer's machine may have one)."""
    folders = os.environ.get('PATH', '').split(os.pathsep)
    return os.pathsep.join(f for f in folders if not shutil.which('terraform', path=f))


def install(bin_dir: Path, log: Path) -> Dict[str, str]:
    """Write an executable ``terraform`` into bin_dir; the environment that puts it first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / 'terraform'
    script.write_text(f'#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {'PATH': f'{bin_dir}{os.pathsep}{os.environ.get("PATH", "")}', 'FAKE_TERRAFORM_LOG': str(log)}


def calls(log: Path) -> List[List[str]]:
    """Every recorded command line (arguments after ``terraform``), in order."""
    return [json.loads(line)['argv'] for line in log.read_text().splitlines()] if log.exists() else []


def subcommand(argv: List[str]) -> str:
    return next(part for part in argv if not part.startswith('-'))


def main(argv: List[str]) -> int:
    with open(os.environ['FAKE_TERRAFORM_LOG'], 'a') as log:
        log.write(
            json.dumps(
                {
                    'argv': argv,
                    'tf_data_dir': os.environ.get('TF_DATA_DIR'),
                    'tf_in_automation': os.environ.get('TF_IN_AUTOMATION'),
                }
            )
            + '\n'
        )
    command = subcommand(argv)
    if os.environ.get('FAKE_TERRAFORM_FAIL') == command:
        print('Error: fake failure of ' + command, file=sys.stderr)
        return 1
    if command == 'plan':
        out = next(part.split('=', 1)[1] for part in argv if part.startswith('-out='))
        Path(out).write_text('fake plan\n')
        print('Plan: 1 to add, 0 to change, 0 to destroy.')
        return 0 if os.environ.get('FAKE_TERRAFORM_NO_CHANGES') else 2
    if command == 'show':
        print(
            json.dumps({'resource_changes': [{'address': 'aws_ecs_cluster.this', 'change': {'actions': ['create']}}]})
        )
    elif command == 'output':
        print(
            json.dumps(
                {name: {'value': value, 'type': 'string', 'sensitive': False} for name, value in OUTPUTS.items()}
            )
        )
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
