"""The server's scheduler starts an API-triggered run at once, not at its next tick.

Upstream: no issue found. Mage 0.9.80's scheduler only polls (``LoopTimeTrigger.start``: a tick
every ``SCHEDULER_TRIGGER_INTERVAL`` seconds, 10 by default), so a run posted through an API
trigger (the prediction endpoint, ``retrain_now``) waits up to a tick before its first block
starts; a 1 s tick answers sooner but keeps about a tenth of a core busy while nothing happens
(``bench/bench_predict_api.py`` measures both). Here the scheduler also wakes when a datagram
reaches a socket in the platform's state folder: an API trigger's request sends one once its run
is committed, and a block run's process once its block has ended (so the next block starts, or
the run is marked finished, at once rather than up to a tick later). Can go when Mage starts API-triggered runs itself (check: the benchmark's p50
with this module left out of ``install_workarounds``).
"""

from __future__ import annotations

import functools
import logging
import select
import socket
import time
from pathlib import Path
from types import ModuleType
from typing import Optional

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.platform_state import platform_state_dir

WAKE_FILE = 'scheduler.wake'
logger = logging.getLogger(__name__)


def wake_address() -> Path:
    return platform_state_dir() / WAKE_FILE


def wake_scheduler() -> bool:
    """Wake the server's scheduler, if one listens (a server starting, or the headless runner's
    own ticks, do not: their next tick comes anyway); True when the datagram went out."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(b'.', str(wake_address()))
        return True
    except OSError:
        return False


class Alarm:
    """The scheduler's end of the socket: ``sleep`` returns early when a wake-up arrives."""

    def __init__(self, path: Optional[Path] = None):
        self.path = path or wake_address()
        self.socket: Optional[socket.socket] = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)  # a killed scheduler's
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listener.bind(str(self.path))
            listener.setblocking(False)
            self.socket = listener
        except OSError as error:  # e.g. a path over the 107 bytes a socket's name may have
            logger.warning('scheduler wake-ups off (%s: %s); API-triggered runs wait for a tick', self.path, error)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.socket is None:
            time.sleep(seconds)
            return
        readable, _, _ = select.select([self.socket], [], [], seconds)
        while readable:  # one tick for every wake-up that came meanwhile
            try:
                self.socket.recv(64)
            except BlockingIOError:
                break


def _ticks_that_wake(module: ModuleType) -> None:
    def start(self) -> None:  # replaces LoopTimeTrigger.start: the same loop, a wakeable sleep
        alarm = Alarm()
        while True:
            started = time.monotonic()
            self.last_run_time = int(time.time())
            self.run()
            alarm.sleep(self.trigger_interval - (time.monotonic() - started))

    module.LoopTimeTrigger.start = start


def _api_runs_wake_the_scheduler(module: ModuleType) -> None:
    original = module.create_and_start_pipeline_run

    def create_and_start_pipeline_run(*args, **kwargs):
        pipeline_run = original(*args, **kwargs)
        wake_scheduler()
        return pipeline_run

    module.create_and_start_pipeline_run = create_and_start_pipeline_run


def _block_ends_wake_the_scheduler(module: ModuleType) -> None:
    original = module.run_block

    @functools.wraps(original)
    def run_block(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            wake_scheduler()

    module.run_block = run_block


def install_scheduler_wakeup() -> None:
    """The scheduler's loop sleeps on the wake-up socket; API triggers' requests and the ends of
    block runs wake it."""
    patch_on_import('mage_ai.orchestration.triggers.loop_time_trigger', _ticks_that_wake)
    patch_on_import('mage_ai.orchestration.triggers.utils', _api_runs_wake_the_scheduler)
    patch_on_import('mage_ai.orchestration.pipeline_scheduler_original', _block_ends_wake_the_scheduler)
