"""Concurrent HTTP clients for the `uji_beban` fixture: start cases, claim and complete tasks, journal every call.

Each client is a thread with its own connection (requests.Session) and its own
user. Clients of one lane read the same inbox and pick among its first few tasks,
so they often go for the same task at the same moment: that is the race under test.
Every call is journaled with its status (0 when the connection was cut, e.g. the
worker serving it was killed), so a test can compare what clients were told with
what the database holds.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from tests.load.project import PROCESS, REGION

# What each call may answer under contention; anything else (above all a 5xx) is a failure.
EXPECTED = {"start": {201}, "inbox": {200}, "claim": {200, 409}, "complete": {200, 409}}
CUT = 0  # the status journaled when no answer came back


@dataclass(frozen=True)
class Call:
    action: str
    status: int
    seconds: float
    task_id: str | None = None
    detail: str = ""


@dataclass
class Journal:
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def unexpected(self) -> list[Call]:
        """Answers outside EXPECTED (cut connections are counted apart, by `cut()`)."""
        return [c for c in self.calls if c.status != CUT and c.status not in EXPECTED[c.action]]

    def cut(self) -> list[Call]:
        return [c for c in self.calls if c.status == CUT]

    def count(self, action: str, status: int) -> int:
        return sum(1 for c in self.calls if c.action == action and c.status == status)

    def completed_ok(self) -> Counter:
        """How many times each task was answered 200 to a completion: never more than once."""
        return Counter(c.task_id for c in self.calls if c.action == "complete" and c.status == 200)

    def latencies(self, action: str, status: int) -> list[float]:
        return sorted(c.seconds for c in self.calls if c.action == action and c.status == status)


def soon(low: float, high: float | None = None, rng: random.Random | None = None) -> str:
    """A due moment between `low` and `high` real seconds ahead, for the fixture's timer."""
    ahead = rng.uniform(low, high) if rng is not None and high is not None else low
    return (datetime.now(UTC) + timedelta(seconds=ahead)).isoformat()


class Client:
    """One user's connection to the server."""

    def __init__(self, base_url: str, token: str, journal: Journal, username: str = "") -> None:
        self.base, self.journal, self.username = base_url, journal, username
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, action: str, method: str, path: str, task_id: str | None = None, **kwargs) -> requests.Response | None:
        begin = time.perf_counter()
        try:
            answer = self.session.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException as exc:
            self.journal.add(Call(action, CUT, time.perf_counter() - begin, task_id, type(exc).__name__))
            self.session.close()  # the connection may be half-dead: start a fresh one
            time.sleep(0.2)  # the server is restarting: do not spin through the client's actions
            return None
        detail = "" if answer.status_code in EXPECTED[action] else answer.text[:300]
        self.journal.add(Call(action, answer.status_code, time.perf_counter() - begin, task_id, detail))
        return answer

    def start(self, tempo: str) -> None:
        self.call("start", "POST", f"/api/v1/processes/{PROCESS}/instances",
                  json={"data": {"judul": "Berkas beban", "wilayah": REGION, "tempo": tempo}})

    def inbox(self, per_page: int = 5) -> list[dict]:
        answer = self.call("inbox", "GET", "/api/v1/tasks", params={"per_page": per_page, "process": PROCESS})
        return answer.json()["items"] if answer is not None and answer.status_code == 200 else []

    def work_one(self, rng: random.Random, claim_first: bool, polite: bool = False) -> bool:
        """Take one of the first tasks of the inbox (maybe claiming it) and complete it; False if none.

        A `polite` client leaves tasks others have claimed alone (for finishing up, not for racing).
        """
        items = self.inbox(per_page=50 if polite else 5)
        if polite:
            items = [t for t in items if t["claimed_by"] in (None, self.username)]
        if not items:
            return False
        task = items[0] if polite else rng.choice(items[:3])
        if claim_first:
            answer = self.call("claim", "POST", f"/api/v1/tasks/{task['id']}/claim", task["id"])
            if answer is None or answer.status_code != 200:
                return True
        self.call("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", task["id"],
                  json={"data": {"catatan": "diperiksa"}})
        return True


def drive(base_url: Callable[[], str], clients: list[tuple[str, str]], *, actions: int, seconds: float,
          start_share: float, tempo: tuple[float, float], seed: int = 7) -> Journal:
    """Run every client (role, token) at once for `actions` calls each or `seconds`, whichever ends first.

    Clients of the desk lane start a new case with probability `start_share`; all
    clients otherwise work their inbox. `base_url` is asked before every action, so
    a test may restart the server elsewhere mid-run.
    """
    journal = Journal()
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(len(clients))

    def run(index: int, role: str, token: str) -> None:
        rng = random.Random(seed * 1000 + index)
        client = Client(base_url(), token, journal)
        barrier.wait(timeout=60)
        for _ in range(actions):
            if time.monotonic() > deadline:
                break
            client.base = base_url()
            if role == "desk" and rng.random() < start_share:
                client.start(soon(*tempo, rng=rng))
            elif not client.work_one(rng, claim_first=rng.random() < 0.5):
                time.sleep(0.05)

    threads = [threading.Thread(target=run, args=(i, role, token), daemon=True)
               for i, (role, token) in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return journal


def finish_everything(base_url: str, users: dict[str, str], journal: Journal, *, seconds: float = 120) -> None:
    """Complete whatever is still pending, each user (username -> token) in turn, until every inbox is empty."""
    clients = [Client(base_url, token, journal, username) for username, token in users.items()]
    rng = random.Random(1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any([client.work_one(rng, claim_first=False, polite=True) for client in clients]):
            return
    raise TimeoutError("inboxes still not empty")
