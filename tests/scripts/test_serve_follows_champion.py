"""./scripts/serve.sh follows the champion: with clients posting trips all along, the alias moved
to another version is served within 10 s by every worker, each answer naming the version that
gave it (X-Model-Version) and equal to that version's own predictions, and not one request fails.
A champion that must not serve (its artifacts gone, NaN minutes, another target) is not loaded:
the version serving goes on, and the log names the version and why, once. A follower that dies
stops serve.sh, named (a server that no longer follows must not look healthy).

Why it is this long: clients posting all along while the alias moves, and the versions that must
not be served, need their own load and version helpers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlparse

import numpy as np
import pytest
import requests
from sklearn.linear_model import LinearRegression

from mlops.utils.inference.clients import predict_served
from mlops.utils.inference.scoring_app import VERSION_HEADER
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.training_data import TrainingData
from mlops.utils.tracking.schema import CHAMPION, CONTRACT_TARGET, CONTRACT_TARGET_UNIT
from testkit.registered import embedded_store, register_constant, register_model
from testkit.servers import ServerProcess, free_port

MODEL = 'test-model'
WORKERS = 2
SWITCH_SECONDS = 10.0  # the promise: the new champion answers every request sent this long after the move
PAUSE = 0.02  # between a client's requests: the server's two cores are shared with the clients (and other tests)


@dataclass
class Answer:
    sent: float  # time.monotonic() when the request went out
    client: str
    status: int  # 0: no answer (the exception in error)
    version: Optional[str]
    predictions: Optional[list]
    error: str = ''


class Clients:
    """Two clients posting the same trips until stopped: one over a kept-alive connection (it
    stays with one worker), one over a new connection a request (any worker)."""

    def __init__(self, url: str, body: str):
        self.url, self.body = url, body
        self.answers: List[Answer] = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.loop, args=(name,), daemon=True) for name in ('kept-alive', 'new-connection')
        ]

    def __enter__(self) -> 'Clients':
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(120)

    def loop(self, name: str) -> None:
        session = requests.Session() if name == 'kept-alive' else None
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                post = session.post if session else requests.post
                response = post(self.url, data=self.body, headers={'Content-Type': 'application/json'}, timeout=60)
                predictions = response.json().get('predictions') if response.status_code == 200 else None
                answer = Answer(sent, name, response.status_code, response.headers.get(VERSION_HEADER), predictions)
                if response.status_code != 200:
                    answer.error = response.text[:300]
            except Exception as error:  # a failed request: what the test counts
                answer = Answer(sent, name, 0, None, None, f'{type(error).__name__}: {error}')
            self.answers.append(answer)
            time.sleep(PAUSE)

    def sent_since(self, moment: float) -> List[Answer]:
        return [a for a in list(self.answers) if a.sent >= moment]

    def wait_for(self, version: str, since: float, timeout: float = 60.0) -> float:
        """Seconds from ``since`` until every answer says ``version`` (both clients' last three do):
        when the last request answered by another version was sent."""
        deadline = since + timeout
        while time.monotonic() < deadline:
            recent = self.sent_since(since)
            lasts = [[a.version for a in recent if a.client == c][-3:] for c in ('kept-alive', 'new-connection')]
            if all(last == [version] * 3 for last in lasts):
                return max([a.sent for a in recent if a.version != version], default=since) - since
            time.sleep(0.2)
        raise AssertionError(
            f'version {version} not served {timeout:.0f} s after the move: {self.sent_since(since)[-6:]}'
        )


def register_nan_model(client, experiment: str, data: TrainingData) -> str:
    """A version whose model loads but predicts NaN minutes (an intercept lost), registered
    outside the champion rule, as any hand could: the server must check it before it serves."""
    import mlflow

    from mlops.utils.tracking.runs import log_final_model, start_parent

    estimator = LinearRegression().fit(data.X_train, data.y_train)
    estimator.intercept_ = float('nan')
    parent = start_parent(client, experiment, 'NaN intercept', {})
    _, uri = log_final_model(
        client, parent, TripDurationModel(data.dv, estimator), {}, {}, {}, {}, data.validation_records()
    )
    return str(mlflow.register_model(uri, MODEL).version)


def follower_of(session: int) -> int:
    """The pid of serve.sh's follower (``follow_champion follow``) in the session it leads."""
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            in_session = int(stat.read_text().rsplit(')', 1)[1].split()[3]) == session  # its session id
            command = (stat.parent / 'cmdline').read_bytes().split(b'\0')
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if in_session and b'mlops.utils.inference.follow_champion' in command and b'follow' in command:
            return int(stat.parent.name)
    raise AssertionError(f'no follower in session {session}')


def lines(log: Path, pattern: str) -> List[str]:
    return re.findall(pattern, log.read_text(), flags=re.MULTILINE)


def wait_for_log(log: Path, pattern: str, count: int, timeout: float = 60.0) -> List[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = lines(log, pattern)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f'{count} log lines like {pattern!r} not seen in {timeout:.0f} s:\n{log.read_text()[-3000:]}')


@pytest.mark.slow
def test_the_server_follows_the_champion_checks_it_and_no_request_fails(tmp_path, data):
    import mlflow
    from mlflow.tracking import MlflowClient

    trips = data.validation_records().drop(columns=['duration']).sample(20, random_state=0).reset_index(drop=True)
    body = json.dumps({'dataframe_split': trips.to_dict(orient='split', index=False)})
    with embedded_store(tmp_path / 'data', MODEL) as experiment:
        client = MlflowClient()
        linear = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
        first, _ = register_model(experiment, data, linear, 'linear_model.LinearRegression')
        assert first.promoted
        v1 = str(first.version)
        v2 = str(register_constant(experiment, data, 30.0)[0].version)  # 30 minutes for any trip
        v3 = str(register_constant(experiment, data, 20.0)[0].version)
        shutil.rmtree(urlparse(client.get_model_version_download_uri(MODEL, v3)).path)  # its artifacts are gone
        v4 = register_nan_model(client, experiment, data)
        # version 1's model, registered again as predicting another target: not the champion's minutes
        v5 = str(
            mlflow.register_model(
                client.get_model_version(MODEL, v1).source,
                MODEL,
                tags={CONTRACT_TARGET: 'trip_distance', CONTRACT_TARGET_UNIT: 'miles'},
            ).version
        )
        # what each version answers in this process, loaded by MLflow from the registry
        expected = {v: mlflow.pyfunc.load_model(f'models:/{MODEL}/{v}').predict(trips) for v in (v1, v2)}
        assert not np.allclose(expected[v1], expected[v2])

        port, log, scratch = free_port(), tmp_path / 'serve.log', tmp_path / 'tmp'
        scratch.mkdir()
        env = {
            'MODEL_SERVER_HOST': '127.0.0.1',
            'MODEL_SERVER_PORT': str(port),
            'MODEL_SERVER_WORKERS': str(WORKERS),
            'TMPDIR': str(scratch),  # its working folder, not another test's server's
        }
        started = rf'worker \d+: {MODEL} version {v1} answers$'

        def ready() -> bool:
            try:
                up = requests.get(f'http://127.0.0.1:{port}/ping', timeout=2).status_code == 200
            except requests.RequestException:
                return False
            return up and len(lines(log, started)) == WORKERS

        url = f'http://127.0.0.1:{port}/invocations'
        with ServerProcess(['bash', 'scripts/serve.sh'], ready, log, env=env) as server:
            assert f'serving models:/{MODEL}@{CHAMPION} (version {v1}, following the alias: asked every 2 s)' in (
                log.read_text()
            )
            with Clients(url, body) as clients:
                time.sleep(1)
                assert {a.version for a in clients.answers} == {v1}

                moved = time.monotonic()
                client.set_registered_model_alias(MODEL, CHAMPION, v2)
                took = clients.wait_for(v2, moved)
                time.sleep(max(0.0, moved + SWITCH_SECONDS + 2 - time.monotonic()))
                late = clients.sent_since(moved + SWITCH_SECONDS)
                assert late and {a.version for a in late} == {v2}, f'switched after {took:.1f} s'
                swapped = wait_for_log(
                    log, rf'worker (\d+): {MODEL} version {v2} answers now \(was {MODEL} version {v1}\)', WORKERS
                )
                assert len(set(swapped)) == WORKERS  # each worker, on its own
                print(f'version {v2} answered every request sent {took:.1f} s after the alias moved and later')

                client.set_registered_model_alias(MODEL, CHAMPION, v3)
                gone = (
                    rf'{MODEL} version {v3} cannot be loaded: nothing is stored at \S+ \(its artifacts are gone\): '
                    'it is not served'
                )
                wait_for_log(log, gone, 1)
                time.sleep(5)  # two more polls of the registry, the alias still on version 3
                assert len(lines(log, gone)) == 1  # said once: tried again only when the alias moves

                client.set_registered_model_alias(MODEL, CHAMPION, v4)
                nan = (
                    rf'worker (\d+): {MODEL} version {v4} is not served, {MODEL} version {v2} goes on: '
                    'it predicts nan minutes'
                )
                assert len(set(wait_for_log(log, nan, WORKERS))) == WORKERS

                client.set_registered_model_alias(MODEL, CHAMPION, v5)
                wait_for_log(
                    log,
                    rf'{MODEL} version {v5} cannot be the {CHAMPION}: its target trip_distance \(miles\) is not what '
                    r'the champion serves: duration \(minutes\)',
                    1,
                )
                time.sleep(3)
                kept = clients.sent_since(moved + SWITCH_SECONDS)
                assert {a.version for a in kept} == {v2}  # through every refused champion

                moved = time.monotonic()
                client.set_registered_model_alias(MODEL, CHAMPION, v1)  # a good one again: followed again
                took_back = clients.wait_for(v1, moved)
                time.sleep(max(0.0, moved + SWITCH_SECONDS + 2 - time.monotonic()))
                late = clients.sent_since(moved + SWITCH_SECONDS)
                assert late and {a.version for a in late} == {v1}, f'switched after {took_back:.1f} s'

                answered = predict_served(trips, url=f'http://127.0.0.1:{port}')  # the project's client
                assert answered.version == v1 and np.allclose(answered.minutes, expected[v1], rtol=0, atol=1e-9)
                bad_trip = {'PULocationID': 0, 'DOLocationID': 75, 'trip_distance': 1.2}
                refused = requests.post(url, json={'dataframe_records': [bad_trip]}, timeout=60)
                assert refused.status_code == 400 and refused.headers[VERSION_HEADER] == v1  # the input rule, as before

            # a follower gone (killed here) would leave a server that no longer follows: serve.sh stops it, named
            os.kill(follower_of(server.process.pid), signal.SIGKILL)
            assert server.process.wait(60) == 1
            assert 'error: the champion follower stopped (exit 137): stopping the server' in log.read_text()

        answers = clients.answers
        failed = [a for a in answers if a.status != 200]
        assert not failed, failed[:5]
        for answer in answers:  # each answer is its version's own, as that version predicts in-process
            assert np.allclose(answer.predictions, expected[answer.version], rtol=0, atol=1e-9), answer
        print(f'{len(answers)} requests, none failed; version {v1} back after {took_back:.1f} s')
    assert not list(scratch.glob('mlops-serve-*'))  # its working folder went with it
