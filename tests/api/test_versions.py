"""Process versions: stored once, numbered per process; instances stay on the version they started on."""

from __future__ import annotations

from api.db import db
from api.models import ProcessVersionRow
from tests.api.conftest import make_app, only_task, start_report


def test_a_changed_diagram_is_a_new_version_and_running_instances_keep_theirs(app, client, users, project, database):
    started = start_report(client, users)
    processes, forms = project
    tanggapi = forms / "uji" / "tanggapi.schema.json"
    tanggapi.write_text(tanggapi.read_text().replace('"minLength": 3', '"minLength": 50'), encoding="utf-8")

    newer = make_app(database, processes, forms)
    newer_client = newer.test_client()
    listed = newer_client.get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()

    assert listed["version"] == 2 and [v["number"] for v in listed["versions"]] == [1, 2]
    with newer.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)).scalar() == 3

    # The old instance runs on v1 (the short answer is fine there) even in the new app.
    task = only_task(newer_client, users, "petugas", "verifikasi")
    newer_client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                      headers=users.headers("petugas"))
    task = only_task(newer_client, users, "analis", "tanggapi")
    answer = newer_client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"jawaban": "singkat",
                               "pembagi": 1}}, headers=users.headers("analis"))
    assert answer.status_code == 200 and answer.get_json()["instance"]["version"] == 1
    assert answer.get_json()["instance"]["id"] == started["id"]
    with newer.app_context():
        db.engine.dispose()
