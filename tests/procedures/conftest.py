"""Helpers for the procedure scenarios: drive one instance through the engine.

These tests run the real diagrams in `processes/` with the real forms in `forms/`
(every start and every task completion is validated against its JSON Schema by the
engine) on a clock the test moves by hand. No HTTP, no database.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine import Engine, FixedClock, ProcessRegistry, use_clock

ROOT = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")  # Karanganyar
WITA = ZoneInfo("Asia/Makassar")  # Tanah Bumbu


@pytest.fixture(scope="session")
def registry() -> ProcessRegistry:
    return ProcessRegistry.from_directory(ROOT / "processes", ROOT / "forms")


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(calendar_file=ROOT / "processes" / "hari_libur.json")


@pytest.fixture
def clock():
    """A clock that stands still until the test moves it (starts Monday 5 January 2026, 08:00 WIB)."""
    fixed = FixedClock(datetime(2026, 1, 5, 8, 0, tzinfo=WIB))
    with use_clock(fixed):
        yield fixed


class Instance:
    """One running instance: its state, what it produced, and the path it took."""

    def __init__(self, engine: Engine, version, clock: FixedClock) -> None:
        self.engine = engine
        self.version = version
        self.clock = clock
        self.result = None
        self.messages: list = []
        self.events: list = []
        self.done: list[str] = []  # human tasks completed, in order

    # -- driving ---------------------------------------------------------------

    def start(self, data: dict[str, Any], code: str | None = None) -> Instance:
        """Start with checked start data; `code` is the tracking code the application adds (`kode_lacak`)."""
        if code is None:
            self._take(self.engine.start(self.version, data))
            return self
        self.version.start.form.validate(data)
        self._take(self.engine.start(self.version, {**data, "kode_lacak": code}, validate=False))
        return self

    def complete(self, name: str, form: dict[str, Any], lane: str | None = None, unit: str | None = None) -> Instance:
        """Complete the one ready task `name` (of `unit`, when several units each have one) as its own lane."""
        task = self.task(name, unit)
        self._take(self.engine.complete(self.version, self.state, task.id, form, lane=lane or task.lane))
        self.done.append(name)
        return self

    def receive(self, name: str, message: str, payload: dict[str, Any]) -> Instance:
        """Deliver `message` to the wait `name` (what the application does when another instance sends it)."""
        assert name in self.waits_at(), f"not waiting at '{name}', waits at: {self.waits_at()}"
        self._take(self.engine.send_message(self.version, self.state, message, payload))
        self.done.append(name)
        return self

    def waits_at(self) -> list[str]:
        """Element ids of the message catches the instance waits at, sorted."""
        return sorted(w.element for w in self.result.waits)

    def at(self, moment: datetime) -> Instance:
        """Move the clock to `moment` and fire whatever timers are due by then."""
        self.clock.set(moment)
        self._take(self.engine.fire_timers(self.version, self.state))
        return self

    def _take(self, result) -> None:
        self.result = result
        self.messages.extend(result.messages)
        self.events.extend(result.events)
        errors = [e for e in result.events if e.kind == "error"]
        assert not errors, errors

    # -- looking ---------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.result.state

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def data(self) -> dict[str, Any]:
        return self.result.data

    @property
    def ready(self) -> list[str]:
        """Names of the human tasks waiting for someone, sorted."""
        return sorted(t.name for t in self.result.tasks)

    def task(self, name: str, unit: str | None = None):
        found = [t for t in self.result.tasks if t.name == name and (unit is None or t.unit == unit)]
        assert len(found) == 1, f"expected one ready '{name}' (unit {unit}), ready: {self.ready}"
        return found[0]

    def units_of(self, name: str) -> list[str | None]:
        """The units the ready tasks `name` are routed to (a multi-instance step has one task per unit), sorted."""
        return sorted((t.unit for t in self.result.tasks if t.name == name), key=str)

    def lane_of(self, name: str) -> str:
        return self.task(name).lane

    def fired_timers(self) -> list[str]:
        return [e.task_name for e in self.events if e.kind == "timer_fired"]

    def watches(self) -> dict[str, datetime]:
        """The deadline timers still armed, by their label, with their due moment.

        A task inside an embedded subprocess is watched by the subprocess's boundary timer,
        which is listed here even though the task itself carries no due moment.
        """
        return {t.name: t.due for t in self.engine.inspect(self.version, self.state).timers}

    def shared(self, name: str) -> Any:
        """A BPMN data object of the instance: one value that every parallel branch reads and writes."""
        return self.engine.load(self.version, self.state).data["data_objects"][name]

    def completed_elements(self) -> set[str]:
        return set(self.engine.inspect(self.version, self.state).completed_elements)

    def sent(self, name: str = "balasan_pelapor") -> list[dict[str, Any]]:
        return [m.payload for m in self.messages if m.name == name]


@pytest.fixture
def run(registry, engine, clock):
    """run("pengaduan") -> a fresh Instance of the latest version of that process."""

    def make(process_id: str) -> Instance:
        return Instance(engine, registry.latest(process_id), clock)

    return make


def moment(text: str) -> datetime:
    """An aware datetime from ISO text with offset (for readable test data)."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value
