"""The worker's and the watchdog's stop request: a signal ends a wait at once and never deadlocks it."""

from __future__ import annotations

import os
import signal
import threading
import time

from api.stopping import Stop


def test_a_sigterm_during_a_wait_ends_the_wait_within_a_slice() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stop = Stop()
    stop.on_signals()
    try:
        # Many signals land while the main thread sleeps in the wait: with Event.set() in the handler, one
        # landing inside the wait's own lock would hang here for good.
        for _ in range(20):
            stop.requested = False
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGTERM)).start()
            began = time.monotonic()
            assert stop.wait(5.0) is True
            assert time.monotonic() - began < 1.0
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_another_thread_stops_it_through_its_event() -> None:
    event = threading.Event()
    stop = Stop(event)
    threading.Timer(0.05, event.set).start()
    assert stop.wait(5.0) is True and stop.is_set()


def test_a_wait_without_a_request_sleeps_its_time_and_says_so() -> None:
    began = time.monotonic()
    assert Stop().wait(0.25) is False
    assert time.monotonic() - began >= 0.25
