"""The replay's quick training budgets and retraining cadence: the one place they are set.

A replay trains once at the start and again at every retraining, so it runs on budgets that
take seconds, not the defaults' minutes (2-15 trials per family, up to 1000 boosting rounds):
models are compared on the same terms all along, just cheaper ones. Printed at the start of every
replay and documented in docs/replay-and-soak.md.
"""

from __future__ import annotations

import json
from typing import Any, Dict

# sklearn_training: two families, one trial each.
QUICK_SKLEARN: Dict[str, Any] = {'models': 'linear_model.Lasso,linear_model.LinearRegression', 'max_evaluations': 1}
# xgboost_training: one trial of at most 60 rounds, trees at most 10 deep.
QUICK_XGBOOST: Dict[str, Any] = {'max_evaluations': 1, 'num_boost_round': 60, 'max_depth': 10}
# The replay's cadence: retraining runs when the source holds at least this many months after the
# champion's last one (``retrain_after_new_months`` of automatic_retraining); monitoring may start
# one sooner, when the champion degrades.
RETRAIN_AFTER_NEW_MONTHS = 3


def main_job_variables() -> Dict[str, Any]:
    """The main job's variables for the initial training (``run.sh`` hands each pipeline those
    it declares)."""
    return {**QUICK_SKLEARN, **QUICK_XGBOOST}


def retraining_variables() -> Dict[str, Any]:
    """What a retraining run takes: each training pipeline's budget."""
    return {'sklearn_variables': dict(QUICK_SKLEARN), 'xgboost_variables': dict(QUICK_XGBOOST)}


def describe(retrain_after: int) -> str:
    return (
        f'quick budgets: sklearn_training {json.dumps(QUICK_SKLEARN)}; xgboost_training {json.dumps(QUICK_XGBOOST)}; '
        f'retraining when the source holds {retrain_after} month(s) after the champion (retrain_after_new_months), '
        'or when monitoring finds the champion degraded'
    )
