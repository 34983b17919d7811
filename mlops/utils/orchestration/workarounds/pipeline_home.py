"""A pipeline of another sub-project is found in its own sub-project, whichever one is active.

Upstream: no issue found. Mage 0.9.80 resolves most pipeline look-ups against the *active*
sub-project (``get_repo_path()``): ``PipelineResource.member`` (``GET /api/pipelines/<uuid>``:
"Pipeline sklearn_training does not exist" with unit_1 active), ``BlockRun.get_outputs`` and
``OutputResource`` (``Pipeline.get(uuid)``: the block outputs of a unit_4 ``predict`` run were
looked for, and an empty folder made, under unit_1's variables), the Triggers charts of the
training dashboards, a pipeline's interactions. Mage can already search every sub-project
(``all_projects=True``, ``settings/platform/utils.get_pipeline_config_path``); most callers do
not ask it to. Can go when ``tests/utils/orchestration/test_pipeline_home.py``'s unpatched control
finds ``predict`` in unit_4_triggering with unit_1_data_preparation active.

A look-up moves to another sub-project only when the folder it was given (or the active
sub-project) is one of the platform's sub-projects, lacks the pipeline, and exactly one other
sub-project has it: a pipeline being created, or a path outside the platform, is left alone.
"""

from __future__ import annotations

import functools
import os
from types import ModuleType
from typing import List, Optional

from mlops.utils.orchestration.patching import patch_on_import

PIPELINES_FOLDER, CONFIG_FILE = 'pipelines', 'metadata.yaml'


def _holds(project_path: str, uuid: str) -> bool:
    return os.path.isfile(os.path.join(project_path, PIPELINES_FOLDER, uuid, CONFIG_FILE))


def _sub_project_paths() -> List[str]:
    from mage_ai.settings.platform import build_repo_path_for_all_projects

    return [
        os.path.realpath(p['full_path']) for p in build_repo_path_for_all_projects(mage_projects_only=True).values()
    ]


def pipeline_home(uuid: object, repo_path: Optional[str]) -> Optional[str]:
    """The sub-project folder to look ``uuid`` up in instead of ``repo_path`` (None: the active
    sub-project), or None to leave the look-up as Mage made it."""
    from mage_ai.settings.platform import project_platform_activated
    from mage_ai.settings.repo import get_repo_path

    if not isinstance(uuid, str) or not uuid or not project_platform_activated():
        return None
    asked = os.path.realpath(repo_path or get_repo_path())
    projects = _sub_project_paths()
    if asked not in projects or _holds(asked, uuid):
        return None
    holders = [p for p in projects if _holds(p, uuid)]
    return holders[0] if len(holders) == 1 else None


def _find_in_its_home(module: ModuleType) -> None:
    pipeline_class = module.Pipeline
    original_init = pipeline_class.__init__

    @functools.wraps(original_init)
    def __init__(self, uuid, repo_path=None, *args, **kwargs):
        original_init(self, uuid, pipeline_home(uuid, repo_path) or repo_path, *args, **kwargs)

    def moved(name: str, asynchronous: bool = False) -> None:
        """A classmethod ``(cls, uuid, repo_path=None, ..., all_projects=False)`` asked with the
        pipeline's own sub-project (when it does not search them all already)."""
        original = getattr(pipeline_class, name).__func__

        def home(uuid, repo_path, kwargs) -> Optional[str]:
            return None if kwargs.get('all_projects') else pipeline_home(uuid, repo_path)

        if asynchronous:

            async def method(cls, uuid, repo_path=None, *args, **kwargs):
                return await original(cls, uuid, home(uuid, repo_path, kwargs) or repo_path, *args, **kwargs)
        else:

            def method(cls, uuid, repo_path=None, *args, **kwargs):
                return original(cls, uuid, home(uuid, repo_path, kwargs) or repo_path, *args, **kwargs)

        setattr(pipeline_class, name, classmethod(functools.wraps(original)(method)))

    pipeline_class.__init__ = __init__
    moved('_get_config_path')  # Pipeline.get and get_config
    moved('get_async', asynchronous=True)
    moved('load_metadata', asynchronous=True)
    moved('exists')


def install_pipeline_home() -> None:
    """Every pipeline look-up of Mage's finds the pipeline in the sub-project that holds it."""
    patch_on_import('mage_ai.data_preparation.models.pipeline', _find_in_its_home)
