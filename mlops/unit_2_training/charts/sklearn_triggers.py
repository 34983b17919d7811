from mlops.utils.observability.run_health import trigger_table
from mlops.utils.pipelines import SKLEARN_TRAINING


@xy  # noqa: F821 (Mage gives the decorator and the triggers of its pipeline_schedules data source)
def triggers(schedules, *args, **kwargs):
    return trigger_table(schedules, SKLEARN_TRAINING.pipeline)
