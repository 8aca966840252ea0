"""What the analysts' modeler waits for, on SQLite with the real procedures and demo users:
- the live lint of the whole musrenbang diagram (`POST /analis/modeler/lint`), which runs after each edit;
- the deploy gate's check of an edited draft (`POST /analis/modeler/periksa`: lint, build, and the dry
  run of moving the running instances) with N proposals running;
- the size of the modeler bundle the browser loads (built by `make setup`).

Medians of `--runs` requests. Run: .venv/bin/python -m bench.modeler [--instances 100] [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.datastructures import MultiDict

from api.app import create_app
from api.seed import seed_demo
from api.services.versions import runtime

ROOT = Path(__file__).resolve().parents[1]
MUSRENBANG = (ROOT / "processes" / "musrenbang.bpmn").read_text(encoding="utf-8")
EDITED = MUSRENBANG.replace('name="6 bulan sejak usulan RT"', 'name="Batas RKPD"').replace(
    ">batas_rkpd</bpmn:timeDate>", ">end_of_office_day(add_working_days(batas_rkpd, 10))</bpmn:timeDate>")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client, username: str) -> None:
    token = CSRF.search(client.get("/masuk").get_data(as_text=True)).group(1)
    client.post("/masuk", data={"username": username, "password": "alur-demo", "csrf_token": token})


def token(client, page: str) -> str:
    return CSRF.search(client.get(page).get_data(as_text=True)).group(1)


def timed(client, path: str, data: dict, runs: int) -> tuple[float, int]:
    times, status = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        status = client.post(path, data=data).status_code
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/alur.db",
                          "ALUR_PROCESSES_DIR": ROOT / "processes", "ALUR_FORMS_DIR": ROOT / "forms",
                          "ALUR_PASSWORD_METHOD": "scrypt:1024:8:1", "ALUR_DATA_DIR": folder})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            runtime().sync()
            seed_demo()
        from tests.procedures.test_musrenbang import USULAN
        from tests.web.test_pages import as_form

        # Held a few days ago, so the 6-month clock the edit changes is still running: with the test's fixed
        # date it has long fired, that step is done, and the dry run rightly refuses to move any proposal.
        proposal = {**USULAN, "tanggal_musyawarah_rt": (date.today() - timedelta(days=3)).isoformat()}
        staff = app.test_client()
        login(staff, "ketua_rt")
        start_token = token(staff, "/mulai/musrenbang")
        started = sum(
            staff.post("/mulai/musrenbang", data=MultiDict([*as_form(proposal), ("csrf_token", start_token)]))
            .status_code == 302 for _ in range(args.instances))
        if started != args.instances:
            raise SystemExit(f"only {started} of {args.instances} proposals started: the figures would measure less")
        analyst = app.test_client()
        login(analyst, "analis_proses")
        csrf = token(analyst, "/analis/musrenbang/ubah")
        draft = {"csrf_token": csrf, "berkas": "musrenbang.bpmn", "proses": "musrenbang", "formulir": "{}"}
        lint_ms, lint_status = timed(analyst, "/analis/modeler/lint", {**draft, "xml": MUSRENBANG}, args.runs)
        check_ms, check_status = timed(analyst, "/analis/modeler/periksa", {**draft, "xml": EDITED}, args.runs)
        plan = analyst.post("/analis/modeler/periksa", data={**draft, "xml": EDITED}).get_json()["plan"]
        if plan["movable"] != args.instances:
            print(f"warning: {plan['refused']} proposals refused by the dry run: {plan['reasons']}")
    bundle = ROOT / "build" / "modeler"
    sizes = {p.name: p.stat().st_size for p in bundle.glob("*")} if bundle.is_dir() else {}
    print(json.dumps({
        "live_lint_ms_median": round(lint_ms, 1), "lint_status": lint_status,
        "check_ms_median": round(check_ms, 1), "check_status": check_status,
        "running_instances": args.instances, "planned_movable": plan["movable"], "planned_timers": plan["timers"],
        "bundle_js_kb": round(sizes.get("index.js", 0) / 1000),
        "bundle_css_kb": round(sizes.get("modeler.css", 0) / 1000),
    }, indent=2))


if __name__ == "__main__":
    main()
