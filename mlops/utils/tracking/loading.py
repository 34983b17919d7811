"""Loading a registered version's model, with a failure that names the version and what of
it is missing instead of MLflow's raw error (for a deleted artifact folder: "No such artifact: ''")."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from mlops.utils.errors import DataError


class BrokenModelError(DataError):
    """A registered version's model cannot be loaded (artifacts gone, a file or module missing)."""


def load_version(client: Any, name: str, version: str) -> Any:
    """``models:/<name>/<version>`` as a pyfunc model; BrokenModelError naming what is missing."""
    import mlflow

    try:
        return mlflow.pyfunc.load_model(f'models:/{name}/{version}')
    except Exception as error:
        raise BrokenModelError(
            f'{name} version {version} cannot be loaded: {what_is_missing(client, name, version, error)}'
        ) from error


def what_is_missing(client: Any, name: str, version: str, error: BaseException) -> str:
    """The missing file or module behind a failed load, read from the error or, when it names
    none, from what the version's artifact location holds."""
    import mlflow

    if isinstance(error, FileNotFoundError) and error.filename:
        return f'{error.filename} is missing'
    if isinstance(error, ModuleNotFoundError):
        return f'Python module {error.name!r} is missing (the model imports it when loading)'
    try:
        location = client.get_model_version_download_uri(name, version)
        stored = {PurePosixPath(f.path).name for f in mlflow.artifacts.list_artifacts(artifact_uri=location)}
    except Exception as listing:
        return f'{type(error).__name__}: {error} (and its artifacts cannot be listed: {listing})'
    if not stored:
        return f'nothing is stored at {location} (its artifacts are gone)'
    if 'MLmodel' not in stored:
        return f'{location}/MLmodel is missing'
    return f'{type(error).__name__}: {error}'
