"""Every sub-project's ``triggers.yaml`` synced into the server's database, whichever
sub-project the UI has active.

Mage 0.9.80's scheduler (``pipeline_scheduler_original.schedule_all``) lists the pipelines of
every sub-project, but its ``sync_schedules`` reads ``triggers.yaml`` of the *active*
sub-project only (``get_triggers_by_pipeline(uuid)`` resolves the uuid there; the unused
``pipeline_scheduler_project_platform.sync_schedules`` does the same). A server started on
unit_1 therefore never fires unit_3's ``daily_monitoring`` or unit_4's ``daily_retraining``
until someone switches the UI to those sub-projects. This syncs each sub-project's triggers
with that sub-project's path (``repo_path``), so Mage resolves each run's pipeline in its own
sub-project. No upstream issue found; it can go when Mage's scheduler syncs the triggers of
all sub-projects (check: start on unit_1, list ``/api/pipeline_schedules``).
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import List, Tuple

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.paths import REPO_ROOT


def sub_projects(platform_root: Path = REPO_ROOT / 'mlops') -> List[Path]:
    """The sub-project folders the platform's ``settings.yaml`` lists."""
    import yaml

    settings = yaml.safe_load((platform_root / 'settings.yaml').read_text()) or {}
    return [platform_root / name for name in settings.get('projects') or {}]


def trigger_files(platform_root: Path = REPO_ROOT / 'mlops') -> List[Tuple[Path, str]]:
    """(sub-project folder, pipeline uuid) of every pipeline that has a ``triggers.yaml``."""
    return [(project, triggers.parent.name)
            for project in sub_projects(platform_root)
            for triggers in sorted((project / 'pipelines').glob('*/triggers.yaml'))]


def _sync_every_sub_project(module: ModuleType) -> None:
    original = module.sync_schedules

    def sync_schedules(pipeline_uuids: List[str]) -> None:
        from mage_ai.data_preparation.models.triggers import get_triggers_by_pipeline_with_cache
        from mage_ai.orchestration.db.models.schedules import PipelineSchedule
        from mage_ai.shared.environments import get_env

        original(pipeline_uuids)  # the active sub-project's, as Mage does
        configs = []
        for project, pipeline_uuid in trigger_files():
            triggers, unchanged = get_triggers_by_pipeline_with_cache(pipeline_uuid, repo_path=str(project))
            if not unchanged:
                configs += [t for t in triggers if not t.envs or get_env() in t.envs]
        if configs:
            PipelineSchedule.create_or_update_batch(configs)

    module.sync_schedules = sync_schedules


def install_platform_trigger_sync() -> None:
    patch_on_import('mage_ai.orchestration.pipeline_scheduler_original', _sync_every_sub_project)
