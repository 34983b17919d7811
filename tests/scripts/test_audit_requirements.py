"""``scripts/audit_requirements.py``: the accepted advisories read and checked (each refusal
named), the ignore list each requirements file gets (only the entries for versions it pins; an
entry no file pins any more is stale), and pip-audit's command. The whole job against a stand-in
OSV server is in ``tests/test_supply_chain.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from testkit.chain import REPO_ROOT

_spec = importlib.util.spec_from_file_location('audit_requirements', REPO_ROOT / 'scripts' / 'audit_requirements.py')
audit = importlib.util.module_from_spec(_spec)
sys.modules['audit_requirements'] = audit
_spec.loader.exec_module(audit)

PACKAGES = """
[packages.aiohttp]
version = "3.10.0"
held_by = "mage-ai pins it"

[packages.Werkzeug]
version = "3.0.3"
held_by = "mage-ai pins it"
"""
ADVISORY = """
[[advisories]]
id = "{id}"
package = "{package}"
fixed_in = "9.9.9"
summary = "what it is"
reason = "{reason}"
"""


def accepted_file(tmp_path: Path, *advisories: dict, packages: str = PACKAGES) -> Path:
    path = tmp_path / 'accepted.toml'
    path.write_text(packages + ''.join(ADVISORY.format(**{'reason': 'not reachable', **a}) for a in advisories))
    return path


def requirements(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text('\n'.join(['# a comment', *lines, '']))
    return path


def test_entries_are_read_with_their_package_version(tmp_path):
    path = accepted_file(
        tmp_path,
        {'id': 'CVE-2024-52304', 'package': 'aiohttp'},
        {'id': 'GHSA-q34m-jh98-gwm2', 'package': 'werkzeug'},
        {'id': 'PYSEC-2026-4371', 'package': 'AIOHTTP'},
    )
    assert audit.load_accepted(path) == [
        audit.Accepted('CVE-2024-52304', 'aiohttp', '3.10.0', 'not reachable'),
        audit.Accepted('GHSA-q34m-jh98-gwm2', 'werkzeug', '3.0.3', 'not reachable'),
        audit.Accepted('PYSEC-2026-4371', 'aiohttp', '3.10.0', 'not reachable'),
    ]


@pytest.mark.parametrize(
    'advisory, message',
    [
        ({'id': 'CVE-2024-1', 'package': 'aiohttp'}, '"CVE-2024-1" is not a PYSEC-, GHSA- or CVE- advisory ID'),
        ({'id': 'GHSA-aaaa-bbbb-cccc', 'package': 'aiohttp'}, 'is not a PYSEC-, GHSA- or CVE- advisory ID'),
        ({'id': 'OSV-2024-1', 'package': 'aiohttp'}, 'is not a PYSEC-, GHSA- or CVE- advisory ID'),
        ({'id': 'CVE-2024-52304', 'package': 'aiohttp', 'reason': '  '}, '"reason" must be a non-empty string'),
        ({'id': 'CVE-2024-52304', 'package': 'requests'}, 'package "requests" has no [packages.requests] table'),
    ],
)
def test_a_malformed_entry_is_refused_naming_it(tmp_path, advisory, message):
    with pytest.raises(audit.AcceptedListError, match='advisory #1') as refused:
        audit.load_accepted(accepted_file(tmp_path, advisory))
    assert message in str(refused.value)


def test_an_entry_missing_a_key_or_with_an_unknown_one_is_refused(tmp_path):
    path = tmp_path / 'accepted.toml'
    path.write_text(PACKAGES + '[[advisories]]\nid = "CVE-2024-52304"\npackage = "aiohttp"\nfixed_in = "3.10.11"\n')
    with pytest.raises(audit.AcceptedListError, match=r"unknown keys \[\], missing keys \['reason', 'summary'\]"):
        audit.load_accepted(path)
    unknown = accepted_file(tmp_path, {'id': 'CVE-2024-52304', 'package': 'aiohttp'})
    unknown.write_text(unknown.read_text() + 'severity = "low"\n')
    with pytest.raises(audit.AcceptedListError, match=r"unknown keys \['severity'\], missing keys \[\]"):
        audit.load_accepted(unknown)


def test_a_duplicate_id_a_package_without_advisories_and_a_bad_package_table_are_refused(tmp_path):
    twice = accepted_file(tmp_path, *[{'id': 'CVE-2024-52304', 'package': 'aiohttp'}] * 2)
    with pytest.raises(audit.AcceptedListError, match='CVE-2024-52304 is listed twice'):
        audit.load_accepted(twice)
    unused = accepted_file(tmp_path, {'id': 'CVE-2024-52304', 'package': 'aiohttp'})
    with pytest.raises(audit.AcceptedListError, match=r"\[packages\] \['werkzeug'\] have no advisory: remove them"):
        audit.load_accepted(unused)
    no_holder = accepted_file(
        tmp_path, {'id': 'CVE-2024-52304', 'package': 'aiohttp'}, packages='[packages.aiohttp]\nversion = "3.10.0"\n'
    )
    with pytest.raises(audit.AcceptedListError, match=r"\[packages.aiohttp\]: needs exactly \['held_by', 'version'\]"):
        audit.load_accepted(no_holder)


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(audit.AcceptedListError, match='the accepted advisories file is missing'):
        audit.load_accepted(tmp_path / 'nothing.toml')
    broken = tmp_path / 'broken.toml'
    broken.write_text('[[advisories]\nid = 1')
    with pytest.raises(audit.AcceptedListError, match='not valid TOML'):
        audit.load_accepted(broken)


def test_pins_reads_name_version_lines_by_canonical_name(tmp_path):
    path = requirements(
        tmp_path, 'r.txt', 'Werkzeug==3.0.3', 'thefuzz[speedup]==0.19.0', 'ruamel.yaml==0.17.17  # why', 'numpy>=1'
    )
    assert audit.pins(path) == {'werkzeug': '3.0.3', 'thefuzz': '0.19.0', 'ruamel-yaml': '0.17.17'}
    with pytest.raises(FileNotFoundError, match='no such requirements file'):
        audit.pins(tmp_path / 'missing.txt')


def test_each_file_ignores_only_the_advisories_of_the_versions_it_pins(tmp_path):
    accepted = audit.load_accepted(
        accepted_file(
            tmp_path,
            {'id': 'CVE-2024-52304', 'package': 'aiohttp'},
            {'id': 'CVE-2024-49767', 'package': 'werkzeug'},
        )
    )
    runtime = requirements(tmp_path, 'constraints.txt', 'aiohttp==3.10.0', 'Werkzeug==3.0.3')
    server = requirements(tmp_path, 'server.txt', 'aiohttp==3.14.5', 'Werkzeug==3.0.3')
    assert audit.ignore_lists(accepted, [runtime, server]) == {
        runtime: ['CVE-2024-52304', 'CVE-2024-49767'],
        server: ['CVE-2024-49767'],  # its aiohttp is another version: nothing accepted for it
    }


def test_an_entry_no_audited_file_pins_is_stale(tmp_path):
    accepted = audit.load_accepted(
        accepted_file(
            tmp_path,
            {'id': 'CVE-2024-52304', 'package': 'aiohttp'},
            {'id': 'CVE-2024-49767', 'package': 'werkzeug'},
        )
    )
    upgraded = requirements(tmp_path, 'constraints.txt', 'aiohttp==3.13.4', 'Werkzeug==3.0.3')
    with pytest.raises(audit.AcceptedListError) as stale:
        audit.ignore_lists(accepted, [upgraded])
    assert str(stale.value) == (
        'CVE-2024-52304 was accepted for aiohttp==3.10.0, which none of constraints.txt pins any more: '
        'remove it (or review it for the new pin)'
    )


def test_the_pip_audit_command_audits_one_pinned_file_with_its_ignore_list():
    command = audit.pip_audit_command(Path('constraints.txt'), ['CVE-2024-52304', 'PYSEC-2026-4371'], ['-f', 'json'])
    assert command[:3] == [sys.executable, '-m', 'pip_audit']
    assert command[-8:] == [
        '-r',
        'constraints.txt',
        '--ignore-vuln',
        'CVE-2024-52304',
        '--ignore-vuln',
        'PYSEC-2026-4371',
        '-f',
        'json',
    ]
    options = command[3:-8]
    for flag in ('--disable-pip', '--no-deps', '--strict'):
        assert flag in options
    assert options[options.index('--vulnerability-service') + 1] == 'osv'


def test_main_refuses_a_stale_or_malformed_list_before_auditing(tmp_path, capsys):
    path = accepted_file(
        tmp_path, {'id': 'CVE-2024-52304', 'package': 'aiohttp'}, packages=PACKAGES.split('\n[packages.W')[0]
    )
    runtime = requirements(tmp_path, 'constraints.txt', 'aiohttp==3.13.4')
    assert audit.main([str(runtime), '--accepted', str(path)]) == 2
    assert 'error: CVE-2024-52304 was accepted for aiohttp==3.10.0' in capsys.readouterr().err
    assert audit.main([str(tmp_path / 'missing.txt'), '--accepted', str(path)]) == 2
    assert 'no such requirements file' in capsys.readouterr().err
