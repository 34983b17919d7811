"""Validation RMSE and wall time of every model family at its default tuning budget.

    python bench/bench_training.py [--families xgboost,linear_model.Lasso] [--data ../shared/data]

Default data: train 2024-01, validate 2024-02, features PU_DO and trip_distance. Targets on a
2-core machine: XGBoost at or below 5.10 minutes RMSE within 5 minutes of tuning; every
sklearn family within 5 minutes. The LinearRegression line is the baseline for the ratio.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips
from mlops.utils.training.config import training_settings
from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS
from mlops.utils.training.steps import XGBOOST, family_for
from mlops.utils.models.training_data import TrainingData
from mlops.utils.models.tuning import evaluate, tune
from mlops.utils.paths import REPO_ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--families', default=','.join(DEFAULT_SKLEARN_MODELS + [XGBOOST]))
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data')
    args = parser.parse_args()
    prepared = prepare_trips(ingest_files('2024-01', '2024-02', source=str(args.data)),
                             'lpep_pickup_datetime', '2024-02-01', 'duration')
    _, X_train, X_val, _, y_train, y_val, dv = build_training_sets(*prepared)
    data = TrainingData(X_train, X_val, y_train, y_val, dv)
    settings = training_settings({})
    baseline = None
    for name in args.families.split(','):
        family = family_for(name, settings)
        started = time.perf_counter()
        result = tune(family, data, settings.budget(family.default_budget), settings.random_state,
                      max_seconds=settings.max_tuning_seconds)
        tuning_seconds = time.perf_counter() - started
        _, metrics = evaluate(family, result.best_params, data)
        total = time.perf_counter() - started
        baseline = baseline or (metrics['rmse'] if name == 'linear_model.LinearRegression' else None)
        versus = f', {metrics["rmse"] / baseline:.3f} of LinearRegression' if baseline else ''
        print(f'{name}: validation RMSE {metrics["rmse"]:.4f}{versus}; {len(result.trials)} evaluations, '
              f'tuning {tuning_seconds:.1f} s, with final fit {total:.1f} s; best {result.best_params}', flush=True)


if __name__ == '__main__':
    main()
