"""The API over real HTTP: gunicorn (1 worker) on 127.0.0.1 and one keep-alive client.

Prints, on SQLite and (when ALUR_TEST_DATABASE_URL_PG names a database) on PostgreSQL, with
1,000 and then 10,000 open instances of the bench diagram (`sepuluh`: ten user tasks in four
lanes, bench/engine_floor.py), medians and p95 of:
- start + first user task: `POST /api/v1/processes/sepuluh/instances` (the answer comes after
  the engine has run to the first user task and its inbox row is stored);
- completing a user task: `POST /api/v1/tasks/<id>/complete` (the first task of the instances
  just started);
- the inbox of the busiest role (Petugas, the first task's lane: about 800 tasks at 1,000 open
  instances, 9,800 at 10,000), paging through all of it at the maximum page size: each page
  request is one sample, and the time to read the whole inbox is printed beside it.

The open instances are seeded in-process before the server is measured: one through the start
service, the rest bulk-inserted copies of its rows with fresh task ids (see `seed`), so seeding
10,000 takes seconds; then the planner statistics are brought up to date (ANALYZE; on PostgreSQL
VACUUM ANALYZE, what autovacuum does shortly after a bulk insert).
Each line also gives the CPU time the gunicorn worker spent per request (from /proc, its mean over
the stage): on a shared machine that figure moves far less than the wall clock.
The last line is the worst of the three medians at 10,000 open instances, in ms; the target is
at least 10x faster than a SpiffWorkflow-based peer measured on this machine kind (start 109 ms,
submit 101 ms, inbox of 9,800 tasks 72 ms at 10,000 open): under 10, 10 and 7 ms.

Run: .venv/bin/python -m bench.http [--runs 200]   (make bench-http)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from api.db import db
from api.models import PendingTask
from api.schemas import MAX_PER_PAGE
from bench.engine_floor import LANES, fixture_sources
from tests.load import servers

ROOT = Path(__file__).resolve().parents[1]
BUSIEST = LANES[0]  # the first task's lane: every open instance waiting at its first step is in this inbox
USER = "bench_http"


def describe(label: str, samples: list[float], note: str = "") -> float:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else median
    print(f"  {label:<46} median {median:7.2f} ms   p95 {p95:7.2f} ms{note}", flush=True)
    return median


def write_project(root: Path) -> tuple[Path, Path]:
    processes, forms = root / "processes", root / "forms"
    for name, content in fixture_sources().items():  # "bpmn/<file>" and "forms/<process>/<file>"
        kind, _, rest = name.partition("/")
        path = (processes if kind == "bpmn" else forms) / rest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return processes, forms


class Client:
    """One keep-alive HTTP/1.1 connection, as a browser or a script holding a session would use."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[float, int, dict]:
        payload = json.dumps(body).encode() if body is not None else None
        begin = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=self.headers)
        answer = self.connection.getresponse()
        data = answer.read()
        elapsed = (time.perf_counter() - begin) * 1000
        if answer.getheader("Connection", "").lower() == "close":
            raise RuntimeError("the server closed the connection: no keep-alive")
        return elapsed, answer.status, json.loads(data) if data else {}


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn with 1 worker; gthread, because the sync worker closes every connection (no keep-alive).

    Yields the port and the master's pid (its one child is the worker that serves).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--worker-class", "gthread",
             "--threads", "2", "--keep-alive", "60", "--bind", f"fd://{listener.fileno()}", "--timeout", "120",
             "api.app:create_app()"],
            env=env, cwd=ROOT, pass_fds=[listener.fileno()], start_new_session=True, stdout=out,
            stderr=subprocess.STDOUT)
    listener.close()
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
            with contextlib.suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/api/v1/public/processes")
                if probe.getresponse().status == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("gunicorn not ready")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def seed(app, count: int) -> None:
    """`count` open instances waiting at their first task.

    One instance is started through the start service (`api.services.instances.start`: form check,
    engine, state, inbox row, audit events); the others are bulk-inserted copies of its rows, each
    with fresh engine task ids (every UUID of the state text replaced), its own tracking code and
    moments. Each copy is what that call would have stored, so it completes like any other.
    """
    from sqlalchemy import insert

    from api.models import AuditEvent, Instance
    from api.services import instances
    from api.services.versions import runtime

    with app.app_context():
        model = instances.start(runtime().current("sepuluh"), {}, instances.Actor("bench"))
        columns = [c.key for c in Instance.__table__.columns if c.key != "id"]
        row = {c: getattr(model, c) for c in columns}
        tasks = [{c.key: getattr(t, c.key) for c in PendingTask.__table__.columns}
                 for t in db.session.execute(db.select(PendingTask).filter_by(instance_id=model.id)).scalars()]
        events = [{c.key: getattr(e, c.key) for c in AuditEvent.__table__.columns if c.key != "id"}
                  for e in db.session.execute(db.select(AuditEvent).filter_by(instance_id=model.id)).scalars()]
        first = (db.session.execute(db.select(db.func.max(Instance.id))).scalar() or 0) + 1
        for chunk in range(0, count - 1, 2_000):
            new_instances, new_tasks, new_events = [], [], []
            for n in range(chunk, min(count - 1, chunk + 2_000)):
                ids = {old: str(uuid.uuid4()) for old in set(UUID.findall(row["state"]))}
                instance_id = first + n
                new_instances.append({**row, "id": instance_id, "tracking_code": f"BENCH-{instance_id:09d}",
                                      "state": UUID.sub(lambda m, ids=ids: ids.get(m[0], m[0]), row["state"])})
                new_tasks += [{**t, "id": ids.get(t["id"], t["id"]), "instance_id": instance_id} for t in tasks]
                new_events += [{**e, "instance_id": instance_id,
                                "task_id": ids.get(e["task_id"], e["task_id"]) if e["task_id"] else None}
                               for e in events]
            connection = db.session.connection()
            connection.execute(insert(Instance), new_instances)
            connection.execute(insert(PendingTask), new_tasks)
            connection.execute(insert(AuditEvent), new_events)
        if db.engine.dialect.name == "postgresql":  # the ids were given: move the sequence past them
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('instances', 'id'), "
                                    "(SELECT max(id) FROM instances))"))
        db.session.commit()
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk insert: planner statistics, and the visibility
            # map without which the inbox's index-only scans would visit every row of the table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (ANALYZE) instances, pending_tasks, audit_events, search_terms"))
        else:
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))  # planner statistics, as a periodic ANALYZE would keep them


def task_ids(app, instance_ids: list[int]) -> list[str]:
    with app.app_context():
        rows = dict(db.session.execute(
            db.select(PendingTask.instance_id, PendingTask.id).where(PendingTask.instance_id.in_(instance_ids))
        ).all())
        db.session.remove()
    return [rows[i] for i in instance_ids]


def worker_cpu_ms(master: int) -> float:
    """CPU time (user + system) the gunicorn worker has used so far, read from /proc (Linux).

    Beside the wall clock: on a machine shared with other work the wall clock of a request
    stretches by chance, while the CPU the server spends on it stays what it is.
    """
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for child in children:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (the 14th and 15th fields of stat)
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def cpu_note(master: int, before: float, requests: int) -> str:
    return f"   server CPU {(worker_cpu_ms(master) - before) / requests:.2f} ms/request"


def stage(client: Client, app, runs: int, master: int) -> dict[str, float]:
    before = worker_cpu_ms(master)
    starts, started = [], []
    for _ in range(runs):
        elapsed, status, body = client.call("POST", "/api/v1/processes/sepuluh/instances", {"data": {}})
        assert status == 201, body
        starts.append(elapsed)
        started.append(body["id"])
    start_cpu = cpu_note(master, before, runs)
    ids = task_ids(app, started)
    before = worker_cpu_ms(master)
    completes = []
    for task_id in ids:
        elapsed, status, body = client.call("POST", f"/api/v1/tasks/{task_id}/complete",
                                            {"data": {"catatan": "selesai diperiksa"}})
        assert status == 200, body
        completes.append(elapsed)
    complete_cpu = cpu_note(master, before, runs)
    before = worker_cpu_ms(master)
    pages, walks, listed = [], [], 0
    while len(pages) < runs:
        number, walk, listed = 1, 0.0, 0
        while True:
            elapsed, status, body = client.call("GET", f"/api/v1/tasks?role={BUSIEST}&per_page={MAX_PER_PAGE}"
                                                       f"&page={number}")
            assert status == 200, body
            pages.append(elapsed)
            walk += elapsed
            listed += len(body["items"])
            if len(body["items"]) < MAX_PER_PAGE:
                break
            number += 1
        walks.append(walk)
    inbox_cpu = cpu_note(master, before, len(pages))
    return {
        "start": describe("start + first user task", starts, start_cpu),
        "complete": describe("complete a user task", completes, complete_cpu),
        "inbox": describe(f"inbox {BUSIEST}: one page of {MAX_PER_PAGE}", pages,
                          f"   ({listed:,} tasks, {number} pages; whole inbox {statistics.median(walks):.1f} ms)"
                          f"{inbox_cpu}"),
    }


def run(kind: str, url: str, root: Path, runs: int) -> dict[str, float]:
    processes, forms = write_project(root)
    servers.setup_database(url, processes, forms, {USER: [(lane, "") for lane in LANES]})
    app = servers.app_for(url, processes, forms)
    env = servers.server_env(url, processes, forms, ALUR_DATA_DIR=str(root))
    print(f"== {kind}: gunicorn 1 worker (gthread), one keep-alive client, {runs} samples each", flush=True)
    results: dict[str, float] = {}
    open_before = 0
    for target in (1_000, 10_000):
        begin = time.perf_counter()
        seeded = target - runs if open_before == 0 else target - open_before
        seed(app, seeded)
        open_before += seeded
        print(f"-- {open_before:,} open instances before the {runs} starts (seeded {seeded:,}: one started, "
              f"the rest copied in bulk, then {'VACUUM ANALYZE' if kind == 'PostgreSQL' else 'ANALYZE'}, "
              f"{time.perf_counter() - begin:.1f} s)", flush=True)
        with gunicorn(env, root / "gunicorn.log") as (port, master):
            token = servers.login(f"http://127.0.0.1:{port}", USER)
            client = Client(port, token)
            client.call("GET", f"/api/v1/tasks?per_page={MAX_PER_PAGE}")  # the worker's first request warms up
            results = stage(client, app, runs, master)
        open_before += runs
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    postgres = os.environ.get("ALUR_TEST_DATABASE_URL_PG")
    worst: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        worst["SQLite"] = max(run("SQLite", servers.sqlite_url(Path(tmp) / "bench.db"), Path(tmp) / "sqlite",
                                  args.runs).values())
    if postgres:
        with tempfile.TemporaryDirectory() as tmp, servers.fresh_postgres() as url:
            worst["PostgreSQL"] = max(run("PostgreSQL", url, Path(tmp) / "pg", args.runs).values())
    figures = ", ".join(f"{kind} {value:.2f} ms" for kind, value in worst.items())
    print(f"worst of the three medians at 10,000 open instances: {max(worst.values()):.2f} ms ({figures})")


if __name__ == "__main__":
    main()
