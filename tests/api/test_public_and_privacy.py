"""The public channel, tracking by code, and anonymous or confidential reports."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from werkzeug.serving import make_server

from api.db import db
from api.models import Instance, OutboxMessage, RateHit
from api.services.public import PUBLIC_STATUS, STATUS_LABELS
from tests.api.conftest import PASSWORD, REPORT, make_app, only_task, start_report

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
    assert body["steps"] == [{"title": "Petugas sedang menyiapkan jawaban", "due_at": None, "late": False}]
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


# -- the outbox follows the same rule as the data ----------------------------------------------------------


def test_given_an_anonymous_report_then_the_viewer_sees_its_reply_without_the_address_and_the_admin_with_it(
        client, users):
    started = start_report(client, users, {**REPORT, "anonim": True})
    finish_verification(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"

    [for_viewer] = client.get(url, headers=users.headers("pemantau")).get_json()["outbox"]
    [for_admin] = client.get(url, headers=users.headers("admin")).get_json()["outbox"]

    assert for_viewer["recipient"] == HIDDEN and for_viewer["payload"]["email"] == HIDDEN
    assert for_viewer["payload"]["isi"] == "Laporan diterima, sedang diperiksa"  # the reply itself stays visible
    assert (for_viewer["channel"], for_viewer["status"]) == ("email", "pending")
    assert "siti@example.org" not in str(client.get(url, headers=users.headers("pemantau")).get_json())
    assert for_admin["recipient"] == for_admin["payload"]["email"] == "siti@example.org"
    [listed] = client.get("/api/v1/admin/outbox", headers=users.headers("admin")).get_json()["items"]
    assert listed["recipient"] == "siti@example.org"
    assert client.get("/api/v1/admin/outbox", headers=users.headers("pemantau")).status_code == 403


def test_given_an_anonymous_report_then_the_viewers_admin_page_does_not_show_the_address(app, client, users):
    started = start_report(client, users, {**REPORT, "anonim": True})
    finish_verification(client, users)
    with app.app_context():
        db.session.execute(db.update(OutboxMessage).values(
            last_error="SMTPRecipientsRefused: {'siti@example.org': (550, b'mailbox unavailable')}"))
        db.session.commit()
    browser = app.test_client()
    browser.post("/api/v1/auth/login", json={"username": "pemantau", "password": PASSWORD})

    page = browser.get(f"/admin/instance/{started['id']}").get_data(as_text=True)

    assert "Pesan keluar" in page and "mailbox unavailable" in page
    assert "siti@example.org" not in page


def test_given_a_named_report_then_the_viewer_sees_the_address_like_the_data(client, users):
    started = start_report(client, users)
    finish_verification(client, users)

    body = client.get(f"/api/v1/admin/instances/{started['id']}", headers=users.headers("pemantau")).get_json()

    assert body["data"]["email"] == body["outbox"][0]["recipient"] == "siti@example.org"


# -- public submissions: checked first, counted per real client -----------------------------------------------


def test_given_invalid_submissions_then_they_do_not_spend_the_rate_limit(client):
    assert [submit(client, {"judul": "x"}).status_code for _ in range(5)] == [422] * 5
    assert submit(client, {**REPORT, "wilayah": "bukan wilayah"}).status_code == 422

    assert [submit(client).status_code for _ in range(4)] == [201, 201, 201, 429]


def test_given_no_trusted_proxy_then_a_forwarded_address_is_ignored(client):
    answers = [client.post("/api/v1/public/processes/uji_lapor/instances", json={"data": REPORT},
                           environ_base={"REMOTE_ADDR": "10.0.0.9"}, headers={"X-Forwarded-For": f"203.0.113.{n}"})
               for n in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429]  # one client, whatever it claims


def test_given_one_trusted_proxy_then_each_forwarded_client_has_its_own_limit(database, project, clock, app):
    proxied = make_app(database, *project, ALUR_TRUSTED_PROXIES=1)
    client = proxied.test_client()

    def through_proxy(address: str) -> int:
        return client.post("/api/v1/public/processes/uji_lapor/instances", json={"data": REPORT},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"},
                           headers={"X-Forwarded-For": f"198.51.100.7, {address}"}).status_code

    assert [through_proxy("203.0.113.1") for _ in range(4)] == [201, 201, 201, 429]
    assert through_proxy("203.0.113.2") == 201  # the proxy's last hop names the client; earlier hops are not trusted
    with proxied.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(RateHit)
                                  .where(RateHit.key == "public:203.0.113.2")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_given_simultaneous_submissions_from_one_address_then_exactly_the_limit_gets_through(app, client):
    assert client.get("/api/v1/public/processes").status_code == 200  # the diagrams are synced before the race
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_port}/api/v1/public/processes/uji_lapor/instances"
    barrier = threading.Barrier(6)

    def post() -> int:
        request = urllib.request.Request(url, data=json.dumps({"data": REPORT}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = sorted(pool.map(lambda _: post(), range(6)))
    finally:
        http.shutdown()

    assert results == [201, 201, 201, 429, 429, 429]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar() == 3


# -- tracking shows only public states ---------------------------------------------------------------------


def test_given_an_instance_in_error_then_tracking_says_it_is_being_handled_not_that_it_failed(client, users):
    code = submit(client).get_json()["tracking_code"]
    finish_verification(client, users)
    task = only_task(client, users, "analis", "tanggapi")
    failed = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"jawaban": "sudah", "pembagi": 0}},
                         headers=users.headers("analis"))
    assert failed.get_json()["instance"]["status"] == "error"

    body = client.get(f"/api/v1/public/track/{code}").get_json()

    assert (body["status"], body["status_label"]) == ("running", "sedang diproses")
    assert "error" not in str(body) and "galat" not in str(body)


def test_the_documented_tracking_statuses_are_exactly_the_public_ones(client):
    document = client.get("/api/openapi.json").get_json()

    documented = document["components"]["schemas"]["Track"]["properties"]["status"]["enum"]
    assert sorted(documented) == sorted(STATUS_LABELS) == sorted(set(PUBLIC_STATUS.values()))
