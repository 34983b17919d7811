"""pip-audit over pinned requirements files, with the reviewed advisories of
``.github/pip-audit-accepted.toml`` as its only ignore list (CI's ``audit`` job runs it).

    python scripts/audit_requirements.py constraints.txt requirements-mlflow-server.txt

Each file is audited on its own (``pip-audit --disable-pip --no-deps -r FILE`` against OSV): one
file is one environment, whose pins need no resolving. An accepted advisory is passed as
``--ignore-vuln ID`` only to the files that pin its package at the version it was accepted for,
so an upgrade never inherits an old acceptance. Extra arguments after ``--`` go to every
pip-audit (``-- --format json``); the ``PIP_AUDIT_*`` environment settings apply as usual.

Exit 0: nothing but accepted advisories; 1: pip-audit reported another advisory or failed;
2: the accepted list is malformed, or stale (it names a version no audited file pins any more).
Runs with the Python that has pip-audit installed (CI: the runner's; here: ``.venv-lint``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / '.github' / 'pip-audit-accepted.toml'
# The IDs pip-audit matches --ignore-vuln against (an advisory's own ID or one of its aliases).
ADVISORY_ID = re.compile(r'PYSEC-\d{4}-\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,}')
PIN = re.compile(r'([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)')
PACKAGE_KEYS = {'version', 'held_by'}
ADVISORY_KEYS = {'id', 'package', 'fixed_in', 'summary', 'reason'}
PIP_AUDIT_OPTIONS = [
    '--disable-pip',  # every requirement is pinned: nothing to resolve, nothing installed
    '--no-deps',
    '--strict',  # a pin pip-audit cannot look up fails the run instead of being skipped
    '--vulnerability-service',
    'osv',  # PyPA's advisories (PYSEC) and GitHub's reviewed ones (GHSA)
    '--progress-spinner',
    'off',
    '--aliases',
    'on',  # the CVE and GHSA IDs beside each ID: what an entry of the accepted list may name
    '--desc',
    'on',
]


class AcceptedListError(ValueError):
    """The accepted list is malformed or names what no audited file pins."""


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    version: str
    reason: str


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def pins(requirements: Path) -> Dict[str, str]:
    """``name==version`` lines of a requirements file, by canonical name."""
    if not requirements.is_file():
        raise FileNotFoundError(f'{requirements}: no such requirements file')
    found: Dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[3]
    return found


def _text(table: Mapping[str, object], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AcceptedListError(f'{where}: "{key}" must be a non-empty string')
    return value.strip()


def load_accepted(path: Path = ACCEPTED) -> List[Accepted]:
    """Every accepted advisory of ``path``, checked: a well-formed unique ID, a package of
    ``[packages]`` (with the version it was accepted at and what holds it there), the first fixed
    release, a summary and a reason, each non-empty."""
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise AcceptedListError(f'{path}: the accepted advisories file is missing') from None
    except tomllib.TOMLDecodeError as error:
        raise AcceptedListError(f'{path}: not valid TOML ({error})') from None
    packages = document.get('packages', {})
    advisories = document.get('advisories', [])
    if not isinstance(packages, dict) or not isinstance(advisories, list):
        raise AcceptedListError(f'{path}: expected a [packages.NAME] table per package and [[advisories]] entries')
    versions: Dict[str, str] = {}
    for name, package in packages.items():
        where = f'{path}: [packages.{name}]'
        if not isinstance(package, dict) or set(package) != PACKAGE_KEYS:
            raise AcceptedListError(f'{where}: needs exactly {sorted(PACKAGE_KEYS)}')
        versions[canonical(name)] = _text(package, 'version', where)
        _text(package, 'held_by', where)
    accepted: List[Accepted] = []
    for number, advisory in enumerate(advisories, 1):
        if not isinstance(advisory, dict):
            raise AcceptedListError(f'{path}: advisory #{number} is not a table')
        where = f'{path}: advisory #{number} ({advisory.get("id", "no id")})'
        if set(advisory) != ADVISORY_KEYS:
            unknown, missing = sorted(set(advisory) - ADVISORY_KEYS), sorted(ADVISORY_KEYS - set(advisory))
            raise AcceptedListError(f'{where}: unknown keys {unknown}, missing keys {missing}')
        for key in ('fixed_in', 'summary'):
            _text(advisory, key, where)
        advisory_id = _text(advisory, 'id', where)
        if not ADVISORY_ID.fullmatch(advisory_id):
            raise AcceptedListError(f'{where}: "{advisory_id}" is not a PYSEC-, GHSA- or CVE- advisory ID')
        package = canonical(_text(advisory, 'package', where))
        if package not in versions:
            raise AcceptedListError(f'{where}: package "{package}" has no [packages.{package}] table')
        accepted.append(Accepted(advisory_id, package, versions[package], _text(advisory, 'reason', where)))
    seen = set()
    for advisory in accepted:
        if advisory.id in seen:
            raise AcceptedListError(f'{path}: {advisory.id} is listed twice')
        seen.add(advisory.id)
    unused = set(versions) - {advisory.package for advisory in accepted}
    if unused:
        raise AcceptedListError(f'{path}: [packages] {sorted(unused)} have no advisory: remove them')
    return accepted


def ignore_lists(accepted: Sequence[Accepted], files: Sequence[Path]) -> Dict[Path, List[str]]:
    """The IDs to ignore in each file: those accepted for a version that file pins. An entry
    no file pins at its version is stale (the pin moved): an error naming it."""
    pinned = {path: pins(path) for path in files}
    lists: Dict[Path, List[str]] = {path: [] for path in files}
    for advisory in accepted:
        where = [path for path in files if pinned[path].get(advisory.package) == advisory.version]
        if not where:
            raise AcceptedListError(
                f'{advisory.id} was accepted for {advisory.package}=={advisory.version}, which none of '
                f'{", ".join(path.name for path in files)} pins any more: remove it (or review it for the new pin)'
            )
        for path in where:
            lists[path].append(advisory.id)
    return lists


def pip_audit_command(requirements: Path, ignored: Sequence[str], extra: Sequence[str] = ()) -> List[str]:
    ignore = [argument for advisory_id in ignored for argument in ('--ignore-vuln', advisory_id)]
    return [sys.executable, '-m', 'pip_audit', *PIP_AUDIT_OPTIONS, '-r', str(requirements), *ignore, *extra]


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    extra: List[str] = []
    if '--' in arguments:  # what follows goes to pip-audit
        arguments, extra = arguments[: arguments.index('--')], arguments[arguments.index('--') + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], epilog='-- PIP_AUDIT_ARGS: passed on')
    parser.add_argument('requirements', nargs='+', type=Path, help='pinned requirements files, one environment each')
    parser.add_argument('--accepted', type=Path, default=ACCEPTED, help='the reviewed advisories (TOML)')
    args = parser.parse_args(arguments)
    try:
        lists = ignore_lists(load_accepted(args.accepted), args.requirements)
    except (AcceptedListError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    try:
        import pip_audit  # noqa: F401
    except ImportError:
        print(
            f'error: pip-audit is not installed for {sys.executable}: '
            'pip install "$(grep -m1 \'^pip-audit==\' requirements-lint.txt)"',
            file=sys.stderr,
        )
        return 2
    status = 0
    for path, ignored in lists.items():
        print(f'== pip-audit {path} ({len(ignored)} accepted advisories ignored)', file=sys.stderr, flush=True)
        returncode = subprocess.run(pip_audit_command(path, ignored, extra)).returncode
        status = status or (1 if returncode else 0)
    return status


if __name__ == '__main__':
    sys.exit(main())
