"""The platform's run variables: Mage's run id and trigger name win over posted variables of the
same name, so a request to an API trigger cannot pose as another run or trigger."""

from __future__ import annotations

from types import SimpleNamespace

from mlops.utils.orchestration.workarounds.run_variables import _with_the_run_id


class FakeMixin:
    def __init__(self, run_id, schedule_name, posted):
        self.id = run_id
        self.pipeline_schedule = None if schedule_name is None else SimpleNamespace(name=schedule_name)
        self.posted = posted

    def get_variables_project_platform(self, *args, **kwargs):
        return dict(self.posted)  # Mage's platform version: the run's variables, no id or trigger


def test_the_runs_own_id_and_trigger_replace_posted_ones():
    _with_the_run_id(SimpleNamespace(PipelineRunProjectPlatformMixin=FakeMixin))
    posted = {'pipeline_run_id': 1, 'trigger_name': 'daily_retraining', 'inputs': []}
    variables = FakeMixin(42, 'retrain_now', posted).get_variables_project_platform()
    assert variables == {'pipeline_run_id': 42, 'trigger_name': 'retrain_now', 'inputs': []}
    assert 'trigger_name' not in FakeMixin(43, None, posted).get_variables_project_platform()
