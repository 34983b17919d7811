from mlops.utils.observability.run_health import runs_by_day
from mlops.utils.pipelines import XGBOOST_TRAINING


@xy  # noqa: F821 (Mage gives the decorator and the runs of its pipeline_runs data source)
def completed_and_failed(runs, *args, **kwargs):
    return runs_by_day(runs, XGBOOST_TRAINING.pipeline)
