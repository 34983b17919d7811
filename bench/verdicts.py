"""How every benchmark ends: exit 0 when each target was met, else 1 with the missed targets
listed on one stderr line (the form tests/bench/test_benchmarks_run.py reads)."""

from __future__ import annotations

import sys
from typing import Sequence


def exit_status(missed: Sequence[str]) -> int:
    if missed:
        print('targets missed: ' + '; '.join(missed), file=sys.stderr)
        return 1
    return 0
