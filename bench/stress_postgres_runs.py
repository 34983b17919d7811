"""Headless data_preparation runs on a real PostgreSQL, many times in a row; counts crashes.

    python bench/stress_postgres_runs.py [--runs 20] [--data ../shared/data]

Every run goes through the main job's runner with ``MAGE_DATABASE_CONNECTION_URL`` on a
private PostgreSQL cluster (Debian's binaries, as the tests start it), the docker-compose
shape. A run counts as a crash when it does not complete or its log shows a database error
(``PGRES_TUPLES_OK``, ``DatabaseError``, ``OperationalError``: the signs of one connection
used by two processes). Exit status 1 when any run crashed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.chain import run_chain, summaries  # noqa: E402
from testkit.servers import PostgresServer  # noqa: E402

DATABASE_ERRORS = re.compile(r'PGRES_TUPLES_OK|DatabaseError|OperationalError|InterfaceError')
STEP = 'unit_1_data_preparation/data_preparation'


def one_run(root: Path, url: str, data: Path) -> dict:
    started = time.monotonic()
    result = run_chain(root, '--pipelines', STEP, '--source', str(data), env={'MAGE_DATABASE_CONNECTION_URL': url})
    lines = summaries(result)
    line = lines[0] if lines else {'status': 'no summary'}
    log = Path(line['log']).read_text(errors='replace') if line.get('log') else ''
    errors = sorted(set(DATABASE_ERRORS.findall(log + result.stderr)))
    return {
        'status': line['status'],
        'exit': result.returncode,
        'database_errors': errors,
        'seconds': round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--data', type=Path, default=Path(__file__).resolve().parents[2] / 'shared' / 'data')
    args = parser.parse_args()
    crashes = 0
    with PostgresServer(['mage']) as postgres, tempfile.TemporaryDirectory(prefix='stress-pg-') as tmp:
        url = postgres.url('mage', driver='postgresql+psycopg2')
        for number in range(1, args.runs + 1):
            outcome = one_run(Path(tmp), url, args.data)
            crashed = outcome['status'] != 'completed' or outcome['exit'] != 0 or outcome['database_errors']
            crashes += bool(crashed)
            print(json.dumps({'run': number, **outcome, 'crashed': bool(crashed)}), flush=True)
    print(f'{crashes} of {args.runs} runs crashed on PostgreSQL')
    return 1 if crashes else 0


if __name__ == '__main__':
    sys.exit(main())
