"""Run the pipeline chain headless through Mage, one JSON summary line per pipeline.

Why it is this long: it is the runner's whole command line: argument parsing and checks, the plan
of steps, each step run as a child process with its timeout and the process tree ended, and the
summary lines.

    python -m mlops.utils.orchestration [--pipelines a,b] [--vars JSON] [--set name=value ...]
                                        [--source URL_OR_FOLDER]

Without ``--pipelines`` it runs the main job (``chain.CHAIN``); optional steps
(``chain.OPTIONAL_STEPS``: batch_scoring) run only when ``--pipelines`` names them.

Variables go to every pipeline that declares them; a name no pipeline declares is an error.
``MLOPS_RUN_VARS`` (a JSON object) sets variables under ``--vars`` and ``--set``.
``--timeout`` is seconds per pipeline, more than 0 and at most 604800 (7 days).
``--rollback [VERSION] --reason TEXT`` runs nothing: it moves the champion alias back
(``tracking/rollback.py``).
Exit status: 0 all pipelines completed, 1 one failed, crashed or timed out (its failed blocks
and log tail go to stderr), 2 bad arguments, 3 another runner is running on the same state
(``runner_lock``: refused at once, naming it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.chain import CHAIN, OPTIONAL_STEPS, STEPS, Step
from mlops.utils.orchestration.headless import TIMED_OUT
from mlops.utils.orchestration.leftovers import RUNNER_ENV_VAR, die_with_runner, scratch_dir, stop_leftovers
from mlops.utils.orchestration.runner_lock import RunnerLock
from mlops.utils.orchestration.variables import (
    bounded_number,
    check_known,
    environment_vars,
    parse_assignments,
    parse_vars,
)
from mlops.utils.paths import REPO_ROOT, data_dir


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='python -m mlops.utils.orchestration',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        '--pipelines',
        help='comma-separated steps to run, by pipeline name (every step of that '
        'name) or project/pipeline; steps: '
        + ', '.join(s.label for s in CHAIN)
        + '; only when named: '
        + ', '.join(s.label for s in OPTIONAL_STEPS),
    )
    parser.add_argument('--vars', default='{}', help='pipeline variables as a JSON object')
    parser.add_argument('--set', action='append', default=[], metavar='NAME=VALUE', help='one variable')
    parser.add_argument('--source', help='data source: http(s) URL, file:// URL or folder (data_source)')
    parser.add_argument(
        '--reproduce',
        metavar='VERSION',
        help='refit this version of the registered model '
        'exactly (its training pipeline with its reproduce.* tags as variables)',
    )
    parser.add_argument(
        '--rollback',
        nargs='?',
        const='',
        metavar='VERSION',
        help='run nothing: move the champion alias back to VERSION (default: the previous good '
        'champion), kept in the alias history with who, when and --reason',
    )
    parser.add_argument('--reason', help='with --rollback: why (required)')
    parser.add_argument(
        '--timeout',
        default='3600',
        help=f'seconds per pipeline, more than 0 and at most {MAX_TIMEOUT_SECONDS:.0f} (7 days); default 3600',
    )
    return parser.parse_args(argv)


# A pipeline's whole budget: the main job takes minutes; a week is far past any real run, and
# with no upper bound ``inf`` (or ``nan``) would mean a stuck run is never stopped.
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600.0


def timeout_seconds(args: argparse.Namespace) -> float:
    """``--timeout`` as seconds in (0, MAX_TIMEOUT_SECONDS]; ConfigError naming it otherwise."""
    return float(bounded_number(args.timeout, '--timeout', 0, MAX_TIMEOUT_SECONDS, above_minimum=True))


def wanted_steps(text: str) -> List[str]:
    """The names ``--pipelines`` gives; ConfigError when it gives none (``,`` or blanks): an
    empty list would plan nothing and report success."""
    names = [name.strip() for name in text.split(',') if name.strip()]
    if not names:
        raise ConfigError(
            f'--pipelines names no pipeline, got {text!r}; give one or more of: {", ".join(s.label for s in STEPS)}'
        )
    return names


def plan(args: argparse.Namespace) -> List[Tuple[Step, Dict[str, Any]]]:
    """The steps to run with each one's variables; ConfigError for anything invalid."""
    variables = environment_vars()  # MLOPS_RUN_VARS, under what the command line says
    variables.update(parse_vars(args.vars))
    variables.update(parse_assignments(args.set))
    if args.source:
        variables['data_source'] = args.source
    steps = CHAIN
    wanted = None if args.pipelines is None else wanted_steps(args.pipelines)  # before the registry is asked
    if args.reproduce:
        from mlops.utils.tracking.reproduce import reproduction_of

        pipeline, reproduced = reproduction_of(args.reproduce)
        variables = {**reproduced, **variables}
        wanted = wanted or [pipeline]
    if wanted:
        check_known(wanted, {s.pipeline for s in STEPS} | {s.label for s in STEPS}, what='pipeline')
        steps = [s for s in STEPS if s.pipeline in wanted or s.label in wanted]
    declared = {step: step.declared_variables() for step in steps}
    check_known(variables, set().union(*declared.values()))
    return [(step, {k: v for k, v in variables.items() if k in declared[step]}) for step in steps]


# Seconds the headless process gets past its own timeout to stop the run and write its result.
GRACE_SECONDS = 60.0


def headless_command(*args: str) -> List[str]:
    return [sys.executable, '-m', 'mlops.utils.orchestration.headless', *args]


def end_process_tree(process: subprocess.Popen) -> None:
    """SIGKILL the headless process and everything it started (Mage's queue processes).

    The headless process stays in the runner's process group, so a Ctrl-C or a kill of the
    group reaches Mage's workers too; here the tree is found by parentage."""
    import psutil

    try:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for member in tree:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()
    psutil.wait_procs(tree, timeout=10)


def run_step(step: Step, variables: Dict[str, Any], timeout: float, runner_lock: Path) -> Dict[str, Any]:
    """Run one pipeline in a fresh process (Mage binds one sub-project per process).

    The headless process stops its run itself after ``timeout`` seconds; if it is still alive
    ``GRACE_SECONDS`` later, its whole process group is killed and the run it left active is
    cancelled by a second, short process. It ends with this runner, and carries the runner's
    lock in its environment for the next runner to find (``leftovers``)."""
    log_dir = data_dir() / 'logs'
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f'headless-{step.project}-{step.pipeline}.log'
    env = {
        **os.environ,
        'PYTHONPATH': os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get('PYTHONPATH')])),
        RUNNER_ENV_VAR: str(runner_lock),
    }
    result: Dict[str, Any] = {'project': step.project, 'pipeline': step.pipeline, 'failures': []}
    with (
        tempfile.TemporaryDirectory(prefix='mlops-run-', dir=scratch_dir(runner_lock)) as tmp,
        open(log_path, 'w') as log,
    ):
        result_file = Path(tmp) / 'result.json'
        command = headless_command(
            'run', step.project, step.pipeline, json.dumps(variables), str(result_file), '--timeout', str(timeout)
        )
        if step.data_product:
            command += ['--data-product', step.data_product]
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
            preexec_fn=die_with_runner(os.getpid()),
        )
        try:
            process.wait(timeout=timeout + GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            end_process_tree(process)
            subprocess.run(
                headless_command('cancel', step.project, step.pipeline),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO_ROOT,
                timeout=120,
            )
            result['status'] = TIMED_OUT
        except BaseException:  # Ctrl-C or the runner itself killed: leave no orphans
            end_process_tree(process)
            raise
        if result_file.exists():
            result = json.loads(result_file.read_text())
        elif 'status' not in result:
            result['status'] = 'crashed'
    result['log'] = str(log_path)
    return result


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    if args.rollback is not None:  # an operator's command: nothing runs
        from mlops.utils.tracking.rollback import main as rollback

        return rollback([*([args.rollback] if args.rollback else []), '--reason', args.reason or ''])
    try:
        timeout = timeout_seconds(args)
        steps = plan(args)
    except ConfigError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    lock = RunnerLock()
    if not lock.try_acquire(','.join(step.label for step, _ in steps)):
        print(f'error: {lock.refusal()}', file=sys.stderr)
        return 3
    try:
        stopped = stop_leftovers(lock.path)
        if stopped:
            pids = ', '.join(map(str, stopped))
            print(f'stopped {len(stopped)} processes a killed runner left on this state (pids {pids})', file=sys.stderr)
        return run_steps(steps, timeout, lock.path)
    finally:
        lock.release()


def run_steps(steps: List[Tuple[Step, Dict[str, Any]]], timeout: float, runner_lock: Path) -> int:
    for step, variables in steps:
        result = run_step(step, variables, timeout, runner_lock)
        failures = result.pop('failures', [])
        reason = result.pop('reason', None)
        result.pop('execution_partition', None)
        result.pop('started_at', None)
        print(json.dumps(result), flush=True)
        if result['status'] != 'completed':
            for failure in failures:
                print(f'--- block {failure["block"]} failed; log tail:\n{failure["log"]}', file=sys.stderr)
            if reason:
                print(f'{step.pipeline}: {reason}', file=sys.stderr)
            print(f'{step.pipeline}: {result["status"]}; full log: {result["log"]}', file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
