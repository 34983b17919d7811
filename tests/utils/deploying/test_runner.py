import sys

import pytest

from mlops.utils.deploying.runner import TAIL_LINES, CommandFailed, run_streaming

SCRIPT = """
import sys
print('out 1', flush=True)
for i in range(40):
    print(f'err {i}', file=sys.stderr, flush=True)
print('out 2', flush=True)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / 'tool.py'
    path.write_text(SCRIPT)
    return lambda code: [sys.executable, str(path), str(code)]


def test_output_is_streamed_and_stdout_returned(script, capsys):
    result = run_streaming(script(0), env={})
    assert result.returncode == 0 and result.stdout == 'out 1\nout 2\n'
    logged = capsys.readouterr().out.splitlines()
    assert logged[0].startswith('$ ') and 'out 1' in logged and 'err 39' in logged  # stderr goes to the log too


def test_data_output_is_not_echoed(tmp_path, capsys):
    path = tmp_path / 'data.py'
    path.write_text('print(\'{"a": 1}\')')
    assert run_streaming([sys.executable, str(path)], env={}, echo_stdout=False).stdout == '{"a": 1}\n'
    assert '{"a": 1}' not in capsys.readouterr().out


def test_an_allowed_exit_code_is_returned(script):
    assert run_streaming(script(2), env={}, ok_codes=(0, 2)).returncode == 2


def test_a_failure_raises_with_the_tail_of_stderr(script):
    with pytest.raises(CommandFailed) as error:
        run_streaming(script(1), env={})
    lines = str(error.value).splitlines()
    assert lines[0] == f'{sys.executable} {script(1)[1]} exited with 1:'
    assert lines[1:] == [f'err {i}' for i in range(40 - TAIL_LINES, 40)]  # stderr's end, no stdout
