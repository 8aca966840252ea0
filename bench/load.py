"""Load on a real server: complaint lifecycles and completions per second, and timer lateness.

Prints, in one run:
- against gunicorn (2 workers) on 127.0.0.1, on SQLite and on PostgreSQL: full
  `pengaduan` lifecycles per second (public submission, then the six tasks by four
  roles, each found in its user's inbox) with CLIENTS concurrent lifecycles, task
  completions per second and completion latency p50/p95, and the count of error
  answers (target: none);
- timer lateness: 10,000 `uji_beban` instances (the load tests' fixture, started
  through the service layer, so each state is real) whose timers are all due within
  the same second; then 1, and separately 2, `alur worker` processes fire them.
  Lateness is the timer_fired audit moment minus the due moment: p50/p95/max and
  the drain time (target: p95 < 2 s with 2 workers).

  The workers prepare firings ahead (api/services/prepared.py: the engine runs
  before the due moment, only bulk writes are left for it), so they need time
  between a timer being reached and its moment. In real use that is hours or days
  (a deadline of one working day, a reminder after a week); here the common due
  moment comes `--lead` seconds (default 30) after the last instance is created,
  and the workers start right then. The line says how many firings were prepared
  one second before the due moment: when that is below the count, the lead was too
  short for the workers and the rest were fired the slow way (engine at the due
  moment). `--lead 5` reproduces the old setting (about 5 s plus 30 % of the
  creation time).

Run: .venv/bin/python -m bench.load [--seconds 30] [--clients 8] [--timers 10000] [--lead 30] [--lookahead 300]
     [--skip-lifecycles] [--skip-timers] [--workers 1 2] [--sqlite-only]
     [--postgres URL]  (default: $ALUR_TEST_DATABASE_URL_PG; without it only SQLite)
Takes about 6-8 minutes on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from api.db import db
from api.models import AuditEvent, PreparedFiring
from api.services import instances
from tests.load import servers
from tests.load.project import REGION, write_load_project
from tests.procedures.test_pengaduan import (
    ANALISIS_INTERN,
    ARSIP,
    KLASIFIKASI,
    LAPORAN,
    PENGADUAN,
    RESPON_AKHIR,
    RESPON_AWAL,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
REAL = (servers.ROOT / "processes", servers.ROOT / "forms")
STAFF = {"tim": "Tim Pengaduan", "analis": "Pejabat Analis", "penghubung": "Penghubung Lintas OPD",
         "kepala": "Kepala Baperlitbang"}
# The lifecycle: who does which task, with which data (the internal-handling path of the real procedure).
STEPS = [("tim", "klasifikasi", KLASIFIKASI), ("tim", "respon_awal", RESPON_AWAL),
         ("analis", "analisis", ANALISIS_INTERN), ("tim", "respon_akhir", RESPON_AKHIR),
         ("kepala", "laporan_kepala", LAPORAN),
         # archived today: the form refuses an archive date before the complaint was received (which is now)
         ("tim", "arsip_pengaduan", {**ARSIP, "tanggal_arsip": datetime.now(JAKARTA).date().isoformat()})]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@contextlib.contextmanager
def database(kind: str, root: Path, postgres: str | None) -> Iterator[str]:
    if kind == "sqlite":
        yield servers.sqlite_url(root / "bench.db")
    else:
        import os

        os.environ["ALUR_TEST_DATABASE_URL_PG"] = postgres or ""
        with servers.fresh_postgres() as url:
            yield url


# -- lifecycles over HTTP -------------------------------------------------------------


class Lifecycles:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens
        self.completion_ms: list[float] = []
        self.errors: list[str] = []
        self.done = 0
        self.lock = threading.Lock()

    def run_one(self, session: requests.Session, label: str) -> None:
        data = {k: v for k, v in PENGADUAN.items() if k != "kode_lacak"}
        data.update(perihal=label, diterima_pada=datetime.now(UTC).isoformat())
        answer = session.post(f"{self.base}/api/v1/public/processes/pengaduan/instances", json={"data": data},
                              timeout=60)
        if answer.status_code != 201:
            return self.fail(f"submit {answer.status_code} {answer.text[:200]}")
        instance_id = None
        for who, name, form in STEPS:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"}
            task = None
            for _ in range(50):  # the inbox is read right after the step that made the task: it is there
                answer = session.get(f"{self.base}/api/v1/tasks", params={"per_page": 100, "process": "pengaduan"},
                                     headers=headers, timeout=60)
                if answer.status_code != 200:
                    return self.fail(f"inbox {answer.status_code} {answer.text[:200]}")
                items = answer.json()["items"]
                task = next((t for t in items if t["name"] == name and (
                    t["instance_id"] == instance_id if instance_id else t["instance_title"] == label)), None)
                if task:
                    break
            if task is None:
                return self.fail(f"{who} does not see {name} of {label}")
            begin = time.perf_counter()
            answer = session.post(f"{self.base}/api/v1/tasks/{task['id']}/complete", json={"data": form},
                                  headers=headers, timeout=60)
            elapsed = (time.perf_counter() - begin) * 1000
            if answer.status_code != 200:
                return self.fail(f"complete {name} {answer.status_code} {answer.text[:200]}")
            instance_id = answer.json()["instance"]["id"]
            with self.lock:
                self.completion_ms.append(elapsed)
        with self.lock:
            self.done += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def bench_lifecycles(kind: str, postgres: str | None, seconds: float, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), postgres) as url:
        servers.setup_database(url, *REAL, {name: [(role, "33.13")] for name, role in STAFF.items()})
        web = servers.Gunicorn(servers.server_env(url, *REAL), workers=2, log=Path(tmp) / "gunicorn.log")
        with servers.running(web):
            web.start()
            tokens = {name: servers.login(web.url, name) for name in STAFF}
            load = Lifecycles(web.url, tokens)
            deadline = time.monotonic() + seconds

            def client(index: int) -> None:
                session, n = requests.Session(), 0
                while time.monotonic() < deadline:
                    n += 1
                    try:
                        load.run_one(session, f"Bench {index}-{n}")
                    except Exception as exc:  # a dropped connection is an error of the run, not a silent stop
                        load.fail(f"{type(exc).__name__}: {exc}")

            begin = time.monotonic()
            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 300)
            elapsed = time.monotonic() - begin
        ms = load.completion_ms
        print(f"{kind:<10} {clients} clients, {elapsed:5.1f} s: {load.done / elapsed:6.1f} lifecycles/s   "
              f"{len(ms) / elapsed:6.1f} completions/s   completion p50 {percentile(ms, 0.5):6.1f} ms  "
              f"p95 {percentile(ms, 0.95):6.1f} ms   errors {len(load.errors)}")
        for message in load.errors[:5]:
            print(f"           error: {message}")


# -- timer lateness -----------------------------------------------------------------


def bench_timers(kind: str, postgres: str | None, count: int, workers: int, lead: float = 30,
                 lookahead: float = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), postgres) as url:
        processes, forms = write_load_project(Path(tmp))
        servers.setup_database(url, processes, forms, {})
        app = servers.app_for(url, processes, forms)
        with app.app_context():
            ref = instances.runtime().current("uji_beban")
            actor = instances.Actor("bench")
            far = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            pilot = 100
            begin = time.monotonic()
            for _ in range(pilot):  # measure the creation rate, to put the common due moment just after the rest
                instances.start(ref, {"judul": "Pilot", "wilayah": REGION, "tempo": far}, actor)
            per_instance = (time.monotonic() - begin) / pilot
            due = datetime.now(UTC) + timedelta(seconds=per_instance * count * 1.3 + lead)
            dues: dict[int, datetime] = {}
            for i in range(count):
                # All due within one second, spread by microseconds only so the order is stable.
                moment = due + timedelta(microseconds=i * 50)
                case = instances.start(ref, {"judul": "Tempo", "wilayah": REGION, "tempo": moment.isoformat()},
                                       actor)
                dues[case.id] = moment
            db.session.remove()
        created = datetime.now(UTC)
        env = servers.server_env(url, processes, forms, ALUR_TIMER_LOOKAHEAD=str(lookahead))
        pool = [servers.TimerWorker(env, Path(tmp) / "worker.log") for _ in range(workers)]
        with servers.running(*pool):
            for worker in pool:
                worker.start()
            fired: list[tuple[int, datetime]] = []
            ready: int | None = None  # firings prepared one second before the due moment
            with app.app_context():
                deadline = time.monotonic() + (due - datetime.now(UTC)).total_seconds() + 900
                while time.monotonic() < deadline:
                    if ready is None and datetime.now(UTC) >= due - timedelta(seconds=1):
                        ready = db.session.execute(db.select(db.func.count()).select_from(PreparedFiring)
                                                   .where(PreparedFiring.fires.is_(True))).scalar()
                    fired = db.session.execute(db.select(AuditEvent.instance_id, AuditEvent.at)
                                               .where(AuditEvent.kind == "timer_fired")).all()
                    db.session.rollback()
                    if len(fired) >= count:
                        break
                    time.sleep(min(1.0, max(0.05, (due - timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
                               if ready is None else 1.0)
                db.session.remove()
                db.engine.dispose()
        lateness = [(at - dues[i]).total_seconds() for i, at in fired if i in dues]
        drain = (max(at for _, at in fired) - due).total_seconds() if fired else float("nan")
        slack = (due - created).total_seconds()
        print(f"{kind:<10} {count} timers, {workers} worker(s): fired {len(lateness)}   lateness p50 "
              f"{percentile(lateness, 0.5):6.2f} s  p95 {percentile(lateness, 0.95):6.2f} s  "
              f"max {max(lateness, default=float('nan')):6.2f} s   drain {drain:6.1f} s   "
              f"({count / max(drain, 0.001):.0f} fires/s; created {per_instance * 1000:.1f} ms each, "
              f"{slack:+.0f} s before due; {ready} prepared 1 s before due)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--lead", type=float, default=30,
                        help="seconds between creating the last timer and their due moment (the workers prepare then)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts for the timer bench")
    parser.add_argument("--lookahead", type=float, default=300,
                        help="the workers' ALUR_TIMER_LOOKAHEAD; 0 turns preparing off (every timer the slow way)")
    parser.add_argument("--postgres", default=servers.postgres_url())
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--skip-lifecycles", action="store_true")
    parser.add_argument("--skip-timers", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres and not args.sqlite_only else [])
    if not args.skip_lifecycles:
        print("== pengaduan lifecycles against gunicorn (2 workers) on 127.0.0.1")
        for kind in kinds:
            bench_lifecycles(kind, args.postgres, args.seconds, args.clients)
    if not args.skip_timers:
        print(f"== timer lateness, {args.timers} timers due together")
        for kind in kinds:
            for workers in args.workers:
                bench_timers(kind, args.postgres, args.timers, workers, args.lead, args.lookahead)


if __name__ == "__main__":
    main()
