"""A complaint names the case it is about by tracking code: the code is checked when the form is sent,
the link is stored with the save, and both cases show it (admin page, staff task page, public tracking).

The linking field is marked `"x-alur-case-link": true` in the form; the application knows no procedure.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func

from api.db import db
from api.models import CaseLink, Instance, RateHit
from tests.api.conftest import PASSWORD
from tests.api.procedures import REAL_PROJECT
from tests.procedures.test_aspirasi import UNJUK_RASA
from tests.procedures.test_musrenbang import USULAN
from tests.procedures.test_pengaduan import KLASIFIKASI, PENGADUAN
from tests.procedures.test_pengaduan_layanan_dprd import PENGADUAN_LAYANAN

COMPLAINT = {k: v for k, v in PENGADUAN.items() if k != "kode_lacak"}  # the application makes the code
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def offices(users):
    users.add("rt_001", ("Ketua RT", USULAN["wilayah"]))
    users.add("tim", ("Tim Pengaduan", "33.13"))
    users.add("subbag_umum", ("Subbag Umum", "63.10"))
    users.add("sekwan", ("Sekretaris DPRD", "63.10"))
    users.add("rw_002", ("Ketua RW", USULAN["wilayah"].rsplit("/", 1)[0]))
    users.add("rw_analis", ("Ketua RW", USULAN["wilayah"].rsplit("/", 1)[0]), ("Pejabat Analis", "33.13"))
    users.add("admin_matesih", ("Admin", USULAN["wilayah"].split("/")[0].rsplit(".", 1)[0]))
    return users


def proposal(client, users) -> str:
    answer = client.post("/api/v1/processes/musrenbang/instances", json={"data": USULAN},
                         headers=users.headers("rt_001"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["tracking_code"]


def complain(client, data: dict, process_id: str = "pengaduan"):
    return client.post(f"/api/v1/public/processes/{process_id}/instances", json={"data": data})


def detail(client, users, code: str) -> dict:
    with client.application.app_context():
        instance_id = db.session.execute(db.select(Instance.id).filter_by(tracking_code=code)).scalar_one()
    answer = client.get(f"/api/v1/admin/instances/{instance_id}", headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def sign_in(client, username: str) -> None:
    token = CSRF.search(client.get("/masuk").get_data(as_text=True)).group(1)
    answer = client.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302


def test_a_complaint_about_a_musrenbang_proposal_and_the_proposal_show_each_other(client, offices):
    usulan = proposal(client, offices)
    # The reporter types the code as the SMS showed it, in small letters: it is read as the code.
    answer = complain(client, {**COMPLAINT, "kode_lacak_terkait": usulan.lower()})
    assert answer.status_code == 201, answer.get_json()
    aduan = answer.get_json()["tracking_code"]

    about = detail(client, offices, aduan)["links"]
    assert about["named_by"] == []
    assert [(link["tracking_code"], link["process_id"], link["title"], link["field"], link["field_title"])
            for link in about["about"]] == [
        (usulan, "musrenbang", USULAN["judul"], "kode_lacak_terkait", "Kode lacak usulan atau aspirasi yang diadukan")
    ]
    named = detail(client, offices, usulan)["links"]
    assert named["about"] == []
    assert [(link["tracking_code"], link["process_id"]) for link in named["named_by"]] == [(aduan, "pengaduan")]

    # The public sees the link from both ends: neither case is confidential.
    tracked_aduan = client.get(f"/api/v1/public/track/{aduan}").get_json()
    assert tracked_aduan["links"] == {"about": [{"tracking_code": usulan, "process": about["about"][0]["process"],
                                                 "title": USULAN["judul"]}], "named_by": []}
    # The proposal's page says a complaint is about it, without the complaint's code: that code opens
    # the replies to the complainant.
    tracked_usulan = client.get(f"/api/v1/public/track/{usulan}").get_json()
    assert tracked_usulan["links"]["named_by"] == [{"process": tracked_aduan["process"], "title": PENGADUAN["perihal"]}]
    page = client.get(f"/lacak?kode={usulan}").get_data(as_text=True)
    assert "Pengaduan atau kiriman terkait" in page and PENGADUAN["perihal"] in page and aduan not in page

    # The admin page shows both ends.
    sign_in(client, "admin")
    admin_page = client.get(f"/admin/instance/{named['named_by'][0]['instance_id']}").get_data(as_text=True)
    assert "Kasus terkait" in admin_page and usulan in admin_page


def test_a_code_that_names_no_case_is_refused_naming_the_field_and_nothing_is_stored(client, offices, app):
    answer = complain(client, {**COMPLAINT, "kode_lacak_terkait": "ALR-00000-00000"})

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "kode_lacak_terkait", "message": "kode lacak ALR-00000-00000 tidak ditemukan"}]
    with app.app_context():
        assert db.session.execute(db.select(func.count()).select_from(Instance)).scalar() == 0
        assert db.session.execute(db.select(func.count()).select_from(CaseLink)).scalar() == 0
        assert db.session.execute(db.select(func.count()).select_from(RateHit)).scalar() == 0  # no hit spent


def test_a_confidential_complaint_is_not_shown_on_the_public_tracking_of_the_proposal(client, offices):
    usulan = proposal(client, offices)
    answer = complain(client, {**COMPLAINT, "rahasia": True, "kode_lacak_terkait": usulan})
    assert answer.status_code == 201, answer.get_json()

    assert client.get(f"/api/v1/public/track/{usulan}").get_json()["links"] == {"about": [], "named_by": []}
    # Staff still see it.
    assert [link["confidential"] for link in detail(client, offices, usulan)["links"]["named_by"]] == [True]


def linked_on_task_page(client, users, username: str, title: str) -> str:
    """The "Kasus terkait" section of the user's task page for the waiting step of the case titled `title`."""
    sign_in(client, username)
    [task_id] = [t["id"] for t in client.get("/api/v1/tasks", headers=users.headers(username)).get_json()["items"]
                 if t["instance_title"] == title]
    page = client.get(f"/tugas/{task_id}")
    assert page.status_code == 200
    found = re.search(r'<section class="kasus-terkait".*?</section>', page.get_data(as_text=True), re.S)
    return found.group(0) if found else ""


def test_given_a_confidential_complaint_naming_a_proposal_then_only_who_may_know_the_report_is_shown_it(
        client, offices):
    usulan = proposal(client, offices)
    secret = {**COMPLAINT, "rahasia": True, "perihal": "Pungutan liar di musyawarah RT", "kode_lacak_terkait": usulan}
    aduan = complain(client, secret).get_json()["tracking_code"]

    # The proposal's Ketua RW holds no lane of the complaints and a lane of the complaints is not enough
    # for a confidential one either: neither sees its code nor its title on the proposal's task page.
    for username in ("rw_002", "rw_analis"):
        section = linked_on_task_page(client, offices, username, USULAN["judul"])
        assert aduan not in section and secret["perihal"] not in section
    # An admin of the proposal's kecamatan is not an admin of the regency the complaint belongs to.
    sign_in(client, "admin_matesih")
    proposal_id = detail(client, offices, usulan)["id"]
    assert client.get(f"/api/v1/admin/instances/{proposal_id}",
                      headers=offices.headers("admin_matesih")).get_json()["links"]["named_by"] == []
    page = client.get(f"/admin/instance/{proposal_id}").get_data(as_text=True)
    assert aduan not in page and secret["perihal"] not in page
    # The admin of every region sees it.
    assert [n["tracking_code"] for n in detail(client, offices, usulan)["links"]["named_by"]] == [aduan]


def test_given_a_complaint_naming_a_proposal_then_it_is_shown_to_whoever_holds_a_lane_of_complaints_in_its_region(
        client, offices):
    usulan = proposal(client, offices)
    aduan = complain(client, {**COMPLAINT, "kode_lacak_terkait": usulan}).get_json()["tracking_code"]

    assert aduan not in linked_on_task_page(client, offices, "rw_002", USULAN["judul"])
    shown = linked_on_task_page(client, offices, "rw_analis", USULAN["judul"])
    assert "Disebut dalam" in shown and aduan in shown and PENGADUAN["perihal"] in shown
    # The complaint team holds no lane of the proposals: its task page of the complaint leaves the proposal out.
    assert usulan not in linked_on_task_page(client, offices, "tim", PENGADUAN["perihal"])


def test_a_complaint_about_the_aspiration_service_links_the_aspiration(client, offices):
    started = client.post("/api/v1/processes/aspirasi/instances", json={"data": UNJUK_RASA},
                          headers=offices.headers("subbag_umum"))
    aspirasi = started.get_json()["tracking_code"]
    answer = complain(client, {**PENGADUAN_LAYANAN, "kode_lacak_aspirasi": aspirasi}, "pengaduan_layanan_dprd")
    assert answer.status_code == 201, answer.get_json()

    inbox = client.get("/api/v1/tasks", headers=offices.headers("sekwan")).get_json()["items"]
    assert sorted(t["name"] for t in inbox) == ["persetujuan_sekretaris", "tanggapi_pengaduan_layanan"]
    named = detail(client, offices, aspirasi)["links"]["named_by"]
    assert [(n["tracking_code"], n["process_id"], n["field"]) for n in named] == [
        (answer.get_json()["tracking_code"], "pengaduan_layanan_dprd", "kode_lacak_aspirasi")]


def test_the_team_links_a_phoned_in_complaint_at_classification_and_a_wrong_code_keeps_the_task(client, offices):
    usulan = proposal(client, offices)
    aduan = complain(client, COMPLAINT).get_json()["tracking_code"]
    [task] = client.get("/api/v1/tasks", headers=offices.headers("tim")).get_json()["items"]

    wrong = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=offices.headers("tim"),
                        json={"data": {**KLASIFIKASI, "kode_lacak_terkait": "ALR-11111-11111"}})
    assert wrong.status_code == 422
    assert [f["field"] for f in wrong.get_json()["fields"]] == ["kode_lacak_terkait"]
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=offices.headers("tim")).get_json()["items"]] \
        == [task["id"]]  # still waiting, nothing stored

    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=offices.headers("tim"),
                       json={"data": {**KLASIFIKASI, "kode_lacak_terkait": usulan}})
    assert done.status_code == 200, done.get_json()
    assert [link["tracking_code"] for link in detail(client, offices, aduan)["links"]["about"]] == [usulan]
