from __future__ import annotations

import threading
import time

import pytest

from appliance.sources import ClockError, MonotonicClock, VirtualClock
from tests.support.waiting import wait_until


def test_virtual_clock_runs_callbacks_in_time_order_with_ties_in_schedule_order():
    clock = VirtualClock(start=10.0)
    seen = []
    for at, name in [(12.0, "c"), (11.0, "a"), (12.0, "d"), (11.5, "b"), (30.0, "late")]:
        clock.schedule(at, lambda name=name: seen.append((name, clock.now())))
    clock.run_until(20.0)
    assert seen == [("a", 11.0), ("b", 11.5), ("c", 12.0), ("d", 12.0)]
    assert clock.now() == 20.0
    assert clock.pending == 1


def test_callbacks_may_schedule_more_work_within_the_same_run():
    clock = VirtualClock()
    seen = []

    def chain(n: int) -> None:
        seen.append((n, clock.now()))
        if n < 3:
            clock.schedule(clock.now() + 1.0, lambda: chain(n + 1))

    clock.schedule(0.5, lambda: chain(0))
    clock.advance(3.0)
    assert seen == [(0, 0.5), (1, 1.5), (2, 2.5)]
    clock.advance(1.0)
    assert seen[-1] == (3, 3.5)


def test_past_events_run_now_and_time_never_goes_back():
    clock = VirtualClock(start=5.0)
    seen = []
    clock.schedule(1.0, lambda: seen.append(clock.now()))
    clock.run_until(5.0)
    assert seen == [5.0]
    with pytest.raises(ClockError):
        clock.run_until(4.0)


def test_run_until_inside_a_callback_is_refused():
    clock = VirtualClock()
    clock.schedule(1.0, lambda: clock.run_until(2.0))
    with pytest.raises(ClockError):
        clock.run_until(3.0)


def test_virtual_pace_ticks_exactly_on_due_times_until_cancelled():
    clock = VirtualClock()
    ticks = []
    ticker = clock.pace(
        lambda n: n / 30, lambda n, due: ticks.append((n, due, clock.now())), first=3
    )
    clock.run_until(0.2)
    assert [n for n, _, _ in ticks] == [3, 4, 5, 6]
    assert all(due == now == n / 30 for n, due, now in ticks)
    ticker.cancel()
    clock.run_until(1.0)
    assert len(ticks) == 4


def test_virtual_clock_is_deterministic():
    def run() -> list[tuple[str, int, float]]:
        clock = VirtualClock()
        seen = []
        clock.pace(lambda n: n / 30, lambda n, due: seen.append(("video", n, due)))
        clock.pace(lambda n: (n + 1) * 0.02, lambda n, due: seen.append(("audio", n, due)))
        clock.run_until(2.0)
        return seen

    first = run()
    assert first == run()
    assert [t for _, _, t in first] == sorted(t for _, _, t in first)


def test_monotonic_pace_ticks_at_due_times_on_its_own_thread():
    """As many ticks as were due while it ran (the time is measured: a loaded machine
    oversleeps), a few at most still late, none early."""
    clock = MonotonicClock()
    start = clock.now() + 0.05
    ticks = []
    ticker = clock.pace(
        lambda n: start + n * 0.02,
        lambda n, due: ticks.append((n, due, clock.now(), threading.current_thread())),
    )
    time.sleep(0.3)
    cancelling = clock.now()
    ticker.cancel()
    cancelled = clock.now()
    assert not ticker.running
    assert (cancelling - start) / 0.02 + 1 - 5 <= len(ticks) <= (cancelled - start) / 0.02 + 1
    assert [n for n, *_ in ticks] == list(range(len(ticks)))
    assert all(now >= due for _, due, now, _ in ticks)
    assert all(thread is not threading.current_thread() for *_, thread in ticks)


def test_monotonic_pace_skips_late_ticks_only_when_asked():
    clock = MonotonicClock()
    start = clock.now()

    def slow(n: int, due: float) -> None:
        time.sleep(0.035)

    skipping = clock.pace(lambda n: start + n * 0.01, slow, skip_late=True)
    keeping = clock.pace(lambda n: start + n * 0.01, slow, skip_late=False)
    time.sleep(0.3)
    skipping.cancel()
    keeping.cancel()
    assert skipping.skipped > 5
    assert keeping.skipped == 0


def test_a_failing_callback_stops_the_ticker_and_keeps_the_cause():
    clock = MonotonicClock()

    def fail(n: int, due: float) -> None:
        raise OSError("sink gone")

    ticker = clock.pace(lambda n: clock.now(), fail)
    assert wait_until(lambda: not ticker.running)
    assert isinstance(ticker.error, OSError)
    ticker.cancel()
