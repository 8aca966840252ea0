"""Starting an instance and completing tasks: validation (422), visibility (404), races (409)."""

from __future__ import annotations

from api.db import db
from api.models import AuditEvent, Instance, PendingTask, User
from api.services import instances
from tests.api.conftest import REPORT, inbox, only_task, start_report


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def test_processes_list_their_current_version_lanes_and_start_form(client, users):
    answer = client.get("/api/v1/processes", headers=users.headers("petugas"))

    by_id = {p["id"]: p for p in answer.get_json()["items"]}
    lapor = by_id["uji_lapor"]
    assert lapor["version"] == 1 and len(lapor["version_hash"]) == 64
    assert lapor["lanes"] == ["Petugas Uji", "Analis Uji", "Kepala Uji"]
    assert lapor["start"]["lane"] == "Petugas Uji" and lapor["start"]["public"] is True
    assert lapor["start"]["form"]["schema"]["required"] == ["judul", "isi", "wilayah"]


def test_the_diagram_of_a_version_is_served_as_xml(client, users):
    answer = client.get("/api/v1/processes/uji_lapor/versions/1/diagram", headers=users.headers("petugas"))

    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert b'id="uji_lapor"' in answer.data
    missing = client.get("/api/v1/processes/uji_lapor/versions/9/diagram", headers=users.headers("petugas"))
    assert missing.status_code == 404


def test_start_stores_the_instance_with_code_region_title_and_first_task(app, client, users):
    started = start_report(client, users)

    assert started["status"] == "running" and started["tracking_code"].startswith("ALR-")
    assert (started["region"], started["title"], started["started_by"]) == ("33.13.05.2001", REPORT["judul"], "petugas")
    task = only_task(client, users, "petugas", "verifikasi")
    assert task["title"] == "Verifikasi laporan" and task["due_at"] == "2026-03-25T09:00:00+00:00"
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("petugas")).get_json()
    assert detail["data"]["kode_lacak"] == started["tracking_code"]
    assert [e["kind"] for e in detail["history"]][:2] == ["instance_started", "task_ready"]


def test_start_data_is_checked_against_the_start_form_with_every_error(app, client, users):
    answer = client.post("/api/v1/processes/uji_lapor/instances",
                         json={"data": {"judul": "ab", "wilayah": "63.10", "email": "bukan-email"}},
                         headers=users.headers("petugas"))

    assert answer.status_code == 422
    assert answer.get_json()["code"] == "form_invalid"
    assert {f["field"]: f["message"] for f in answer.get_json()["fields"]} == {
        "email": "bukan alamat email yang sah",
        "isi": "Isi wajib diisi",
        "judul": "minimal 5 karakter",
        "wilayah": "formatnya tidak sesuai",
    }
    assert count(app, Instance) == 0 and count(app, AuditEvent) == 0


def test_the_envelope_itself_is_validated(client, users):
    answer = client.post("/api/v1/processes/uji_lapor/instances", json={"data": "x", "lain": 1},
                         headers=users.headers("petugas"))

    assert answer.status_code == 422
    assert {f["field"] for f in answer.get_json()["fields"]} == {"data", "lain"}


def test_only_the_start_lane_within_the_region_may_start(client, users):
    outside = client.post("/api/v1/processes/uji_usulan/instances",
                          json={"data": {"judul": "Talud", "wilayah": "33.13.05.2001/RW02/RT001"}},
                          headers=users.headers("rt2"))
    wrong_role = client.post("/api/v1/processes/uji_usulan/instances",
                             json={"data": {"judul": "Talud", "wilayah": "33.13.05.2001/RW02/RT001"}},
                             headers=users.headers("petugas"))

    assert outside.status_code == wrong_role.status_code == 403
    unknown = client.post("/api/v1/processes/tidak_ada/instances", json={"data": {}}, headers=users.headers("rt1"))
    assert unknown.status_code == 404


def test_completing_moves_the_instance_and_records_who_did_it(app, client, users):
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")

    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "lengkap"}},
                       headers=users.headers("petugas"))

    assert done.status_code == 200
    assert done.get_json()["next_tasks"] == []  # the next step is the analyst's
    assert inbox(client, users, "petugas") == []
    [analyst_task] = inbox(client, users, "analis")
    history = client.get(f"/api/v1/tasks/{analyst_task['id']}", headers=users.headers("analis")).get_json()["history"]
    completed = [e for e in history if e["kind"] == "task_completed"]
    assert completed == [{"kind": "task_completed", "actor": "petugas", "at": "2026-03-17T02:00:00+00:00",
                          "task_id": task["id"], "task_name": "verifikasi", "task_title": "Verifikasi laporan",
                          "detail": {"data": {"catatan": "lengkap"}, "lane": "Petugas Uji"}}]


def test_bad_task_data_is_422_with_every_field_and_nothing_changes(app, client, users):
    start_report(client, users)
    only_task(client, users, "petugas", "verifikasi")
    client.post(f"/api/v1/tasks/{only_task(client, users, 'petugas', 'verifikasi')['id']}/complete",
                json={"data": {"catatan": "ok!"}}, headers=users.headers("petugas"))
    task = only_task(client, users, "analis", "tanggapi")
    with app.app_context():
        before = db.session.execute(db.select(Instance.lock_version, Instance.state)).one()

    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"jawaban": "x", "pembagi": -1}},
                         headers=users.headers("analis"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "jawaban", "message": "minimal 3 karakter"},
        {"field": "pembagi", "message": "tidak boleh kurang dari 0"},
    ]
    with app.app_context():
        assert db.session.execute(db.select(Instance.lock_version, Instance.state)).one() == before
    assert only_task(client, users, "analis", "tanggapi")["id"] == task["id"]


def test_a_task_completed_meanwhile_is_409_for_those_who_could_do_it_and_404_for_others(client, users):
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    users.add("petugas2", ("Petugas Uji", "33.13.05"))
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                headers=users.headers("petugas"))

    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                        headers=users.headers("petugas2"))
    stranger = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                           headers=users.headers("analis"))

    assert again.status_code == 409 and again.get_json()["code"] == "task_not_ready"
    assert stranger.status_code == 404


def test_a_task_that_is_not_yours_to_see_is_404_everywhere(client, users):
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    for path, method in ((f"/api/v1/tasks/{task['id']}", "get"), (f"/api/v1/tasks/{task['id']}/claim", "post"),
                         (f"/api/v1/tasks/{task['id']}/complete", "post")):
        answer = getattr(client, method)(path, json={"data": {"catatan": "oke"}}, headers=users.headers("analis"))
        assert answer.status_code == 404, path
        assert answer.get_json() == {"code": "not_found", "message": "tugas tidak ditemukan"}
    unknown = client.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000", headers=users.headers("petugas"))
    assert unknown.status_code == 404


def test_claim_and_unclaim(client, users):
    users.add("petugas2", ("Petugas Uji", "33.13"))
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    url = f"/api/v1/tasks/{task['id']}"

    claimed = client.post(f"{url}/claim", headers=users.headers("petugas"))
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by"] == "petugas"

    assert client.post(f"{url}/claim", headers=users.headers("petugas2")).status_code == 409
    taken = client.post(f"{url}/complete", json={"data": {"catatan": "oke"}}, headers=users.headers("petugas2"))
    assert taken.status_code == 409 and taken.get_json()["code"] == "task_claimed"
    assert client.post(f"{url}/unclaim", headers=users.headers("petugas2")).status_code == 409

    assert client.post(f"{url}/unclaim", headers=users.headers("petugas")).get_json()["claimed_by"] is None
    assert client.post(f"{url}/complete", json={"data": {"catatan": "oke"}},
                       headers=users.headers("petugas2")).status_code == 200


def test_task_rows_follow_the_state(app, client, users):
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                headers=users.headers("petugas"))
    with app.app_context():
        assert list(db.session.execute(db.select(PendingTask.name, PendingTask.lane))) == [("tanggapi", "Analis Uji")]


def test_given_a_claim_taken_between_the_check_and_the_lock_then_the_completion_is_refused_and_the_claim_stands(
        app, client, users, monkeypatch):
    users.add("petugas2", ("Petugas Uji", "33.13"))
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    users.headers("petugas2")
    with app.app_context():
        other = db.session.execute(db.select(User.id).filter_by(username="petugas2")).scalar_one()
    locking = instances.lock_instance

    def claimed_meanwhile(instance_id: int):
        # Another request claims the task and commits after the completion checked the claim, before the lock.
        with db.engine.begin() as connection:
            connection.execute(db.update(PendingTask).where(PendingTask.id == task["id"]).values(claimed_by_id=other))
        return locking(instance_id)

    monkeypatch.setattr(instances, "lock_instance", claimed_meanwhile)
    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                         headers=users.headers("petugas"))
    monkeypatch.undo()

    assert answer.status_code == 409 and answer.get_json()["code"] == "task_claimed"
    assert only_task(client, users, "petugas", "verifikasi")["claimed_by"] == "petugas2"
    with app.app_context():
        completed = db.select(db.func.count()).select_from(AuditEvent).filter_by(kind="task_completed")
        assert db.session.execute(completed).scalar() == 0
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                       headers=users.headers("petugas2"))
    assert done.status_code == 200


def test_given_a_completion_the_engine_refuses_then_the_task_is_not_left_claimed(client, users):
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")

    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "x"}},
                          headers=users.headers("petugas"))

    assert refused.status_code == 422
    assert only_task(client, users, "petugas", "verifikasi")["claimed_by"] is None
