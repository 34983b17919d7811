"""A run's blocks know which run they belong to, on a platform too.

Mage 0.9.80's ``PipelineRun.get_variables`` gives every block ``pipeline_run_id`` and
``trigger_name``; its platform twin (``PipelineRunProjectPlatformMixin
.get_variables_project_platform``, used whenever ``settings.yaml`` makes a platform, as on the
UI server) leaves both out. Training then logged its MLflow runs without the Mage run they came
from (``mage.pipeline_run_id``), so run-health charts and summaries could not tie them to Mage's
records. This adds both, as the single-project version does: set, not defaulted, so a variable
of the same name posted to an API trigger cannot pose as another run or trigger (the checks
of ``triggering/api_variables.py`` go by them). No upstream issue found; it can go when the
platform version sets them (check: ``pipeline_run_id`` in a block's kwargs on a ``mage start``
server).
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


def _with_the_run_id(module: ModuleType) -> None:
    mixin = module.PipelineRunProjectPlatformMixin
    original = mixin.get_variables_project_platform

    def get_variables_project_platform(self, *args, **kwargs):
        variables = original(self, *args, **kwargs)
        variables['pipeline_run_id'] = self.id
        if self.pipeline_schedule is not None:
            variables['trigger_name'] = self.pipeline_schedule.name
        else:
            variables.pop('trigger_name', None)
        return variables

    mixin.get_variables_project_platform = get_variables_project_platform


def install_platform_run_variables() -> None:
    patch_on_import('mage_ai.orchestration.db.models.schedules_project_platform', _with_the_run_id)
