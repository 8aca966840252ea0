"""The public channel, tracking by code, and anonymous or confidential reports."""

from __future__ import annotations

from api.db import db
from api.models import Instance
from tests.api.conftest import REPORT, only_task, start_report

HIDDEN = "(dirahasiakan)"


def submit(client, data: dict | None = None, address: str = "10.0.0.1"):
    return client.post("/api/v1/public/processes/uji_lapor/instances", json={"data": data or REPORT},
                       environ_base={"REMOTE_ADDR": address})


def finish_verification(client, users, note: str = "Laporan diterima, sedang diperiksa") -> None:
    task = only_task(client, users, "petugas", "verifikasi")
    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": note}},
                         headers=users.headers("petugas"))
    assert answer.status_code == 200


def test_the_public_submits_without_login_and_gets_a_tracking_code(app, client, users):
    answer = submit(client)

    assert answer.status_code == 201
    code = answer.get_json()["tracking_code"]
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        assert (instance.tracking_code, instance.started_by_name, instance.started_by_id) == (code, "publik", None)
    assert only_task(client, users, "petugas", "verifikasi")


def test_public_submission_is_validated_like_any_other(client):
    answer = submit(client, {"judul": "x"})

    assert answer.status_code == 422
    assert {f["field"] for f in answer.get_json()["fields"]} == {"judul", "isi", "wilayah"}


def test_only_processes_marked_public_accept_public_submissions(client):
    answer = client.post("/api/v1/public/processes/uji_usulan/instances", json={"data": {"judul": "x"}})

    assert answer.status_code == 404
    listed = client.get("/api/v1/public/processes").get_json()["items"]
    assert [p["id"] for p in listed] == ["uji_lapor"]


def test_public_submissions_are_rate_limited_per_client_address(client, clock):
    assert [submit(client).status_code for _ in range(3)] == [201, 201, 201]

    refused = submit(client)
    assert refused.status_code == 429 and refused.get_json()["code"] == "too_many_requests"
    assert submit(client, address="10.0.0.2").status_code == 201
    clock.advance(minutes=11)
    assert submit(client).status_code == 201


def test_tracking_shows_status_steps_due_moments_and_replies_but_nothing_personal(client, users):
    code = submit(client).get_json()["tracking_code"]
    finish_verification(client, users)

    body = client.get(f"/api/v1/public/track/{code.lower()}").get_json()

    assert body["status"] == "running" and body["status_label"] == "sedang diproses"
    assert body["steps"] == [{"title": "Tanggapi laporan", "due_at": None, "late": False}]
    assert [(m["jenis"], m["isi"]) for m in body["messages"]] == [("respon_awal", "Laporan diterima, sedang diperiksa")]
    text = str(body)
    assert "siti@example.org" not in text and "Siti" not in text


def test_an_unknown_tracking_code_is_404(client):
    assert client.get("/api/v1/public/track/ALR-00000-00000").status_code == 404


def test_a_confidential_report_shows_only_its_status(client, users):
    code = submit(client, {**REPORT, "rahasia": True}).get_json()["tracking_code"]

    assert client.get(f"/api/v1/public/track/{code}").get_json() == {
        "tracking_code": code, "status": "running", "status_label": "sedang diproses"}


def test_an_anonymous_reporter_is_hidden_from_everyone_but_the_complaint_team_and_admins(client, users):
    start_report(client, users, {**REPORT, "anonim": True})
    finish_verification(client, users)
    task = only_task(client, users, "analis", "tanggapi")

    for_analyst = client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("analis")).get_json()
    assert (for_analyst["data"]["nama"], for_analyst["data"]["email"]) == (HIDDEN, HIDDEN)
    assert for_analyst["data"]["judul"] == REPORT["judul"]  # the report itself stays visible
    started = [e for e in for_analyst["history"] if e["kind"] == "instance_started"][0]
    assert started["detail"]["data"]["nama"] == HIDDEN

    users.add("petugas", ("Analis Uji", "33.13"))  # the complaint desk also analyses
    for_desk = client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("petugas")).get_json()
    assert for_desk["data"]["nama"] == "Siti"
    instance_id = for_analyst["instance_id"]
    for_admin = client.get(f"/api/v1/admin/instances/{instance_id}", headers=users.headers("admin")).get_json()
    assert for_admin["data"]["email"] == "siti@example.org"
    for_viewer = client.get(f"/api/v1/admin/instances/{instance_id}", headers=users.headers("pemantau")).get_json()
    assert for_viewer["data"]["email"] == HIDDEN


def test_a_named_report_shows_the_reporter_to_the_staff(client, users):
    start_report(client, users)
    finish_verification(client, users)
    task = only_task(client, users, "analis", "tanggapi")

    assert client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("analis")).get_json()["data"]["nama"] == "Siti"


def test_regions_for_the_picker(app, client):
    from api.seed import seed_regions

    with app.app_context():
        seed_regions([{"code": "33.13", "name": "Kabupaten Karanganyar", "level": "kabupaten", "parent": None},
                      {"code": "33.13.05", "name": "Kecamatan Matesih", "level": "kecamatan", "parent": "33.13"}])
        db.session.commit()

    assert client.get("/api/v1/public/regions", query_string={"parent": "33.13"}).get_json()["items"] == [
        {"code": "33.13.05", "name": "Kecamatan Matesih", "level": "kecamatan"}]
