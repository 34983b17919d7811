from mlops.utils.observability.dashboard import training_trials_per_run
from mlops.utils.pipelines import SKLEARN_TRAINING

x, y = training_trials_per_run(SKLEARN_TRAINING.pipeline)
