"""Locations resolved from the repository root, never from the current directory."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Git-ignored folder for everything the pipelines write (Mage state, caches, MLflow)."""
    return Path(os.environ.get('MLOPS_DATA_DIR', REPO_ROOT / '.mage_data')).resolve()


def resolve_local(path: str | os.PathLike) -> Path:
    """A local path; relative ones are taken from the repository root."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (REPO_ROOT / candidate).resolve()


def project_dir(project: str) -> Path:
    """A Mage sub-project's folder (``unit_1_data_preparation`` ...)."""
    return REPO_ROOT / 'mlops' / project
