"""The API's cost over the engine's, and the inbox at 1,000 and 100,000 open instances.

Prints, in one run:
- median and p95 of completing a task over the API (Flask test client: auth, lookup,
  load, engine, save, commit) against the engine's own cycle for the same task and
  state; the ratio of the medians is the figure (target <= 3x on SQLite);
- inbox latency (the first page, with the total) for users at RT, kecamatan and
  regency level with 1,000 and with 100,000 open instances, rows bulk-inserted
  (target p95 < 20 ms at 100,000, medians within 2x of each other).

Run: .venv/bin/python -m bench.api [--runs 200] [--database-url URL]  (default: a temp SQLite file)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from api.app import create_app
from api.db import db
from api.models import NO_DUE, Instance, PendingTask
from api.seed import ensure_user, grant
from bench.engine_floor import LANES, fixture_sources
from engine import now

PASSWORD = "bench-pass"
KECAMATAN = 17
LANE_NAMES = ["Ketua RT", "Ketua RW", "Kepala Desa", "Operator Kecamatan", "OPD", "Baperlitbang"]


def describe(label: str, samples: list[float]) -> tuple[float, float]:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{label:<58} median {median:7.3f} ms   p95 {p95:7.3f} ms")
    return median, p95


def make_app(root: Path, database_url: str):
    processes, forms = root / "processes", root / "forms"
    processes.mkdir(parents=True)
    forms.mkdir()
    for name, content in fixture_sources().items():  # "bpmn/<file>" and "forms/<process>/<file>"
        kind, _, rest = name.partition("/")
        path = (processes if kind == "bpmn" else forms) / rest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ALUR_PROCESSES_DIR": processes,
                      "ALUR_FORMS_DIR": forms, "ALUR_PASSWORD_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def login(client, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def bench_complete(app, runs: int) -> None:
    with app.app_context():
        user = ensure_user("semua", PASSWORD)
        for lane in LANES:
            grant(user, lane, "")
        db.session.commit()
    client = app.test_client()
    headers = login(client, "semua")
    runtime = app.extensions["alur"]
    api_ms: list[float] = []
    engine_ms: list[float] = []
    # CPU time of this process beside the wall clock: on a shared machine other programs stretch the
    # wall clock of both sides by chance, while the CPU each side spends stays what it is.
    api_cpu: list[float] = []
    engine_cpu: list[float] = []
    while len(api_ms) < runs:
        started = client.post("/api/v1/processes/sepuluh/instances", json={"data": {}}, headers=headers).get_json()
        for _ in range(10):
            with app.app_context():
                instance = db.session.get(Instance, started["id"])
                task_id = db.session.execute(
                    db.select(PendingTask.id).filter_by(instance_id=instance.id)).scalar_one()
                version = runtime.by_row(instance.version_id).version
                state, lane = instance.state, db.session.get(PendingTask, task_id).lane
            begin, cpu = time.perf_counter(), time.process_time()
            runtime.engine.complete(version, state, task_id, {"catatan": "ok"}, lane)
            engine_ms.append((time.perf_counter() - begin) * 1000)
            engine_cpu.append((time.process_time() - cpu) * 1000)
            begin, cpu = time.perf_counter(), time.process_time()
            answer = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"catatan": "ok"}},
                                 headers=headers)
            api_ms.append((time.perf_counter() - begin) * 1000)
            api_cpu.append((time.process_time() - cpu) * 1000)
            assert answer.status_code == 200, answer.get_json()
    engine_median, _ = describe("engine cycle (load, complete, steps, save state)", engine_ms)
    api_median, _ = describe("API complete (HTTP in-process, auth, lookup, engine, save)", api_ms)
    print(f"{'ratio API / engine (medians)':<58} {api_median / engine_median:.2f}x   (target <= 3x)")
    cpu_ratio = statistics.median(api_cpu) / statistics.median(engine_cpu)
    print(f"{'the same in CPU time of this process (medians)':<58} {cpu_ratio:.2f}x   "
          f"({statistics.median(api_cpu):.3f} vs {statistics.median(engine_cpu):.3f} ms)")


def regions() -> list[str]:
    paths = []
    for k in range(1, KECAMATAN + 1):
        for d in range(1, 11):
            for rw in range(1, 4):
                for rt in range(1, 4):
                    paths.append(f"33.13.{k:02d}.20{d:02d}/RW{rw:02d}/RT{rt:03d}")
    return paths


def fill(app, total: int, already: int) -> None:
    """Bulk-insert open instances, each with one pending task in a random lane and RT."""
    rng = random.Random(total)
    paths = regions()
    base = datetime(2026, 3, 1, tzinfo=UTC)
    with app.app_context():
        version_id = app.extensions["alur"].current("sepuluh").row_id
        connection = db.session.connection()
        for start in range(already, total, 10_000):
            instances, tasks = [], []
            for i in range(start, min(total, start + 10_000)):
                region, lane = rng.choice(paths), rng.choice(LANE_NAMES)
                created = base + timedelta(minutes=i)
                due = created + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.8 else None
                instances.append({"id": i + 1, "process_id": "sepuluh", "version_id": version_id, "status": "running",
                                  "state": "{}", "tracking_code": f"B{i:09d}", "region": region,
                                  "title": f"Usulan {i}", "started_by_name": "bench", "anonymous": False,
                                  "confidential": False, "created_at": created, "updated_at": created,
                                  "due_at": due, "lock_version": 1})
                tasks.append({"id": str(uuid.UUID(int=i + 1)), "instance_id": i + 1, "process_id": "sepuluh",
                              "name": "langkah", "title": "Langkah", "instance_title": f"Usulan {i}", "lane": lane,
                              "region": region, "due_at": due, "sort_key": due or NO_DUE,
                              "created_at": created})
            connection.execute(insert(Instance), instances)
            connection.execute(insert(PendingTask), tasks)
        db.session.commit()
        db.session.execute(text("ANALYZE"))  # planner statistics, as a periodic ANALYZE would keep them
        db.session.commit()


def bench_inbox(app, runs: int) -> None:
    viewers = {
        "Ketua RT (one RT)": ("inbox_rt", "Ketua RT", "33.13.05.2001/RW02/RT001"),
        "Operator Kecamatan (one kecamatan)": ("inbox_kec", "Operator Kecamatan", "33.13.05"),
        "Baperlitbang (whole regency)": ("inbox_kab", "Baperlitbang", "33.13"),
    }
    with app.app_context():
        for username, role, prefix in viewers.values():
            grant(ensure_user(username, PASSWORD), role, prefix)
        db.session.commit()
    client = app.test_client()
    tokens = {label: login(client, username) for label, (username, _, _) in viewers.items()}
    results: dict[str, dict[int, float]] = {label: {} for label in viewers}
    already = 0
    for size in (1_000, 100_000):
        begin = time.perf_counter()
        fill(app, size, already)
        already = size
        print(f"-- {size:,} open instances (bulk insert {time.perf_counter() - begin:.1f} s)")
        for label, headers in tokens.items():
            samples = []
            for _ in range(runs):
                begin = time.perf_counter()
                answer = client.get("/api/v1/tasks", query_string={"per_page": 50}, headers=headers)
                samples.append((time.perf_counter() - begin) * 1000)
            total = answer.get_json()["total"]
            median, _ = describe(f"inbox {label}, {total:,} visible", samples)
            results[label][size] = median
    for label, medians in results.items():
        print(f"{'median 100,000 / 1,000: ' + label:<58} {medians[100_000] / medians[1_000]:.2f}x   (target <= 2x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = args.database_url or f"sqlite:///{root / 'bench.db'}"
        app = make_app(root, url)
        print(f"database: {url.split('@')[-1]}   clock: {now().isoformat(timespec='seconds')}")
        bench_complete(app, args.runs)
        with app.app_context():
            db.session.execute(db.delete(PendingTask))
            db.session.execute(text("DELETE FROM audit_events"))
            db.session.execute(db.delete(Instance))
            db.session.commit()
        bench_inbox(app, args.runs)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
