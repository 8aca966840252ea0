"""The inbox with routing by unit at 100,000 open instances (target: p95 < 20 ms).

100,000 open instances, each with one pending task, bulk-inserted: 40 % in the OPD lane routed
to one of 13 OPD (one in ten routed to none), 30 % in the analysts' lane routed to one of five
Baperlitbang bidang, the rest in lanes without units; regions spread over 17 kecamatan. The
viewers hold unit grants (one OPD for the regency, one bidang, the whole Baperlitbang through
its bidang, one OPD within one kecamatan) and, for comparison, a grant without a unit. Each
request is the first page (50) with its total over the API (Flask test client: token, grants
and unit set, the one query, the answer). Wall-clock and the request thread's CPU time are both
printed, with the load average: on a shared machine the wall clock also counts waiting for a CPU.

Run: .venv/bin/python -m bench.inbox_units [--runs 200] [--database-url URL]  (default: a temp SQLite file)
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from api.db import db
from api.models import NO_DUE, Instance, PendingTask, Unit
from api.seed import ensure_user, grant
from bench.api import PASSWORD, describe, login, make_app, regions
from engine import now

OPD = ["dpupr", "dinkes", "disdikbud", "dinsos", "dishub", "dispertan", "dlh", "disperkim", "diskop_umkm", "dpmd",
       "disparpora", "satpol_pp", "baperlitbang"]
BIDANG = ["baperlitbang_infrastruktur", "baperlitbang_ekonomi", "baperlitbang_sosbud", "baperlitbang_litbang",
          "baperlitbang_sekretariat"]
OTHER_LANES = ["Ketua RT", "Ketua RW", "Kepala Desa", "Operator Kecamatan"]
TOTAL = 100_000


def units() -> list[dict[str, str | None]]:
    return ([{"code": c, "name": c, "kind": "opd", "parent": None, "region": "33.13"} for c in OPD]
            + [{"code": c, "name": c, "kind": "bidang", "parent": "baperlitbang", "region": "33.13"} for c in BIDANG])


def routed(rng: random.Random) -> tuple[str, str | None]:
    draw = rng.random()
    if draw < 0.4:
        return "OPD", None if rng.random() < 0.1 else rng.choice(OPD)
    if draw < 0.7:
        return "Pejabat Analis", rng.choice(BIDANG)
    return rng.choice(OTHER_LANES), None


def fill(app, total: int) -> dict[tuple[str, str | None], int]:
    """Bulk-insert open instances with one pending task each; returns how many tasks each (lane, unit) got."""
    rng = random.Random(total)
    paths, counts = regions(), {}
    base = datetime(2026, 3, 1, tzinfo=UTC)
    with app.app_context():
        db.session.execute(insert(Unit), units())
        version_id = app.extensions["alur"].current("sepuluh").row_id
        connection = db.session.connection()
        for start in range(0, total, 10_000):
            instances, tasks = [], []
            for i in range(start, min(total, start + 10_000)):
                region, (lane, unit) = rng.choice(paths), routed(rng)
                counts[(lane, unit)] = counts.get((lane, unit), 0) + 1
                created = base + timedelta(minutes=i)
                due = created + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.8 else None
                instances.append({"id": i + 1, "process_id": "sepuluh", "version_id": version_id, "status": "running",
                                  "state": "{}", "tracking_code": f"B{i:09d}", "region": region,
                                  "title": f"Usulan {i}", "started_by_name": "bench", "anonymous": False,
                                  "confidential": False, "created_at": created, "updated_at": created,
                                  "due_at": due, "lock_version": 1})
                tasks.append({"id": str(uuid.UUID(int=i + 1)), "instance_id": i + 1, "process_id": "sepuluh",
                              "name": "langkah", "title": "Langkah", "instance_title": f"Usulan {i}", "lane": lane,
                              "region": region, "unit": unit, "due_at": due, "sort_key": due or NO_DUE,
                              "created_at": created})
            connection.execute(insert(Instance), instances)
            connection.execute(insert(PendingTask), tasks)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum keeps after a bulk load: statistics, and the visibility map that lets the
            # inbox be answered from its index alone (index-only scans).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE pending_tasks"))
        else:
            db.session.execute(text("ANALYZE"))  # planner statistics, as a periodic ANALYZE would keep them
            db.session.commit()
    return counts


VIEWERS = {
    "OPD, one OPD (dpupr), whole regency": ("opd_dpupr", "OPD", "33.13", "dpupr"),
    "OPD, one OPD (dpupr), one kecamatan": ("opd_dpupr_kec", "OPD", "33.13.05", "dpupr"),
    "Pejabat Analis, one bidang": ("analis_infra", "Pejabat Analis", "33.13", "baperlitbang_infrastruktur"),
    "Pejabat Analis, Baperlitbang and its 5 bidang": ("analis_badan", "Pejabat Analis", "33.13", "baperlitbang"),
    "OPD without a unit (every OPD), for comparison": ("opd_semua", "OPD", "33.13", None),
}


def bench(app, runs: int) -> None:
    with app.app_context():
        for username, role, prefix, unit in VIEWERS.values():
            grant(ensure_user(username, PASSWORD), role, prefix, unit)
        db.session.commit()
    begin = time.perf_counter()
    counts = fill(app, TOTAL)
    print(f"-- {TOTAL:,} open instances (bulk insert {time.perf_counter() - begin:.1f} s); "
          f"OPD tasks routed to dpupr: {counts.get(('OPD', 'dpupr'), 0):,}, to none: {counts.get(('OPD', None), 0):,}")
    client = app.test_client()
    worst = {"wall": 0.0, "cpu": 0.0}
    for label, (username, *_) in VIEWERS.items():
        headers = login(client, username)
        wall, cpu = [], []
        for _ in range(runs):
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            answer = client.get("/api/v1/tasks", query_string={"per_page": 50}, headers=headers)
            wall.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.thread_time() - begin_cpu) * 1000)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        total = f"{body['total']:,}{'+' if body.get('total_capped') else ''}"
        print(f"inbox {label}, {total} visible")
        worst["wall"] = max(worst["wall"], describe("    wall clock", wall)[1])
        # The request's own CPU time (SQLite runs in this thread): what it costs when the machine is not shared.
        worst["cpu"] = max(worst["cpu"], describe("    CPU time of the request thread", cpu)[1])
    print(f"{'worst p95, wall clock':<58} {worst['wall']:7.3f} ms   (target < 20 ms)")
    print(f"{'worst p95, CPU time of the request':<58} {worst['cpu']:7.3f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


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
        bench(app, args.runs)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
