"""The command line of ``scripts/predict_api.sh``: a ready-to-use ``curl`` for an API trigger
of a running Mage server (id and token read through its API), or the whole post-poll-read.

    python -m mlops.utils.triggering.api_command                       # curl for predict
    python -m mlops.utils.triggering.api_command --retrain             # curl for retrain_now
    python -m mlops.utils.triggering.api_command --run '{"inputs": [...]}'   # predictions
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any, Dict, List

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


def curl_command(base_url: str, trigger: ApiTrigger, variables: Dict[str, Any]) -> str:
    body = json.dumps({'pipeline_run': {'variables': variables}})
    return (
        f'curl -sS -X POST {shlex.quote(trigger.url(base_url))} '
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='scripts/predict_api.sh', description=__doc__.split('\n\n')[0])
    parser.add_argument('--retrain', action='store_true', help='the retrain_now trigger instead of predict')
    parser.add_argument('--url', help='the Mage server (default: $MAGE_URL, else http://127.0.0.1:6789)')
    parser.add_argument('--run', metavar='JSON', help='post these variables, wait, print the output as JSON')
    parser.add_argument('--timeout', type=float, default=120.0, help='seconds to wait with --run')
    return parser.parse_args(argv)


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    pipeline, trigger_name, block, example = TARGETS['retrain' if args.retrain else 'predict']
    client = MageClient(args.url, keep_session=True)  # one sign-in (a second of bcrypt) for many commands
    try:
        trigger = client.api_trigger(pipeline, trigger_name)
        if args.run is None:
            print(curl_command(client.base_url, trigger, example))
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
