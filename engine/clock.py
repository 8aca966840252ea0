"""One clock for the whole engine, replaceable in tests.

SpiffWorkflow's timers read `datetime.now(timezone.utc)` inside
`SpiffWorkflow.bpmn.specs.event_definitions.timer`. We swap that module's
`datetime` name for a subclass whose `now()` asks our clock, so a test that moves
the clock moves the timers too, without patching anything per test. Likewise the
`time` name of `SpiffWorkflow.task`, which stamps every state change
(`last_state_change`, shown as a step's finish moment): a timer firing prepared
ahead under a clock set to its due moment (api/services/prepared.py) then records
its steps as finished at that moment, not at the preparation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from SpiffWorkflow import task as _spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests and simulations."""

    def __init__(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def advance(self, **delta: float) -> datetime:
        self._moment = self._moment + timedelta(**delta)
        return self._moment


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock moment needs a time zone (e.g. +07:00)")
    return moment


# A clock set with use_clock() applies to the thread that set it; the global one
# applies everywhere else. Threads matter because test servers run requests in threads.
_global_clock: SystemClock | FixedClock = SystemClock()
_local = threading.local()


def current_clock() -> SystemClock | FixedClock:
    return getattr(_local, "clock", None) or _global_clock


def now() -> datetime:
    """The current moment, timezone-aware (UTC unless the clock says otherwise)."""
    return current_clock().now()


def set_global_clock(clock: SystemClock | FixedClock) -> None:
    global _global_clock
    _global_clock = clock


@contextlib.contextmanager
def use_clock(clock: SystemClock | FixedClock, *, everywhere: bool = False) -> Iterator:
    """Run a block with `clock`; `everywhere=True` also covers other threads."""
    if everywhere:
        previous_global = _global_clock
        set_global_clock(clock)
    previous = getattr(_local, "clock", None)
    _local.clock = clock
    try:
        yield clock
    finally:
        _local.clock = previous
        if everywhere:
            set_global_clock(previous_global)


class _ClockedDatetime(datetime):
    """`datetime` whose `now()` reads the engine clock; everything else unchanged."""

    @classmethod
    def now(cls, tz=None):
        moment = now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


_spiff_timer.datetime = _ClockedDatetime


class _ClockedTime:
    """Stands in for the `time` module in SpiffWorkflow.task, which only calls `time()`."""

    @staticmethod
    def time() -> float:
        return now().timestamp()


_spiff_task.time = _ClockedTime()
