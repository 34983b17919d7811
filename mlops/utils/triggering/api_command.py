"""The command line of ``scripts/predict_api.sh``: a ready-to-use ``curl`` for an API trigger
of a running Mage server (id and token read through its API), the whole post-poll-read, or a new
token for a trigger.

    python -m mlops.utils.triggering.api_command                       # curl for predict
    python -m mlops.utils.triggering.api_command --retrain             # curl for retrain_now
    python -m mlops.utils.triggering.api_command --run '{"inputs": [...]}'   # predictions
    python -m mlops.utils.triggering.api_command --rotate-token [TRIGGER]     # a new token

A trigger's token is its only credential (Mage takes it as the last part of the URL path), so
the printed ``curl`` leaves it out unless asked (``--show-token``): it reads it from the shell
variable ``MLOPS_API_TOKEN`` instead, and a terminal, a shell history or a CI log shows none.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any, Dict, List, Tuple

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object
from mlops.utils.triggering.mage_api import (
    PREDICT_BLOCK,
    PREDICT_PIPELINE,
    PREDICT_TRIGGER,
    ApiTrigger,
    MageApiError,
    MageClient,
)

EXAMPLE_TRIPS = {
    'inputs': [
        {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3},
        {'PULocationID': 130, 'DOLocationID': 205, 'trip_distance': 3.6},
    ]
}
# pipeline, trigger, block whose output is the answer, example variables
TARGETS = {
    'predict': (PREDICT_PIPELINE, PREDICT_TRIGGER, PREDICT_BLOCK, EXAMPLE_TRIPS),
    'retrain': (*pipelines.RETRAIN_NOW, {}),
}
# The shell variable a printed curl takes the token from when it is not shown.
TOKEN_VARIABLE = 'MLOPS_API_TOKEN'


def _double_quoted(text: str) -> str:
    """``text`` as the inside of a shell double-quoted word: taken literally."""
    return ''.join('\\' + c if c in '\\"$`' else c for c in text)


def curl_command(base_url: str, trigger: ApiTrigger, variables: Dict[str, Any], show_token: bool = False) -> str:
    """The ``curl`` that posts ``variables`` through the trigger; its URL ends with the token
    only with ``show_token``, else with ``${MLOPS_API_TOKEN:?...}`` (the shell stops with that
    message when the variable is not set)."""
    body = json.dumps({'pipeline_run': {'variables': variables}})
    if show_token:
        url = shlex.quote(trigger.url(base_url))
    else:
        unset = f'set {TOKEN_VARIABLE} to the token of trigger {trigger.name}'
        url = f'"{_double_quoted(trigger.url_before_token(base_url))}${{{TOKEN_VARIABLE}:?{unset}}}"'
    return f"curl -sS -X POST {url} -H 'Content-Type: application/json' -d {shlex.quote(body)}"


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='scripts/predict_api.sh', description=__doc__.split('\n\n')[0])
    parser.add_argument('--retrain', action='store_true', help='the retrain_now trigger instead of predict')
    parser.add_argument('--url', help='the Mage server (default: $MAGE_URL, else http://127.0.0.1:6789)')
    parser.add_argument('--run', metavar='JSON', help='post these variables, wait, print the output as JSON')
    parser.add_argument('--timeout', type=float, default=120.0, help='seconds to wait with --run')
    parser.add_argument(
        '--show-token',
        action='store_true',
        help=f"print the curl with the trigger's token in its URL (default: ${TOKEN_VARIABLE} stands for it)",
    )
    parser.add_argument(
        '--rotate-token',
        nargs='?',
        const='',
        metavar='TRIGGER',
        help=f'give the trigger ({", ".join(target[1] for target in TARGETS.values())}; default: the one the '
        'other options choose) a new token, after which its old URL is refused; prints the curl',
    )
    args = parser.parse_args(argv)
    if args.rotate_token is not None and args.run is not None:
        parser.error('--rotate-token and --run: rotate first, then run')
    return args


def target(args: argparse.Namespace) -> Tuple[str, str, str, Dict[str, Any]]:
    """(pipeline, trigger, answering block, example variables) the options choose."""
    if args.rotate_token:
        named = [t for t in TARGETS.values() if t[1] == args.rotate_token]
        if not named:
            known = ', '.join(t[1] for t in TARGETS.values())
            raise ConfigError(f'--rotate-token {args.rotate_token}: no such API trigger; the API triggers are {known}')
        return named[0]
    return TARGETS['retrain' if args.retrain else 'predict']


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    client = MageClient(args.url, keep_session=True)  # one sign-in (a second of bcrypt) for many commands
    try:
        pipeline, trigger_name, block, example = target(args)
        trigger = client.api_trigger(pipeline, trigger_name)
        if args.rotate_token is not None:
            trigger = client.rotate_token(trigger)
            print(
                f'# trigger {trigger.name} (pipeline {pipeline}) has a new token: its old URL is refused from now on',
                file=sys.stderr,
            )
        if args.run is None:
            print(curl_command(client.base_url, trigger, example, show_token=args.show_token))
            if not args.show_token:
                print(
                    f"# the token is left out: set {TOKEN_VARIABLE} to it (the trigger's page in the UI, "
                    'or --show-token prints the command with it)',
                    file=sys.stderr,
                )
            print(
                f'# the answer is a pipeline run: poll it and read block {block!r} (or use --run, which does both)',
                file=sys.stderr,
            )
            return 0
        variables = parse_json_object(args.run, '--run', example=json.dumps(example))
        print(json.dumps(client.run_and_read(trigger, variables, block, timeout=args.timeout), indent=2))
        return 0
    except (ConfigError, MageApiError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
