"""What a retraining run does: nothing, with a reason, or data preparation over a window that
ends at the newest month, then both training pipelines.

The window keeps the champion's length and slides to the newest month: training on every
month but the newest, validating on the newest (the seed's split), so the new models and the
champion are compared on a month neither was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mlops.utils.data_preparation.months import add_months, month_label, month_start, months_between, parse_month
from mlops.utils.tracking.trained_range import TrainedRange

# The retraining cadence: retrain once the source holds at least this many months after the
# champion's (pipeline variable ``retrain_after_new_months``; metadata.yaml holds the same
# default). A run someone asked for (``requested_by``, ``retrain_now``) retrains on one.
CADENCE_VARIABLE = 'retrain_after_new_months'
DEFAULT_CADENCE = 1
CADENCE_BOUNDS = (1, 12)


@dataclass(frozen=True)
class RetrainingPlan:
    trained: TrainedRange
    new_months: List[str]
    preparation_variables: Dict[str, str] = field(default_factory=dict)
    needed: int = DEFAULT_CADENCE  # new months that retrain
    requested_by: str = ''  # who asked for this retraining and why ('': the cadence)

    @property
    def retrain(self) -> bool:
        return len(self.new_months) >= self.needed

    @property
    def reason(self) -> str:
        """Why this run retrains (or would)."""
        if self.requested_by:
            return f'requested: {self.requested_by}'
        return f'{len(self.new_months)} new month(s), the cadence retrains on {self.needed} ({CADENCE_VARIABLE})'

    @property
    def message(self) -> str:
        if not self.new_months:
            return (
                f'no new month after {self.trained.end_month} at {self.trained.data_source}: '
                f'{self.trained.model} version {self.trained.version} stays champion, nothing retrained'
            )
        if not self.retrain:
            return (
                f'{len(self.new_months)} new month(s) {", ".join(self.new_months)} after {self.trained.end_month}: '
                f'retraining waits for {self.needed} ({CADENCE_VARIABLE}); {self.trained.model} version '
                f'{self.trained.version} stays champion, nothing retrained'
            )
        return (
            f'new month(s) {", ".join(self.new_months)} after {self.trained.end_month}: retraining on '
            f'{self.preparation_variables["start_month"]}..{self.preparation_variables["end_month"]}, '
            f'validating on {self.new_months[-1]}; why: {self.reason}'
        )


def plan_retraining(
    trained: TrainedRange,
    new_months: List[str],
    source: Optional[str] = None,
    needed: int = DEFAULT_CADENCE,
    requested_by: str = '',
) -> RetrainingPlan:
    if len(new_months) < max(needed, 1):
        return RetrainingPlan(trained, list(new_months), needed=needed, requested_by=requested_by)
    length = months_between(
        parse_month(trained.start_month, 'start_month'), parse_month(trained.end_month, 'end_month')
    )
    newest = parse_month(new_months[-1], 'new month')
    start = add_months(newest, 1 - length)
    variables = {
        'start_month': month_label(start),
        'end_month': new_months[-1],
        'split_on_feature_value': month_start(new_months[-1]),
        'taxi_colour': trained.taxi_colour,
        'data_source': source or trained.data_source,
    }
    if trained.split_on_feature:
        variables['split_on_feature'] = trained.split_on_feature
    return RetrainingPlan(trained, list(new_months), variables, needed, requested_by)
