from mlops.utils.observability.run_health import run_seconds
from mlops.utils.pipelines import XGBOOST_TRAINING


@xy  # noqa: F821 (Mage gives the decorator and the runs of its pipeline_runs data source)
def durations(runs, *args, **kwargs):
    return run_seconds(runs, XGBOOST_TRAINING.pipeline)
