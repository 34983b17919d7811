from mlops.utils.observability.dashboard import training_trials_per_run
from mlops.utils.pipelines import XGBOOST_TRAINING

x, y = training_trials_per_run(XGBOOST_TRAINING.pipeline)
