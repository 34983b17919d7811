"""The scheduler's wakeable sleep, on a real socket: a full tick without a wake-up, an early end
with one; a wake-up nobody listens for is dropped; a socket path too long to bind falls back to a
plain sleep."""

from __future__ import annotations

import threading
import time

from mlops.utils.orchestration.workarounds.scheduler_wakeup import WAKE_FILE, Alarm, wake_scheduler


def test_a_wake_up_ends_the_sleep_and_none_lets_it_run_its_tick(tmp_path, monkeypatch):
    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path))  # platform state: tmp_path/mlops
    assert not wake_scheduler()  # nobody listens yet
    alarm = Alarm()
    assert alarm.path == tmp_path / 'mlops' / WAKE_FILE and alarm.socket is not None
    started = time.monotonic()
    alarm.sleep(0.3)
    assert time.monotonic() - started >= 0.29
    threading.Timer(0.2, wake_scheduler).start()
    started = time.monotonic()
    alarm.sleep(30)
    assert time.monotonic() - started < 5
    for _ in range(3):  # several wake-ups while a tick ran: one early end, then full sleeps again
        assert wake_scheduler()
    alarm.sleep(30)
    started = time.monotonic()
    alarm.sleep(0.3)
    assert time.monotonic() - started >= 0.29


def test_a_path_too_long_for_a_socket_sleeps_plainly(tmp_path):
    alarm = Alarm(tmp_path / ('x' * 120) / WAKE_FILE)
    assert alarm.socket is None
    started = time.monotonic()
    alarm.sleep(0.2)
    assert time.monotonic() - started >= 0.19
