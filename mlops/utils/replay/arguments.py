"""The replay's command line, and the months it replays."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, NamedTuple, Optional

from mlops.utils.data_preparation.months import month_label, month_range
from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.platform_state import platform_state_dir
from mlops.utils.replay.budgets import RETRAIN_AFTER_NEW_MONTHS

# Seconds after a restart in which the time triggers' own runs are counted as catch-up runs.
CATCH_UP_SECONDS = 120.0


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='./scripts/replay.sh',
        description='Train on the first months, then make each later month arrive at a staged source the Mage '
        'server reads, through its real triggers, measuring the soak on the way. Stopped and started again, '
        'it continues where it was.',
    )
    parser.add_argument(
        '--source', required=True, help='the full archive: a folder or http(s) URL in the upstream layout'
    )
    parser.add_argument('--months', help='FIRST..LAST (YYYY-MM..YYYY-MM); default: every month the source folder holds')
    parser.add_argument(
        '--train-months',
        type=int,
        default=3,
        help='how many first months the initial training uses; the last is its validation month (default 3)',
    )
    parser.add_argument(
        '--state',
        type=Path,
        help='the replay state folder (default: <platform state>/replay, .mage_data/platform/replay)',
    )
    parser.add_argument(
        '--restart-at', metavar='MONTH', help='restart the server before this month arrives (default: the middle one)'
    )
    parser.add_argument(
        '--retrain-after',
        type=int,
        default=RETRAIN_AFTER_NEW_MONTHS,
        help=f'the cadence: retrain when the source holds this many months after the champion (default {RETRAIN_AFTER_NEW_MONTHS})',
    )
    parser.add_argument(
        '--threshold-rmse-increase',
        type=float,
        help="monitoring's threshold_rmse_increase for the replay's monitoring runs (default: the pipeline's, 0.25)",
    )
    parser.add_argument(
        '--catch-up-seconds',
        type=float,
        default=CATCH_UP_SECONDS,
        help=f'seconds after the restart whose time-trigger runs count as catch-up (default {CATCH_UP_SECONDS:.0f})',
    )
    parser.add_argument(
        '--stop-server', action='store_true', help='stop the server at the end (default: keep it for the dashboards)'
    )
    return parser.parse_args(argv)


class Plan(NamedTuple):
    """What the replay does: the months it trains on first, then those that arrive one by one."""

    training: List[str]
    arriving: List[str]
    restart_at: Optional[str]


def parse_range(text: str) -> List[str]:
    first, sep, last = text.partition('..')
    if not sep:
        raise ConfigError(f'--months must be FIRST..LAST (e.g. 2023-01..2024-02), got {text!r}')
    return [month_label(m) for m in month_range(first.strip(), last.strip())]


def plan(months: List[str], train_months: int, restart_at: Optional[str]) -> Plan:
    """The initial training's months and the arriving ones; ConfigError when nothing would
    arrive or the restart month is not one of them."""
    if train_months < 2:
        raise ConfigError(
            f'--train-months must be at least 2 (training months, then the validation month), got {train_months}'
        )
    if len(months) <= train_months:
        raise ConfigError(
            f'{len(months)} month(s) ({months[0] if months else "-"}..{months[-1] if months else "-"}) leave none to arrive '
            f'after {train_months} training months'
        )
    training, arriving = months[:train_months], months[train_months:]
    if restart_at is None:
        restart_at = arriving[len(arriving) // 2]
    elif restart_at not in arriving:
        raise ConfigError(f'--restart-at {restart_at} is not an arriving month ({arriving[0]}..{arriving[-1]})')
    return Plan(training, arriving, restart_at)


def state_dir(args: argparse.Namespace) -> Path:
    return (args.state or platform_state_dir() / 'replay').resolve()
