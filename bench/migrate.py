"""Moving running instances to a new version as a batch, on SQLite.

Creates N instances (default 10,000) of a ten-step process waiting at its first step
(started by the engine, rows bulk-inserted), deploys an edited version (the waiting
step renamed, a later script changed), then prints:
- the dry-run rate (instances checked per second, nothing written);
- the migration rate (instances moved per second, each in its own transaction with
  its pending-task rows rewritten and a "migrated" audit event), as the median of
  `--runs` batches moving all instances forth and back between the two versions.

Run: .venv/bin/python -m bench.migrate [--instances 10000] [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from api.app import create_app
from api.db import db
from api.models import NO_DUE, ORIGIN_CLI, Instance, PendingTask
from api.services import migration
from api.services.deploy import deploy
from api.services.instances import Actor
from api.services.versions import runtime
from bench.engine_floor import fixture_sources
from engine import now

PROCESS = "sepuluh"
CHUNK = 1_000


def edited(xml: str) -> str:
    """The analyst's edit: the waiting step is renamed (presentation) and a later script changes."""
    return xml.replace('name="Langkah 1"', 'name="Langkah pertama"').replace(
        "catatan_5 = catatan", "catatan_5 = catatan.strip()"
    )


def make_app(root: Path, database_url: str):
    processes, forms = root / "processes", root / "forms"
    processes.mkdir(parents=True)
    forms.mkdir()
    for name, text in fixture_sources().items():
        folder, _, relative = name.partition("/")  # "bpmn/<file>" or "forms/<path>"
        path = (processes if folder == "bpmn" else forms) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ALUR_PROCESSES_DIR": processes,
                      "ALUR_FORMS_DIR": forms})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def populate(count: int) -> list[int]:
    """Start `count` instances with the engine and insert their rows in bulk; returns their ids."""
    ref = runtime().current(PROCESS)
    engine = runtime().engine
    moment = now()
    ids = []
    for first in range(1, count + 1, CHUNK):
        instances, tasks = [], []
        for instance_id in range(first, min(first + CHUNK, count + 1)):
            result = engine.start(ref.version, {"catatan": f"usulan {instance_id}"})
            instances.append({
                "id": instance_id, "process_id": PROCESS, "version_id": ref.row_id, "status": result.status,
                "state": result.state, "tracking_code": f"B{instance_id:09d}", "region": "33.13",
                "title": f"Bench {instance_id}", "start_lane": None, "started_by_name": "bench",
                "anonymous": False, "confidential": False, "created_at": moment, "updated_at": moment,
                "lock_version": 1,
            })
            for task in result.tasks:
                tasks.append({
                    "id": task.id, "instance_id": instance_id, "process_id": PROCESS, "name": task.name,
                    "title": task.title, "instance_title": f"Bench {instance_id}", "lane": task.lane or "",
                    "region": "33.13", "form": task.form.schema_file if task.form else None, "due_at": None,
                    "sort_key": NO_DUE, "created_at": moment,
                })
            ids.append(instance_id)
        db.session.execute(insert(Instance), instances)
        db.session.execute(insert(PendingTask), tasks)
        db.session.commit()
    return ids


def rate(label: str, count: int, seconds: float) -> float:
    per_second = count / seconds
    print(f"{label:<52} {count:>6} instances in {seconds:6.1f} s   {per_second:8.0f} /s")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="migration batches (forth and back); the median")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench_migrate.db'}"
        app = make_app(Path(tmp), url)
        with app.app_context():
            runtime().ensure_synced()
            started = time.perf_counter()
            ids = populate(args.instances)
            print(f"{len(ids)} instances created in {time.perf_counter() - started:.1f} s "
                  f"({db.engine.dialect.name})")
            xml = fixture_sources()[f"bpmn/{PROCESS}.bpmn"]
            result = deploy({f"{PROCESS}.bpmn": edited(xml)}, "bench", ORIGIN_CLI, "bench")
            assert result.ok and result.changed, result.problems
            versions = [runtime().by_number(PROCESS, 1), runtime().by_number(PROCESS, 2)]

            started = time.perf_counter()
            check = migration.dry_run(PROCESS, ids, versions[1])
            rate("dry run (check only, v1 -> v2)", len(ids), time.perf_counter() - started)
            assert check.summary()["ok"] == len(ids), check.summary()

            rates = []
            for run in range(args.runs):
                target = versions[(run + 1) % 2]
                started = time.perf_counter()
                batch = migration.migrate_instances(PROCESS, ids, target, Actor("bench"))
                seconds = time.perf_counter() - started
                assert batch.summary()["migrated"] == len(ids), batch.summary()
                rates.append(rate(f"migrate run {run + 1} (v{3 - target.number} -> v{target.number})",
                                  len(ids), seconds))
            print(f"migrated instances per second, batch of {len(ids)} on {db.engine.dialect.name}, "
                  f"median of {len(rates)} runs: {statistics.median(rates):.0f} /s")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
