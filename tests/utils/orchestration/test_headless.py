"""The runner's tick loop, through its seams (no Mage)."""

from __future__ import annotations

from mlops.utils.orchestration.headless import TIMED_OUT, wait_for_end


class FakeRun:
    """A run that reaches ``final`` after ``ticks`` scheduler ticks, on a fake clock."""

    def __init__(self, ticks: int, final: str = 'completed'):
        self.remaining, self.final = ticks, final
        self.now: float = 0.0
        self.events: list = []

    def tick(self) -> None:
        self.events.append('tick')
        self.remaining -= 1

    def status(self) -> str:
        return self.final if self.remaining <= 0 else 'running'

    def stop(self) -> None:
        self.events.append('stop')

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def wait(run: FakeRun, timeout: float) -> str:
    return wait_for_end(run.tick, run.status, run.stop, timeout, interval=0.5, clock=run.clock, sleep=run.sleep)


def test_ticks_until_the_run_ends_and_reports_its_status():
    for final in ('completed', 'failed', 'cancelled'):
        run = FakeRun(ticks=4, final=final)
        assert wait(run, timeout=60) == final
        assert run.events == ['tick'] * 4 and run.now == 1.5  # no sleep after the last tick


def test_a_run_past_the_timeout_is_stopped_and_reported_timed_out():
    run = FakeRun(ticks=1000)
    assert wait(run, timeout=10) == TIMED_OUT
    assert run.events[-1] == 'stop' and run.events.count('stop') == 1
    assert run.events.count('tick') == 22  # ticks at 0, 0.5, .., 10.5: the first past 10 s stops it
