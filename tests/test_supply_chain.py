"""The supply chain: every GitHub Action pinned to a commit (its tag in a comment beside it), and
CI's ``audit`` job, pip-audit over the pinned environments with the reviewed advisories of
``.github/pip-audit-accepted.toml`` as its only ignore list. The job's steps run here as GitHub
runs them: the install with a stand-in ``python`` (no registry needed), the audit with the real
pip-audit of ``.venv-lint`` against a stand-in OSV server on 127.0.0.1 that reports every
accepted advisory (the job passes) and then one more (the job fails, naming it). actionlint
checks the workflows' form in ``tests/containers/test_workflows.py``.

Why it is this long: the audit job runs here as GitHub runs it, which needs a stand-in OSV server
and a stand-in installer beside the checks of the pins.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from testkit.chain import REPO_ROOT
from tests.linters import lint_python, run_linter
from tests.scripts.test_audit_requirements import audit  # scripts/audit_requirements.py, loaded

WORKFLOWS = REPO_ROOT / '.github' / 'workflows'
ACCEPTED = REPO_ROOT / '.github' / 'pip-audit-accepted.toml'
AUDIT_SCRIPT = 'scripts/audit_requirements.py'
# The environments audited: the project's (Mage, pipelines, model server) and the MLflow server's.
AUDITED = ('constraints.txt', 'requirements-mlflow-server.txt')
USES_LINE = re.compile(r'^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>[^\s#]+)\s*(?:#\s*(?P<tag>\S+))?\s*$')
COMMIT = re.compile(r'[0-9a-f]{40}')
TAG = re.compile(r'v(?P<major>\d+)(\.\d+){0,2}')
# Advisory IDs as the advisory databases write them, independently of the script's own pattern.
IDS = re.compile(
    r'PYSEC-20\d\d-\d+|GHSA-[2-9cfghjmpqrvwx]{4}-[2-9cfghjmpqrvwx]{4}-[2-9cfghjmpqrvwx]{4}|CVE-\d{4}-\d{4,}'
)


@dataclass(frozen=True)
class Pin:
    file: str
    line: int
    action: str
    ref: str
    tag: str

    @property
    def major(self) -> str:
        """``action@vN``, as the action's documentation names the version used."""
        return f'{self.action}@v{TAG.fullmatch(self.tag)["major"]}'


def action_pins(path: Path) -> List[Pin]:
    """Each ``uses:`` line of a workflow, in order: the action, its ref and the tag in its comment."""
    pins = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if re.match(r'^\s*(-\s+)?uses:', line):
            match = USES_LINE.match(line)
            assert match, f'{path.name}:{number}: cannot read {line.strip()!r}'
            pins.append(Pin(path.name, number, match['action'], match['ref'], match['tag'] or ''))
    return pins


def unpinned(pins: List[Pin]) -> List[str]:
    """What is wrong with each pin: not a full commit SHA, or no tag comment naming it."""
    problems = []
    for pin in pins:
        where = f'{pin.file}:{pin.line}: {pin.action}@{pin.ref}'
        if not COMMIT.fullmatch(pin.ref):
            problems.append(f'{where} is not pinned to a 40-hex commit')
        elif not TAG.fullmatch(pin.tag):
            problems.append(f'{where} has no tag comment ("# vX.Y.Z"), found {pin.tag!r}')
    return problems


def workflow_files() -> List[Path]:
    files = sorted(WORKFLOWS.glob('*.y*ml'))
    assert {'ci.yml', 'cd.yml'} <= {path.name for path in files}
    return files


def workflow(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data['on'] = data.pop(True, data.get('on'))  # YAML 1.1 reads the key `on` as true
    return data


def uses_of(data: dict) -> List[str]:
    return [step['uses'] for job in data['jobs'].values() for step in job.get('steps', []) if 'uses' in step]


def test_every_action_is_pinned_to_a_commit_with_its_tag_beside_it():
    everywhere: Dict[str, Set[Tuple[str, str]]] = {}
    for path in workflow_files():
        pins = action_pins(path)
        # every `uses` of the parsed workflow is one of these lines (none written another way)
        assert [f'{pin.action}@{pin.ref}' for pin in pins] == uses_of(workflow(path)), path.name
        assert unpinned(pins) == []
        for pin in pins:
            everywhere.setdefault(pin.action, set()).add((pin.ref, pin.tag))
    # one commit (and one tag) per action across the workflows
    assert {action: refs for action, refs in everywhere.items() if len(refs) > 1} == {}


def test_a_tag_or_a_short_sha_is_reported(tmp_path):
    """The check above rejects what it must: a moving tag, a short SHA, a SHA with no tag comment."""
    sample = tmp_path / 'sample.yml'
    sample.write_text(
        'jobs:\n  a:\n    steps:\n'
        '      - uses: actions/checkout@v4\n'
        '      - id: short\n        uses: actions/checkout@11d5960  # v4.4.0\n'
        '      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262\n'
        '      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262  # v4.4.0\n'
    )
    pins = action_pins(sample)
    assert [(pin.line, pin.ref, pin.tag) for pin in pins] == [
        (4, 'v4', ''),
        (6, '11d5960', 'v4.4.0'),
        (7, '11d5960a326750d5838078e36cf38b85af677262', ''),
        (8, '11d5960a326750d5838078e36cf38b85af677262', 'v4.4.0'),
    ]
    assert [problem.split(': ', 1)[0] for problem in unpinned(pins)] == ['sample.yml:4', 'sample.yml:6', 'sample.yml:7']
    assert pins[3].major == 'actions/checkout@v4'


def test_the_audit_job_runs_beside_the_tests_on_every_push():
    ci = workflow(WORKFLOWS / 'ci.yml')
    assert {'push', 'pull_request'} <= set(ci['on'])
    assert set(ci['jobs']) == {'test', 'audit'}
    job = ci['jobs']['audit']
    assert 'needs' not in job and 'if' not in job  # on its own, every run
    runs = [' '.join(step['run'].split()) for step in job['steps'] if 'run' in step]
    assert runs == [
        'python -m pip install --disable-pip-version-check "$(grep -m1 \'^pip-audit==\' requirements-lint.txt)"',
        f'python {AUDIT_SCRIPT} {" ".join(AUDITED)}',
    ]
    [setup] = [step for step in job['steps'] if step.get('uses', '').startswith('actions/setup-python@')]
    [test_setup] = [
        step for step in ci['jobs']['test']['steps'] if step.get('uses', '').startswith('actions/setup-python@')
    ]
    assert setup == test_setup  # the same Python as the tests and the images


def canonical(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def accepted_document() -> dict:
    return tomllib.loads(ACCEPTED.read_text())


def pinned(requirements: str) -> Dict[str, str]:
    """name==version pins of a requirements file, names compared as PyPI does."""
    found = {}
    for line in (REPO_ROOT / requirements).read_text().splitlines():
        match = re.match(r'([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)', line.strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


def test_the_accepted_advisories_are_reviewed_entries_for_versions_pinned_now():
    document = accepted_document()
    packages = {canonical(name): table for name, table in document['packages'].items()}
    advisories = document['advisories']
    ids = [advisory['id'] for advisory in advisories]
    assert ids and len(ids) == len(set(ids))
    assert [i for i in ids if not IDS.fullmatch(i)] == []
    for advisory in advisories:
        assert advisory['reason'].strip() and advisory['summary'].strip() and advisory['fixed_in'].strip(), advisory
        package = packages[canonical(advisory['package'])]
        assert package['held_by'].strip()
        # the version it was accepted for is pinned by an audited environment today
        assert any(pinned(f).get(canonical(advisory['package'])) == package['version'] for f in AUDITED), advisory
    # the script reads the same entries, and it is what the job runs
    accepted = audit.load_accepted(ACCEPTED)
    assert [a.id for a in accepted] == ids


def test_the_ignore_lists_the_job_passes_are_exactly_the_accepted_ids():
    lists = audit.ignore_lists(audit.load_accepted(ACCEPTED), [REPO_ROOT / f for f in AUDITED])
    passed = [advisory_id for ignored in lists.values() for advisory_id in ignored]
    assert sorted(passed) == sorted(advisory['id'] for advisory in accepted_document()['advisories'])
    for path, ignored in lists.items():
        commands = audit.pip_audit_command(path, ignored)
        assert [commands[i + 1] for i, arg in enumerate(commands) if arg == '--ignore-vuln'] == ignored


def step_run(name: str) -> str:
    [step] = [s for s in workflow(WORKFLOWS / 'ci.yml')['jobs']['audit']['steps'] if s.get('name', '').startswith(name)]
    return step['run']


def stand_in_python(bin_dir: Path, target: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'python').write_text(f'#!/usr/bin/env bash\n{target}\n')
    (bin_dir / 'python').chmod(0o755)


def test_the_install_step_installs_the_pip_audit_pinned_for_the_local_check(tmp_path):
    record = tmp_path / 'args'
    stand_in_python(tmp_path / 'bin', f'printf "%s\\n" "$@" > {record}')
    result = run_linter(
        ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', step_run('pip-audit')],
        env={'PATH': f'{tmp_path / "bin"}:/usr/bin:/bin'},
    )
    assert result.returncode == 0, result.stderr
    [pin] = [
        line
        for line in (REPO_ROOT / 'requirements-lint.txt').read_text().splitlines()
        if line.startswith('pip-audit==')
    ]
    assert record.read_text().splitlines() == ['-m', 'pip', 'install', '--disable-pip-version-check', pin]
    # the linters' environment (scripts/setup_lint_tools.sh) has that same pip-audit
    version = run_linter([str(lint_python()), '-m', 'pip_audit', '--version'])
    assert version.stdout.split() == ['pip-audit', pin.split('==')[1]], version.stdout + version.stderr


class StandInOsv:
    """OSV's query API on 127.0.0.1: each pinned package's advisories from ``advisories``
    (by name and version); it records what was asked."""

    def __init__(self) -> None:
        self.advisories: Dict[Tuple[str, str], List[dict]] = {}
        self.queried: Set[Tuple[str, str]] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                query = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
                key = (query['package']['name'], query['version'])
                assert query['package']['ecosystem'] == 'PyPI'
                server.queried.add(key)
                body = json.dumps({'vulns': server.advisories[key]} if server.advisories.get(key) else {}).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_port}/v1/query'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def advise(self, package: str, version: str, advisory_id: str, fixed: str = '99.0') -> None:
        self.advisories.setdefault((package, version), []).append(
            {
                'id': advisory_id,
                'summary': f'stand-in advisory {advisory_id}',
                'affected': [
                    {
                        'package': {'name': package, 'ecosystem': 'PyPI'},
                        'ranges': [{'type': 'ECOSYSTEM', 'events': [{'introduced': '0'}, {'fixed': fixed}]}],
                    }
                ],
            }
        )


@pytest.fixture
def osv() -> Iterator[StandInOsv]:
    server = StandInOsv()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=10)


def run_audit_step(tmp_path: Path, osv: StandInOsv):
    stand_in_python(tmp_path / 'bin', f'exec {lint_python()} "$@"')  # the runner's python, with pip-audit
    return run_linter(
        ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', step_run('Audit')],
        env={
            'PATH': f'{tmp_path / "bin"}:/usr/bin:/bin',
            'PIP_AUDIT_OSV_URL': osv.url,
            'XDG_CACHE_HOME': str(tmp_path / 'cache'),
            'HOME': str(tmp_path),
        },
        timeout=300,
    )


def accepted_versions() -> Dict[str, str]:
    return {canonical(name): table['version'] for name, table in accepted_document()['packages'].items()}


def advise_accepted(osv: StandInOsv) -> int:
    """Every accepted advisory reported for its package at the version it was accepted for."""
    versions = accepted_versions()
    advisories = accepted_document()['advisories']
    for advisory in advisories:
        package = canonical(advisory['package'])
        osv.advise(package, versions[package], advisory['id'])
    return len(advisories)


def test_the_audit_step_passes_on_the_accepted_advisories_and_fails_on_a_new_one(tmp_path, osv):
    count = advise_accepted(osv)
    accepted = run_audit_step(tmp_path, osv)
    assert accepted.returncode == 0, accepted.stdout[-3000:] + accepted.stderr[-3000:]
    # every pin of both environments was looked up, each file on its own
    assert osv.queried == {(name, version) for f in AUDITED for name, version in pinned(f).items()}
    summaries = re.findall(r'No known vulnerabilities found, (\d+) ignored', accepted.stdout + accepted.stderr)
    assert sum(map(int, summaries)) == count, accepted.stdout + accepted.stderr

    osv.advise('aiohttp', accepted_versions()['aiohttp'], 'GHSA-2222-3333-4444', fixed='3.14.4')
    refused = run_audit_step(tmp_path, osv)
    assert refused.returncode == 1, refused.stdout[-3000:] + refused.stderr[-3000:]
    assert set(IDS.findall(refused.stdout)) == {'GHSA-2222-3333-4444'}  # named, and none of the accepted


def test_an_advisory_accepted_for_one_environment_still_fails_the_other(tmp_path, osv):
    """The MLflow server pins aiohttp 3.14.5: an advisory accepted for the project's aiohttp
    3.10.0 that is reported for 3.14.5 fails the job."""
    advise_accepted(osv)
    server_aiohttp = pinned('requirements-mlflow-server.txt')['aiohttp']
    assert server_aiohttp != accepted_versions()['aiohttp']
    osv.advise('aiohttp', server_aiohttp, 'CVE-2024-52304')  # accepted for 3.10.0 only
    refused = run_audit_step(tmp_path, osv)
    assert refused.returncode == 1, refused.stdout[-3000:] + refused.stderr[-3000:]
    assert set(IDS.findall(refused.stdout)) == {'CVE-2024-52304'}
