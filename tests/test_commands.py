"""The tests' one command runner: a failure and an overrun name the command."""

from __future__ import annotations

import sys

import pytest

from testkit.commands import run_command, run_ok


def test_a_failing_command_is_named_with_its_status_and_output():
    with pytest.raises(AssertionError) as failed:
        run_ok([sys.executable, '-c', 'import sys; print("out"); sys.exit(3)'])
    message = str(failed.value)
    assert 'import sys; print("out"); sys.exit(3)' in message and 'exited 3' in message and 'out' in message


def test_a_command_past_its_deadline_is_named_with_the_deadline():
    with pytest.raises(AssertionError, match=r'`.* -c import time; time.sleep\(5\)` did not end within 0.5 s'):
        run_command([sys.executable, '-c', 'import time; time.sleep(5)'], timeout=0.5)


def test_a_command_that_succeeds_gives_its_output():
    assert run_ok([sys.executable, '-c', 'print(42)']).stdout == '42\n'
