"""checkov on terraform/aws: no failed check except those of the committed baseline, every
baseline entry justified in checkov-baseline.md, and none stale."""

import json
import re

import pytest

from tests.linters import checkov
from tests.terraform.module import MODULE

pytestmark = pytest.mark.slow  # each checkov run takes 10-30 s

BASELINE = MODULE / '.checkov.baseline'
JUSTIFICATIONS = MODULE / 'checkov-baseline.md'
ARGS = ('-d', 'terraform/aws', '--framework', 'terraform', '--skip-download', '-o', 'json')


def baseline_entries():
    return {
        (finding['resource'], check)
        for entry in json.loads(BASELINE.read_text())['failed_checks']
        for finding in entry['findings']
        for check in finding['check_ids']
    }


def justified_entries():
    rows = re.findall(r'^\| `([^`]+)` \| (CKV2?_AWS_\d+) \|', JUSTIFICATIONS.read_text(), re.MULTILINE)
    return set(rows)


def test_nothing_fails_beyond_the_baseline():
    result = checkov(*ARGS, '--baseline', str(BASELINE.relative_to(MODULE.parents[1])))
    report = json.loads(result.stdout)
    # With a baseline checkov reports only new findings; with none it prints an empty summary.
    new = [(c['check_id'], c['resource']) for c in report.get('results', {}).get('failed_checks', [])]
    assert result.returncode == 0 and new == [], new
    assert report.get('summary', report)['failed'] == 0


def test_every_baseline_entry_is_justified_and_still_needed():
    assert baseline_entries() == justified_entries()
    report = json.loads(checkov(*ARGS).stdout)  # without the baseline: exactly its entries fail
    failed = {(check['resource'], check['check_id']) for check in report['results']['failed_checks']}
    assert failed == baseline_entries()
    assert report['summary']['passed'] > 200 and report['summary']['parsing_errors'] == 0
