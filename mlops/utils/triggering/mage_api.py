"""A client for a running Mage server's API triggers: sign in, find a trigger's id and token,
rotate the token, post a run, poll it to its end, read a block's output.

Why it is this long: it is one HTTP API's client, ``MageClient``, with every call the project makes
to a Mage server (sign-in, trigger look-up, token rotation, post, poll, output) over one signed-in
session, and the parsing of Mage's answers.

Mage 0.9.80's synchronous ``POST /api/runs`` fails (SQLAlchemy 2 rejects its
``load_only('id')``, ``mage_ai/server/api/runs.py``), so a prediction is post, poll, read:
``POST /api/pipeline_schedules/<id>/pipeline_runs/<token>`` (the token is the only credential
that call needs), ``GET /api/pipeline_runs/<id>``, ``GET /api/block_runs/<id>/outputs``.
Everything else needs a session when authentication is on (Mage's default). Mage 0.9.80 shows
every API trigger's token to any signed-in user with at least the viewer role (the trigger's
page, ``GET /api/pipeline_schedules``), and changes it only when asked (``rotate_token``, editor
role).

One client class with the few calls every user of the API needs (sign-in, triggers, runs,
outputs): about 320 lines, kept whole so its retries and errors are read in one place.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional

import requests

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.owner_credentials import DEFAULT_EMAIL, client_credentials
from mlops.utils.triggering.sessions import keep_token, kept_token

DEFAULT_URL = 'http://127.0.0.1:6789'
URL_ENV_VAR = 'MAGE_URL'
FINISHED = ('completed', 'failed', 'cancelled')
# The prediction endpoint: unit_4_triggering's predict pipeline, its API trigger, its output.
PREDICT_PIPELINE, PREDICT_TRIGGER, PREDICT_BLOCK = pipelines.PREDICT_API
# Rows of a table output the API returns: Mage's sample size, which its ``sample_count``
# parameter cannot change in 0.9.80 (it reaches a numeric comparison as text: TypeError in
# ``variable.py`` ``__read_parquet``). Larger batches are sent as several runs.


def frontend_client_id() -> str:
    """The API key of the Mage UI's own OAuth application, which every install shares (the
    server creates it at start); sessions are opened with it as the UI does."""
    from mage_ai.settings.server import OAUTH2_APPLICATION_CLIENT_ID

    return os.environ.get('MAGE_API_KEY') or OAUTH2_APPLICATION_CLIENT_ID


class MageApiError(RuntimeError):
    """The server refused a call, or a run did not complete; the message says which."""


@dataclass(frozen=True)
class ApiTrigger:
    schedule_id: int
    token: str
    pipeline_uuid: str
    name: str

    def url(self, base_url: str) -> str:
        return f'{self.url_before_token(base_url)}{self.token}'

    def url_before_token(self, base_url: str) -> str:
        """The trigger's URL up to its token: Mage takes the token as the path's last part."""
        return f'{base_url.rstrip("/")}/api/pipeline_schedules/{self.schedule_id}/pipeline_runs/'


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f'HTTP {response.status_code}: {response.text[:300]}'
    error = body.get('error') if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f'HTTP {response.status_code}: {error.get("message") or error.get("exception") or error}'
    return f'HTTP {response.status_code}'


class MageClient:
    """One signed-in session with a Mage server (``MAGE_URL``, default the local UI)."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        email: Optional[str] = None,
        password: Optional[str] = None,
        timeout: float = 30.0,
        keep_session: bool = False,
    ):
        self.base_url = (base_url or os.environ.get(URL_ENV_VAR) or DEFAULT_URL).rstrip('/')
        if password is None:  # the environment's, else what the server's start wrote (owner_credentials)
            found = client_credentials()
            email, password = email or found.email, found.password
        self.email, self.password = email or DEFAULT_EMAIL, password
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers['X-API-KEY'] = frontend_client_id()
        self.keep_session = keep_session  # sign in once across commands (``sessions``)
        self._signed_in = self._kept = False

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> Dict[str, Any]:
        url = f'{self.base_url}{path}'
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise MageApiError(
                f'Mage server at {self.base_url} unreachable ({type(error).__name__}: {error})'
            ) from None
        body = response.json() if response.headers.get('Content-Type', '').startswith('application/json') else None
        if response.status_code >= 400 or (isinstance(body, dict) and body.get('error')):
            raise MageApiError(f'{method} {path}: {_error_text(response)}')
        return body or {}

    def sign_in(self) -> None:
        if self._signed_in:
            return
        kept = kept_token(self.base_url, self.email) if self.keep_session else None
        if kept:
            self.http.cookies.set('oauth_token', kept)
            self._signed_in = self._kept = True
            return
        body = self._call('POST', '/api/sessions', json={'session': {'email': self.email, 'password': self.password}})
        token = (body.get('session') or {}).get('token')
        if not token:
            raise MageApiError(f'signing in to {self.base_url} as {self.email} returned no session token')
        self.http.cookies.set('oauth_token', token)
        self._signed_in = True
        if self.keep_session:
            keep_token(self.base_url, self.email, token)

    def _signed_in_call(self, method: str, path: str, **kwargs) -> Dict[str, Any]:
        """A call with the session; a kept session Mage refuses is dropped, and the call made
        again after a fresh sign-in."""
        self.sign_in()
        try:
            return self._call(method, path, **kwargs)
        except MageApiError:
            if not self._kept:
                raise
            keep_token(self.base_url, self.email, None)
            self.http.cookies.clear()
            self._signed_in = self._kept = False
            self.sign_in()
            return self._call(method, path, **kwargs)

    def get(self, path: str, **params) -> Dict[str, Any]:
        return self._signed_in_call('GET', path, params=params)

    def post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._signed_in_call('POST', path, json=body)

    def put(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._signed_in_call('PUT', path, json=body)

    # -- triggers and runs ---------------------------------------------------------------------

    def api_trigger(self, pipeline_uuid: str, name: Optional[str] = None, wait: float = 0.0) -> ApiTrigger:
        """The active API trigger of ``pipeline_uuid`` (named ``name`` when given); ``wait``
        seconds for it to appear (Mage syncs ``triggers.yaml`` on its scheduler's ticks)."""
        deadline = time.monotonic() + wait
        while True:
            schedules = self.get('/api/pipeline_schedules', **{'schedule_type[]': 'api', 'status[]': 'active'})
            found = [
                s
                for s in schedules.get('pipeline_schedules', [])
                if s.get('pipeline_uuid') == pipeline_uuid
                and s.get('schedule_type') == 'api'
                and s.get('status') == 'active'
                and (name is None or s.get('name') == name)
            ]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not found:
            raise ConfigError(
                f'no active API trigger {name or ""} for pipeline {pipeline_uuid!r} on {self.base_url}: '
                'is the server running on the sub-project that holds it (unit_4_triggering)?'
            )
        schedule = sorted(found, key=lambda s: s['id'])[0]
        if not re.fullmatch(r'\w+', schedule.get('token') or ''):  # Mage's route takes \w+ as the token
            raise ConfigError(
                f'trigger {schedule["name"]!r} shows no token ({schedule.get("token")!r}: '
                'is HIDE_API_TRIGGER_TOKEN set on the server?)'
            )
        return ApiTrigger(schedule['id'], schedule['token'], pipeline_uuid, schedule['name'])

    def rotate_token(self, trigger: ApiTrigger) -> ApiTrigger:
        """A new token for the trigger (Mage's ``rotate_token``: a fresh ``uuid4().hex`` on the
        pipeline schedule, which its API checks on every post): its old URL is refused from now
        on. Needs the editor role; the new token is not written to the repo's ``triggers.yaml``
        (``workarounds/trigger_token_out_of_code.py``)."""
        body = self.put(f'/api/pipeline_schedules/{trigger.schedule_id}', {'pipeline_schedule': {'rotate_token': True}})
        token = (body.get('pipeline_schedule') or {}).get('token')
        if not token or token == trigger.token:
            raise MageApiError(f'rotating the token of trigger {trigger.name!r} on {self.base_url} gave no new token')
        return replace(trigger, token=token)

    def start_run(self, trigger: ApiTrigger, variables: Dict[str, Any]) -> int:
        """Post a run through the trigger's URL (no session needed, only the token)."""
        path = trigger.url('')
        body = self._call('POST', path, json={'pipeline_run': {'variables': variables}})
        return int(body['pipeline_run']['id'])

    def wait(
        self,
        run_id: int,
        timeout: float,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        until_block: Optional[str] = None,
    ) -> Dict[str, Any]:
        """The run once it has finished, or once its block ``until_block`` has completed (that
        block's output is then written; Mage marks the run itself completed at its scheduler's
        next tick, up to a tick later); MageApiError past ``timeout`` seconds."""
        deadline = clock() + timeout
        while True:
            run = self.get(f'/api/pipeline_runs/{run_id}')['pipeline_run']
            if run['status'] in FINISHED or _completed_block_run(run, until_block):
                return run
            if clock() > deadline:
                raise MageApiError(f'run {run_id} still {run["status"]} after {timeout:.0f} s')
            time.sleep(interval)

    def block_runs(self, run_id: int) -> List[Dict[str, Any]]:
        return self.get(f'/api/pipeline_runs/{run_id}/block_runs').get('block_runs', [])

    def run_errors(self, pipeline_uuid: str, run_id: int) -> Dict[str, str]:
        """The exception each failed block of the run raised (its last traceback line)."""
        body = self.get(f'/api/pipelines/{pipeline_uuid}/logs', **{'pipeline_run_id[]': run_id})
        errors: Dict[str, str] = {}
        for log in (body.get('logs') or [{}])[0].get('block_run_logs', []):
            for line in log.get('content', '').splitlines():
                entry = _log_entry(line)
                if entry.get('error') and entry.get('pipeline_run_id') == run_id:
                    errors[entry.get('block_uuid', '?')] = entry['error'].strip().splitlines()[-1]
        return errors

    def block_output(self, run_id: int, block_uuid: str, run: Optional[Dict[str, Any]] = None) -> Any:
        """What ``block_uuid`` returned in the run (``run``: as ``wait`` returned it, which lists
        its block runs): a dict output comes back as a dict."""
        listed = (run or {}).get('block_runs') or self.block_runs(run_id)
        block_run = next((b for b in listed if b['block_uuid'] == block_uuid), None)
        if block_run is None:
            raise MageApiError(f'run {run_id} has no block {block_uuid!r}')
        outputs = self.get(f'/api/block_runs/{block_run["id"]}/outputs').get('outputs') or []
        if not outputs:
            raise MageApiError(f'block {block_uuid!r} of run {run_id} has no output')
        return output_value(outputs[0])

    def run_and_read(
        self, trigger: ApiTrigger, variables: Dict[str, Any], block_uuid: str, timeout: float = 120.0
    ) -> Any:
        """Post, poll, read: the block's output, or MageApiError naming the failed blocks."""
        run_id = self.start_run(trigger, variables)
        run = self.wait(run_id, timeout, until_block=block_uuid)
        if run['status'] != 'completed' and not _completed_block_run(run, block_uuid):
            details = '; '.join(
                f'{block}: {error}' for block, error in self.run_errors(trigger.pipeline_uuid, run_id).items()
            )
            raise MageApiError(
                f'run {run_id} of {trigger.pipeline_uuid} {run["status"]}' + (f': {details}' if details else '')
            )
        return self.block_output(run_id, block_uuid, run)


def _completed_block_run(run: Dict[str, Any], block_uuid: Optional[str]) -> bool:
    return block_uuid is not None and any(
        b.get('block_uuid') == block_uuid and b.get('status') == 'completed' for b in run.get('block_runs') or []
    )


def output_value(output: Dict[str, Any]) -> Any:
    """A block output as the API shows it, back as a value: text is JSON, a table is a list
    of row dicts (a returned dict is a one-row table of its keys)."""
    if output.get('type') == 'text':
        text = output.get('text_data')
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            return text
    sample = output.get('sample_data') or {}
    columns, rows = sample.get('columns') or [], sample.get('rows') or []
    return [{c: _cell(v) for c, v in zip(columns, row)} for row in rows]


def _log_entry(line: str) -> Dict[str, Any]:
    """One line of a Mage block log: ``<time> {json}``; {} for anything else."""
    start = line.find('{')
    try:
        entry = json.loads(line[start:]) if start >= 0 else {}
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in '[{':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
