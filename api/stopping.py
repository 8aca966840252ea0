"""A stop request that a signal handler may make: for the timer worker's loop and its watchdog.

`threading.Event.set()` takes the lock that `Event.wait()` holds while it sleeps. A SIGTERM
handled on the very thread that waits ran `set()` inside that wait and deadlocked the
process for good (found when a CI run's watchdog never exited). So a handler only sets a
plain flag, and waiting looks at the flag in short slices.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

_SLICE_SECONDS = 0.1  # how soon a wait notices a signal's stop request


class Stop:
    """Asked to stop by a signal (`on_signals`) or by another thread (the `event`, as tests do)."""

    def __init__(self, event: threading.Event | None = None) -> None:
        self.event = event or threading.Event()
        self.requested = False

    def request(self, *_: Any) -> None:
        self.requested = True  # no lock: see the module's docstring

    def on_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests)
                signal.signal(sig, self.request)

    def is_set(self) -> bool:
        return self.requested or self.event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as a stop is asked for."""
        deadline = time.monotonic() + seconds
        while not self.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.event.wait(min(left, _SLICE_SECONDS))
        return True
