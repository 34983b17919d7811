"""The model server's application: MLflow's scoring server (``mlflow.pyfunc.scoring_server``, what
``mlflow models serve`` runs) on the served model, behind ``request_limits.BodySizeLimit``, that
follows the model named in its folder's pointer and says which version answered.

Why it is this long: it is copied beside the served model and imports nothing from ``mlops``
(below), so the pointer, the model's checks, loading with the code it ships, the following
application and the memory release must all live in this one file.

``scripts/serve.sh`` downloads the model into a working folder (``MLOPS_SERVING_FOLDER``), names
it in the folder's pointer (``served.json``, written by ``inference.follow_champion``), copies this
file and ``request_limits.py`` next to it and starts uvicorn there on
``scoring_app:following_scoring_server``. Standard library at the top and no ``mlops`` import:
the model brings its own ``mlops`` package (the code it ships), which must be the one imported.

Each uvicorn worker follows on its own: a thread reads the pointer every ``POINTER_POLL_SECONDS``
(a local file: no registry call, nothing per request) and, when a newer model is named (the
champion alias moved), loads it beside the one serving, with its own shipped code, and checks it
(``check_answers``: finite minutes for its own input example). Only then is it swapped in, in one
assignment: a request runs to its end on the model it started with. A model that fails is
logged naming its version and why, the one serving goes on, and it is not tried again until the
pointer names another (the alias moved again). Every answer of a model carries
``X-Model-Version``; the JSON stays MLflow's ``{"predictions": [...]}``.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Tuple

try:  # the model server's folder: scripts/serve.sh copies request_limits.py next to this file
    import request_limits
except ImportError:  # the repository (inference.follow_champion, the tests)
    from mlops.utils.model_code import request_limits

SERVING_FOLDER_ENV_VAR = 'MLOPS_SERVING_FOLDER'  # set by scripts/serve.sh: the server's working folder
POINTER_FILE = 'served.json'
# Models a pointer keeps, newest first: a worker that starts later (uvicorn restarts one that
# died) serves the newest of them that loads and checks, as the others do.
KEPT_MODELS = 5
POINTER_POLL_SECONDS = 0.5
VERSION_HEADER = 'X-Model-Version'
RETRIED = 'Tried again when the alias moves.'  # what the log adds to a model refused
# After a swap, requests still running on the old model finish (a 100k-trip batch takes about a
# second) before its memory is given back (see _release_old_models).
DRAIN_SECONDS = 5.0

log = logging.getLogger('uvicorn.error')  # uvicorn's own log: the lines a server operator reads


@dataclass(frozen=True)
class ServedModel:
    generation: int  # one more for every model the pointer names
    version: str  # the registered version, '' when the model is not one (a run's or a path)
    path: str  # the downloaded model (its MLmodel's folder)


@dataclass(frozen=True)
class Pointer:
    model: str  # the registered model's name ('' for a model that is not registered)
    uri: str  # what the server was started on: models:/<name>@champion follows the alias
    models: Tuple[ServedModel, ...]  # newest first, at most KEPT_MODELS

    def named(self, version: str) -> str:
        return f'{self.model} version {version}' if self.model and version else self.uri


def read_pointer(folder: str) -> Pointer:
    with open(os.path.join(folder, POINTER_FILE)) as handle:
        raw = json.load(handle)
    return Pointer(raw['model'], raw['uri'], tuple(ServedModel(**m) for m in raw['models']))


def write_pointer(folder: str, pointer: Pointer) -> None:
    """Replaces the pointer in one rename: a reader sees the old one or the new one, whole."""
    partial = os.path.join(folder, f'.{POINTER_FILE}.partial')
    with open(partial, 'w') as handle:
        json.dump({**asdict(pointer), 'models': [asdict(m) for m in pointer.models[:KEPT_MODELS]]}, handle)
    os.replace(partial, os.path.join(folder, POINTER_FILE))


class ModelCheckError(Exception):
    """A loaded model answers what no trip's duration can be."""


def check_answers(model: Any) -> None:
    """ModelCheckError unless ``model`` (an MLflow pyfunc model) answers its own input example, as
    many trips as a request may hold, with one finite number of minutes a trip."""
    import numpy as np

    example = model.input_example
    if example is None:
        raise ModelCheckError('it has no input example to check its answers with')
    if hasattr(example, 'iloc'):
        example = example.iloc[: request_limits.max_records()]
    answers = model.predict(example)
    minutes = np.asarray(answers.to_numpy() if hasattr(answers, 'to_numpy') else answers, dtype=float).ravel()
    if len(minutes) != len(example):
        raise ModelCheckError(f'it gave {len(minutes)} answers for the {len(example)} trips of its input example')
    bad = np.flatnonzero(~np.isfinite(minutes))
    if bad.size:
        raise ModelCheckError(
            f'it predicts {minutes[bad[0]]} minutes for trip {bad[0]} of its input example '
            f'({bad.size} of {len(minutes)} not finite)'
        )


def _shipped_modules(path: str) -> Set[str]:
    """The top-level modules in the model's code folder (MLflow's ``code_paths``)."""
    from mlflow.models import Model
    from mlflow.pyfunc import CODE, FLAVOR_NAME

    code = Model.load(path).flavors.get(FLAVOR_NAME, {}).get(CODE)
    folder = os.path.join(path, code) if code else ''
    if not os.path.isdir(folder):
        return set()
    return {
        name.removesuffix('.py')
        for name in os.listdir(folder)
        if name.endswith('.py') or os.path.isfile(os.path.join(folder, name, '__init__.py'))
    }


def _modules_named(names: Set[str]) -> Dict[str, Any]:
    return {name: module for name, module in list(sys.modules.items()) if name.partition('.')[0] in names}


def load_checked(path: str) -> Any:
    """The model at ``path``, loaded with the code it ships and checked (``check_answers``).

    MLflow puts a model's code folder first on ``sys.path``, but a module imported already (the
    serving model's ``mlops``) would be used as it is: the new model's modules are imported
    afresh, while the serving model keeps the ones it holds. If loading or the check fails, the
    modules and ``sys.path`` are put back as they were."""
    from mlflow.pyfunc import scoring_server

    try:
        names = _shipped_modules(path)
    except Exception:
        names = set()  # no readable MLmodel: loading says what is wrong
    kept_modules, kept_path = _modules_named(names), list(sys.path)
    for name in kept_modules:
        del sys.modules[name]
    try:
        model = scoring_server.load_model_with_mlflow_config(path)
        check_answers(model)
        return model
    except BaseException:
        for name in _modules_named(names):
            del sys.modules[name]
        sys.modules.update(kept_modules)
        sys.path[:] = kept_path
        raise


def failure(error: BaseException) -> str:
    if isinstance(error, ModelCheckError):
        return str(error)
    if isinstance(error, FileNotFoundError) and error.filename:
        return f'it cannot be loaded: {error.filename} is missing'
    if isinstance(error, ModuleNotFoundError):
        return f'it cannot be loaded: it imports Python module {error.name!r}, which is not there'
    return f'it cannot be loaded: {type(error).__name__}: {error}'


Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Serving:
    model: ServedModel
    app: App  # MLflow's scoring server on it
    header: Optional[Tuple[bytes, bytes]]  # (x-model-version, <version>) when it is a registered version


def serving(model: ServedModel) -> Serving:
    from mlflow.pyfunc import scoring_server

    app = scoring_server.init(load_checked(model.path))
    header = (VERSION_HEADER.lower().encode(), model.version.encode()) if model.version else None
    return Serving(model, app, header)


class FollowingApp:
    """ASGI: each request goes to the model serving when it arrives, whose version its answer
    names; ``follow`` swaps in the newer models the pointer names."""

    def __init__(self, folder: str, pointer: Pointer, first: Serving):
        self.folder, self.pointer, self.serving = folder, pointer, first
        self.seen = pointer.models[0].generation  # the newest model this worker has tried

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        current = self.serving  # one read: the request runs on this model to its end
        if current.header is None or scope['type'] != 'http':
            await current.app(scope, receive, send)
            return
        header = current.header

        async def send_naming_version(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message = {**message, 'headers': [*message.get('headers', ()), header]}
            await send(message)

        await current.app(scope, receive, send_naming_version)

    def follow(self, every: float = POINTER_POLL_SECONDS) -> None:
        """Forever (a daemon thread): the pointer's newest model, once, when it changes. A failure
        is logged once until it changes; serving goes on."""
        said = ''
        while True:
            time.sleep(every)
            try:
                pointer = read_pointer(self.folder)
                newest = pointer.models[0]
                if newest.generation != self.seen:
                    self.seen, self.pointer = newest.generation, pointer
                    self.switch_to(newest)
                said = ''
            except Exception as error:  # the pointer unreadable (a hand edit), or worse: never stop following
                if str(error) != said:
                    log.error(
                        'model server worker %d: following %s failed (%s: %s); serving goes on',
                        os.getpid(),
                        POINTER_FILE,
                        type(error).__name__,
                        error,
                    )
                said = str(error)

    def switch_to(self, newest: ServedModel) -> None:
        old = self.serving.model
        was = self.pointer.named(old.version)
        if newest.version and newest.version == old.version:
            return  # the alias came back to the version serving
        started = time.monotonic()
        try:
            replacement = serving(newest)
        except Exception as error:
            log.error(
                'model server worker %d: %s is not served, %s goes on: %s. %s',
                os.getpid(),
                self.pointer.named(newest.version),
                was,
                failure(error),
                RETRIED,
            )
            _release_old_models()  # what it left
            return
        self.serving = replacement
        log.info(
            'model server worker %d: %s answers now (was %s), loaded and checked in %.1f s',
            os.getpid(),
            self.pointer.named(newest.version),
            was,
            time.monotonic() - started,
        )
        _release_old_models()


def _release_old_models() -> None:
    """A model server freezes its heap once the model is loaded (model_code/model.py: full
    collections over it paused requests); a new model froze it again with the old one inside
    (or a model refused, with itself inside). Once the requests on the old one are done
    (``DRAIN_SECONDS``, in a thread of its own: following goes on meanwhile), its memory is given
    back with one full collection (a pause of about half a second, once per new model) and the
    heap frozen again."""
    if gc.get_freeze_count():
        collection = threading.Timer(DRAIN_SECONDS, _collect_and_freeze)
        collection.daemon = True
        collection.start()


def _collect_and_freeze() -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def first_serving(pointer: Pointer) -> Serving:
    """The newest model of the pointer that loads and checks (at the server's start: the model
    serve.sh downloaded; in a worker started later, what the others serve); RuntimeError naming
    each failure when none does."""
    failures = []
    for model in pointer.models:
        try:
            return serving(model)
        except Exception as error:
            failures.append(f'{pointer.named(model.version)}: {failure(error)}')
            log.error(
                'model server worker %d: %s is not served: %s',
                os.getpid(),
                pointer.named(model.version),
                failure(error),
            )
    raise RuntimeError(f'no model to serve: {"; ".join(failures)}')


def following_scoring_server() -> request_limits.BodySizeLimit:
    """The model server's application (``uvicorn --factory scoring_app:following_scoring_server``):
    MLflow's scoring server on the model the pointer in ``MLOPS_SERVING_FOLDER`` names, following
    it, behind ``BodySizeLimit``; the model's predict holds each request to ``max_records()``. A
    bad limit stops it before a model loads."""
    body_limit = request_limits.max_body_bytes()
    request_limits.max_records()
    folder = os.environ.get(SERVING_FOLDER_ENV_VAR)
    if not folder:
        raise RuntimeError(f'{SERVING_FOLDER_ENV_VAR} is not set: start the model server with scripts/serve.sh')
    os.environ[request_limits.SERVING_REQUESTS_ENV_VAR] = '1'
    pointer = read_pointer(folder)
    app = FollowingApp(folder, pointer, first_serving(pointer))
    log.info('model server worker %d: %s answers', os.getpid(), pointer.named(app.serving.model.version))
    threading.Thread(target=app.follow, name='follow-served-model', daemon=True).start()
    return request_limits.BodySizeLimit(app, body_limit)
