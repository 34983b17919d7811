"""Monitoring that acts: when the champion breached a threshold in k of its last n scored
months, the newest among them, it is due for a retraining.

One bad month is noise (a holiday, a strike, a late file), so one breach never retrains; a
champion that keeps failing is retrained without waiting for the retraining cadence. The
months are judged with the thresholds of the run that judges them, as monitoring reads back
a month it scored before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from mlops.utils.errors import ConfigError
from mlops.utils.observability.month_evaluation import Thresholds, breaches
from mlops.utils.orchestration.variables import bounded_number
from mlops.utils.tracking.schema import MONITORING_MONTH

# Pipeline variables of ``monitoring`` (its metadata.yaml holds the same defaults; a test keeps
# them so): breaches among the last scored months that start a retraining; 0 turns it off.
BREACHES_VARIABLE = 'retrain_on_breaches'
MONTHS_VARIABLE = 'of_last_scored_months'
DEFAULT_BREACHES = 2
DEFAULT_MONTHS = 3
# n: at most a year of months is judged; k: at least 2 (a single breach never retrains), at most n.
MONTHS_BOUNDS = (2, 12)


@dataclass(frozen=True)
class ActingPolicy:
    breaches: int = DEFAULT_BREACHES  # k; 0: monitoring never starts a retraining
    months: int = DEFAULT_MONTHS  # n

    @classmethod
    def from_variables(cls, variables: Mapping[str, Any]) -> 'ActingPolicy':
        """``retrain_on_breaches`` (0, or 2..n) and ``of_last_scored_months`` (2..12);
        ConfigError naming the variable otherwise."""
        months = variables.get(MONTHS_VARIABLE)
        months = (
            DEFAULT_MONTHS
            if months in (None, '')
            else int(bounded_number(months, MONTHS_VARIABLE, *MONTHS_BOUNDS, whole=True))
        )
        count = variables.get(BREACHES_VARIABLE)
        count = (
            DEFAULT_BREACHES
            if count in (None, '')
            else int(bounded_number(count, BREACHES_VARIABLE, 0, months, whole=True))
        )
        if count == 1:
            raise ConfigError(
                f'{BREACHES_VARIABLE} must be 0 (off) or 2..{months}, got 1: a single breach never starts a retraining'
            )
        return cls(count, months)

    @property
    def on(self) -> bool:
        return self.breaches > 0


@dataclass(frozen=True)
class ScoredMonth:
    """One month the champion was scored on, as its monitoring run recorded it."""

    month: str
    run_id: str
    metrics: Dict[str, float]


@dataclass(frozen=True)
class Judgement:
    due: bool
    judged: Tuple[str, ...]  # the last scored months, oldest first
    breached: Tuple[str, ...]  # those of them that breached a threshold
    why: str

    @property
    def key(self) -> str:
        """What a retraining is started for, once: the months judged."""
        return ','.join(self.judged)


def judge(scored: Sequence[ScoredMonth], policy: ActingPolicy, thresholds: Thresholds, version: str) -> Judgement:
    """Whether version ``version`` is due for a retraining, and why (or why not), from the months
    it was scored on (one entry per month)."""
    last = sorted(scored, key=lambda s: s.month)[-policy.months :]
    judged = tuple(s.month for s in last)
    breached = tuple(s.month for s in last if breaches(s.metrics, thresholds))
    if not last:
        return Judgement(False, judged, breached, f'version {version} has not been scored yet')
    told = (
        f'version {version} breached a threshold in {len(breached)} of its last {len(last)} scored month(s) '
        f'{_months(judged)}' + (f' ({", ".join(breached)})' if breached else '')
    )
    if not policy.on:
        return Judgement(False, judged, breached, f'{told}; retraining on breaches is off ({BREACHES_VARIABLE}=0)')
    newest = judged[-1]
    if len(breached) < policy.breaches:
        return Judgement(False, judged, breached, f'{told}: fewer than {policy.breaches}, no retraining')
    if newest not in breached:
        return Judgement(False, judged, breached, f'{told}, but not in the newest ({newest}): no retraining')
    return Judgement(
        True, judged, breached, f'{told}, the newest among them: {policy.breaches} of {policy.months} retrains'
    )


def _months(months: Sequence[str]) -> str:
    return months[0] if len(months) == 1 else f'{months[0]}..{months[-1]}'


def latest_per_month(runs: List[Any]) -> List[ScoredMonth]:
    """The newest finished monitoring run of each month, from MLflow runs (newest first)."""
    seen: Dict[str, ScoredMonth] = {}
    for run in runs:
        month = run.data.tags.get(MONITORING_MONTH)
        if month and month not in seen:
            seen[month] = ScoredMonth(month, run.info.run_id, dict(run.data.metrics))
    return list(seen.values())
