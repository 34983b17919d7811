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

import os
from pathlib import Path
from types import ModuleType
from typing import List, Tuple

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.paths import REPO_ROOT


def sub_projects(platform_root: Path = REPO_ROOT / 'mlops') -> List[Path]:
    """The sub-project folders the platform's ``settings.yaml`` lists."""
    import yaml

    settings = yaml.safe_load((platform_root / 'settings.yaml').read_text()) or {}
    return [platform_root / name for name in settings.get('projects') or {}]


def trigger_files(platform_root: Path = REPO_ROOT / 'mlops') -> List[Tuple[Path, str]]:
    """(sub-project folder, pipeline uuid) of every pipeline that has a ``triggers.yaml``."""
    return [
        (project, triggers.parent.name)
        for project in sub_projects(platform_root)
        for triggers in sorted((project / 'pipelines').glob('*/triggers.yaml'))
    ]


# MLOPS_TIME_TRIGGERS=off syncs every time trigger as inactive: a copy of the platform (staging,
# a test) that must not retrain or monitor on its own. API triggers stay as their files say.
TIME_TRIGGERS_ENV = 'MLOPS_TIME_TRIGGERS'


def time_triggers_on() -> bool:
    value = os.environ.get(TIME_TRIGGERS_ENV, 'on').strip().lower()
    if value not in ('on', 'off'):
        raise ConfigError(f'{TIME_TRIGGERS_ENV} must be on or off, got {value!r}')
    return value == 'on'


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
