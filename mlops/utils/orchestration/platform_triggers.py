"""The platform's sub-projects and the pipelines with a ``triggers.yaml`` in each, and whether
time triggers are on (``MLOPS_TIME_TRIGGERS``): what the server's trigger sync
(``workarounds/platform_trigger_sync.py``) reads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple

from mlops.utils.errors import ConfigError
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
