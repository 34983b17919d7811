"""Which model the model server serves: the champion, followed as its alias moves.

Why it is this long: it is a whole process of its own (``scripts/serve.sh`` runs it beside the
server): downloading and checking a version, the follower's loop with its named failures, and its
command line.

``scripts/serve.sh`` runs this beside the server, with the repository's code (the server's
workers import only the model's): ``start`` downloads the first model into the server's folder
and names it in the folder's pointer (``scoring_app.POINTER_FILE``), ``follow`` then asks the
registry every ``MODEL_SERVER_POLL_SECONDS`` (default 2) which version the alias points at (one
call: ``schema.champion_version``) and, when it moved, checks what the registry says of the new
version (its data contract: minutes of trip duration), downloads it and names it in the pointer;
each worker then loads and checks it and swaps it in (``scoring_app.FollowingApp``).

Nothing is taken on trust: a version that cannot be downloaded or is not for minutes is logged
naming it and why and not named, and not tried again until the alias moves; a registry that
does not answer is logged (once, and when it answers again) and never read as "no champion";
an alias removed leaves the version serving. Any other URI than ``models:/<name>@champion``
(MODEL_SERVER_MODEL_URI) is served as it is, not followed.

    python -m mlops.utils.inference.follow_champion start MODEL_URI FOLDER
    python -m mlops.utils.inference.follow_champion follow FOLDER
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import replace
from typing import Any, Callable, List, Optional, Tuple

from mlops.utils.errors import ConfigError, DataError
from mlops.utils.inference.scoring_app import (
    KEPT_MODELS,
    RETRIED,
    Pointer,
    ServedModel,
    read_pointer,
    write_pointer,
)
from mlops.utils.tracking.contract import unserved_target, version_contract
from mlops.utils.tracking.loading import what_is_missing
from mlops.utils.tracking.mlflow_setup import RegistryError, shown_uri
from mlops.utils.tracking.schema import CHAMPION, champion_version, registry_uri

POLL_ENV_VAR = 'MODEL_SERVER_POLL_SECONDS'
DEFAULT_POLL_SECONDS = 2.0
VERSIONS_FOLDER = 'versions'  # in the server's folder: one sub-folder per model downloaded

_CHAMPION_URI = re.compile(rf'^models:/(?P<name>[^/@]+)@{CHAMPION}$')
_VERSION_URI = re.compile(r'^models:/(?P<name>[^/@]+)/(?P<version>\d+)$')
_ALIAS_URI = re.compile(r'^models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)$')


def poll_seconds() -> float:
    raw = os.environ.get(POLL_ENV_VAR, '').strip()
    if not raw:
        return DEFAULT_POLL_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float('inf'):
        raise ConfigError(f'{POLL_ENV_VAR} must be a positive number of seconds, got {raw!r}')
    return value


def followed_model(uri: str) -> Optional[str]:
    """The registered model whose champion ``uri`` names (``models:/<name>@champion``), else None."""
    match = _CHAMPION_URI.match(uri)
    return match['name'] if match else None


class BrokenVersionError(DataError):
    """A version the server must not serve: its artifacts cannot be had, or it is not for minutes."""


def download(client: Any, folder: str, uri: str, generation: int, name: str = '', version: str = '') -> ServedModel:
    """The model at ``uri`` downloaded into ``folder``/versions/ whole (a partial download never
    has the final name). BrokenVersionError naming what is missing when the registry answers
    but the model is not there; RegistryError when it does not answer."""
    import mlflow

    label = f'g{generation}-v{version}' if version else f'g{generation}'
    target = os.path.join(folder, VERSIONS_FOLDER, label)
    partial = os.path.join(folder, VERSIONS_FOLDER, f'.{label}.partial')
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=partial)
        if not os.path.isfile(os.path.join(local, 'MLmodel')):  # a folder gone downloads as nothing, silently
            raise FileNotFoundError(f'{uri} downloaded without its MLmodel')
    except Exception as error:
        shutil.rmtree(partial, ignore_errors=True)
        if not version:
            raise BrokenVersionError(f'{uri} cannot be downloaded: {type(error).__name__}: {error}') from error
        raise _broken_or_unreachable(client, name, version, error) from error
    os.rename(partial, target)
    return ServedModel(generation, version, os.path.normpath(os.path.join(target, os.path.relpath(local, partial))))


def _broken_or_unreachable(client: Any, name: str, version: str, error: Exception) -> Exception:
    """A failed download is the version's fault only if the registry answers about its artifacts."""
    import mlflow

    try:
        mlflow.artifacts.list_artifacts(artifact_uri=client.get_model_version_download_uri(name, version))
    except Exception as listing:
        return RegistryError(
            f'the MLflow registry at {shown_uri(registry_uri(client))} could not give {name} version {version} '
            f'({type(listing).__name__}: {listing})'
        )
    return BrokenVersionError(
        f'{name} version {version} cannot be loaded: {what_is_missing(client, name, version, error)}'
    )


def champion_download(client: Any, folder: str, name: str, champion: Any, generation: int) -> ServedModel:
    """The champion version ``champion`` (an MLflow ``ModelVersion``), checked and downloaded."""
    version = str(champion.version)
    unserved = unserved_target(version_contract(client, champion))
    if unserved:
        raise BrokenVersionError(f'{name} version {version} cannot be the {CHAMPION}: its {unserved}')
    return download(client, folder, f'models:/{name}/{version}', generation, name, version)


def start(client: Any, uri: str, folder: str) -> str:
    """The first model into ``folder`` and its pointer; returns how it is served, for the log."""
    name = followed_model(uri)
    if name is not None:
        champion = champion_version(client, name)
        if champion is None:
            raise ConfigError(f"model {name!r} has no '{CHAMPION}' version yet: train first (./scripts/run.sh)")
        model = champion_download(client, folder, name, champion, 1)
        write_pointer(folder, Pointer(name, uri, (model,)))
        return f'{uri} (version {model.version}, following the alias: asked every {poll_seconds():g} s)'
    name, version = _fixed_version(client, uri)
    exact = f'models:/{name}/{version}' if version else uri  # an alias is resolved once, here
    write_pointer(folder, Pointer(name, uri, (download(client, folder, exact, 1, name, version),)))
    return uri


def _fixed_version(client: Any, uri: str) -> tuple:
    """(registered model, version) of a URI served as it is; ('', '') when it names none."""
    match = _VERSION_URI.match(uri)
    if match:
        return match['name'], match['version']
    match = _ALIAS_URI.match(uri)
    if not match:
        return '', ''
    try:
        return match['name'], str(client.get_model_version_by_alias(match['name'], match['alias']).version)
    except Exception as error:
        raise ConfigError(f'{uri} names no version: {getattr(error, "message", error)}') from error


class Follower:
    """One step a poll: the alias's version, named in the pointer once it is checked and downloaded."""

    def __init__(self, client: Any, folder: str, say: Callable[[str], None]):
        self.client, self.folder, self.say = client, folder, say
        pointer = read_pointer(folder)
        self.name = followed_model(pointer.uri)
        if self.name is None:
            raise ConfigError(f'the model server serves {pointer.uri}, not a {CHAMPION}: nothing to follow')
        self.seen = pointer.models[0].version  # the alias's version when last asked and acted on
        self.unanswered = ''  # the registry's failure, said once until it changes or ends
        self.without_alias = False

    def poll(self) -> None:
        pointer = read_pointer(self.folder)
        named = pointer.models[0]
        try:
            champion = champion_version(self.client, self.name)
        except Exception as error:  # RegistryError, or a store that failed otherwise
            self._unanswered(error)
            return
        self._answered(champion)
        if champion is None:
            return
        version = str(champion.version)
        if version in (self.seen, named.version):  # not moved, or back to the version named last
            self.seen = version
            return
        try:
            model = champion_download(self.client, self.folder, self.name, champion, named.generation + 1)
        except BrokenVersionError as error:
            self.seen = version
            self.say(f'{error}: it is not served, the workers keep the model they answer with. {RETRIED}')
            return
        except Exception as error:
            self._unanswered(error)
            return
        write_pointer(self.folder, replace(pointer, models=(model, *pointer.models)))
        moved_from, self.seen = self.seen, version
        self._forget(pointer.models[KEPT_MODELS - 1 :])
        self.say(
            f'the {CHAMPION} of {self.name} moved from version {moved_from} to version {version}: '
            'downloaded; each worker loads and checks it, then answers with it'
        )

    def _unanswered(self, error: Exception) -> None:
        """Said once until it changes; asked again next poll (never read as "no champion")."""
        said = str(error) if isinstance(error, RegistryError) else f'{type(error).__name__}: {error}'
        if said != self.unanswered:
            self.say(f'the registry did not answer, the workers keep the model they answer with: {said}')
        self.unanswered = said

    def _answered(self, champion: Any) -> None:
        if self.unanswered:
            self.say('the registry answers again')
            self.unanswered = ''
        if champion is None and not self.without_alias:
            self.say(f'{self.name} has no {CHAMPION} alias now: the workers keep the model they answer with')
        self.without_alias = champion is None

    def _forget(self, dropped: Tuple[ServedModel, ...]) -> None:
        """The folders of models the pointer no longer names (a worker holds what it loaded)."""
        versions = os.path.join(self.folder, VERSIONS_FOLDER)
        for model in dropped:
            if os.path.commonpath([versions, model.path]) == versions:
                shutil.rmtree(os.path.join(versions, os.path.relpath(model.path, versions).split(os.sep)[0]), True)


def say(message: str) -> None:
    print(f'model server: {message}', file=sys.stderr, flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    from mlflow.tracking import MlflowClient

    args = sys.argv[1:] if argv is None else argv
    # A poll is one quick question: no minutes of retries against a registry that is down.
    os.environ.setdefault('MLFLOW_HTTP_REQUEST_MAX_RETRIES', '0')
    os.environ.setdefault('MLFLOW_HTTP_REQUEST_TIMEOUT', '10')
    os.environ.setdefault('MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR', 'false')  # one log line a download, not dozens
    if args in (['-h'], ['--help']):
        print(__doc__)
        return 0
    try:
        every = poll_seconds()
        if len(args) == 3 and args[0] == 'start':  # two lines: follow or fixed, then how it is served
            serving = start(MlflowClient(), args[1], args[2])
            print('follow' if followed_model(args[1]) else 'fixed', serving, sep='\n')
            return 0
        if len(args) == 2 and args[0] == 'follow':
            follower, failed = Follower(MlflowClient(), args[1], say), ''
            while True:
                time.sleep(every)
                try:
                    follower.poll()
                    failed = ''
                except Exception as error:  # never stop following over one poll (serve.sh would stop all)
                    if str(error) != failed:
                        say(
                            f'a poll failed, the workers keep the model they answer with: {type(error).__name__}: {error}'
                        )
                    failed = str(error)
    except (ConfigError, DataError) as error:  # RegistryError, BrokenVersionError included
        print(f'error: {error}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; serve.sh stops the rest
        return 130
    print('usage:\n' + '\n'.join(__doc__.strip().splitlines()[-2:]), file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
