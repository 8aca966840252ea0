"""Process versions: stored once, numbered per process; instances stay on the version they started on."""

from __future__ import annotations

import logging

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


def test_a_changed_file_that_fails_the_lint_is_logged_and_the_previous_version_stays_current(
        app, client, users, project, database, caplog):
    start_report(client, users)  # the running app has registered v1 from the files
    processes, forms = project
    lapor = processes / "lapor.bpmn"
    good = lapor.read_text(encoding="utf-8")
    lapor.write_text(good.replace("telepon = None", "telepon = ().__class__.__base__.__subclasses__()"),
                     encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="api.services.versions"):
        restarted = make_app(database, processes, forms)
        listed = restarted.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()

    assert listed["version"] == 1 and [v["number"] for v in listed["versions"]] == [1]
    [logged] = [r.getMessage() for r in caplog.records if "lapor.bpmn not registered" in r.getMessage()]
    assert "lapor.bpmn:" in logged and "[siapkan] script ditolak sandbox" in logged
    with restarted.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)).scalar() == 2
        db.engine.dispose()

    lapor.write_text(good.replace("telepon = None", "telepon = ''"), encoding="utf-8")  # fixed: now it is a version
    fixed = make_app(database, processes, forms)
    assert fixed.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")
                                   ).get_json()["version"] == 2
    with fixed.app_context():
        db.engine.dispose()


def test_a_form_file_that_breaks_the_lint_keeps_every_process_using_it_on_its_version(
        app, client, users, project, database, caplog):
    start_report(client, users)
    processes, forms = project
    (forms / "uji" / "verifikasi.schema.json").write_text('{"type": "object", "properties": ', encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="api.services.versions"):
        restarted = make_app(database, processes, forms)
        listed = restarted.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()

    assert listed["version"] == 1
    assert any("lapor.bpmn not registered" in r.getMessage() and "verifikasi" in r.getMessage()
               for r in caplog.records)
    usulan = restarted.test_client().get("/api/v1/processes/uji_usulan", headers=users.headers("rt1")).get_json()
    assert usulan["version"] == 1  # a process that does not use the form is unaffected
    with restarted.app_context():
        db.engine.dispose()
