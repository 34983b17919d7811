"""Every sub-project's ``triggers.yaml`` synced into the server's database, whichever
sub-project the UI has active.

Mage 0.9.80's scheduler (``pipeline_scheduler_original.schedule_all``) lists the pipelines of
every sub-project, but its ``sync_schedules`` reads ``triggers.yaml`` of the *active*
sub-project only (``get_triggers_by_pipeline(uuid)`` resolves the uuid there; the unused
``pipeline_scheduler_project_platform.sync_schedules`` does the same). A server started on
unit_1 therefore never fires unit_3's ``daily_monitoring`` or unit_4's ``daily_retraining``
until someone switches the UI to those sub-projects. This syncs each sub-project's triggers
with that sub-project's path (``repo_path``), so Mage resolves each run's pipeline in its own
sub-project. ``MLOPS_TIME_TRIGGERS=off`` keeps the time triggers inactive. No upstream issue found; it can go when Mage's scheduler syncs the triggers of
all sub-projects (check: start on unit_1, list ``/api/pipeline_schedules``).
"""

from __future__ import annotations

from types import ModuleType
from typing import List

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.platform_triggers import time_triggers_on, trigger_files


def _sync_every_sub_project(module: ModuleType) -> None:
    def sync_schedules(pipeline_uuids: List[str]) -> None:  # replaces Mage's: every sub-project's files
        from mage_ai.data_preparation.models.triggers import (
            ScheduleStatus,
            ScheduleType,
            get_triggers_by_pipeline_with_cache,
        )
        from mage_ai.orchestration.db.models.schedules import PipelineSchedule
        from mage_ai.shared.environments import get_env

        paused = not time_triggers_on()
        configs = []
        for project, pipeline_uuid in trigger_files():
            triggers, unchanged = get_triggers_by_pipeline_with_cache(pipeline_uuid, repo_path=str(project))
            if unchanged:  # synced at an earlier tick
                continue
            for trigger in triggers:
                if trigger.envs and get_env() not in trigger.envs:
                    continue
                if paused and trigger.schedule_type == ScheduleType.TIME:
                    trigger.status = ScheduleStatus.INACTIVE
                configs.append(trigger)
        if configs:
            PipelineSchedule.create_or_update_batch(configs)

    module.sync_schedules = sync_schedules


def install_platform_trigger_sync() -> None:
    time_triggers_on()  # a wrong value stops the server at start, naming the variable
    patch_on_import('mage_ai.orchestration.pipeline_scheduler_original', _sync_every_sub_project)
