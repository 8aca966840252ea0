"""Changing a procedure by editing its diagram: deploy, versions, diff, and moving running instances.

Analysts upload changed diagrams and forms; the lint refuses anything broken and
nothing is stored then. A clean deploy is the next version of the process: new
instances start on it in every worker process at once, running ones stay on theirs
until someone migrates them, one at a time or as a batch with a result per instance.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from api import worker
from api.cli import cli
from api.db import db
from api.models import AuditEvent, Instance, PendingTask, ProcessVersionRow
from api.services import instances
from api.services.instances import Actor, lock_instance, save
from api.services.versions import runtime
from engine.registry import MAX_BPMN_BYTES
from tests.api.conftest import LAPOR_BODY, LAPOR_LANES, REPORT, WIB, inbox, make_app, only_task, start_report
from tests.bpmn_builder import build_bpmn

MESSAGE = '<bpmn:message id="msg_balasan" name="balasan_pelapor"/>'
SCHEMA = "https://json-schema.org/draft/2020-12/schema"
VERIFIED = {"catatan": "sudah dicek"}


def lapor(body: str = LAPOR_BODY, lanes: dict[str, list[str]] = LAPOR_LANES) -> str:
    return build_bpmn("uji_lapor", body, lanes, name="Laporan uji", extra_processes=MESSAGE)


def form(properties: dict, required: list[str]) -> str:
    return json.dumps({"$schema": SCHEMA, "type": "object", "properties": properties, "required": required})


# The analyst's edit: the check is renamed and asks for a category, a classification step follows
# it, and the answer moves from the analysts to the head.
EDITED_BODY = (
    LAPOR_BODY.replace('name="Verifikasi laporan"', 'name="Verifikasi dan kategori"')
    .replace('<bpmn:sequenceFlow id="f3" sourceRef="verifikasi" targetRef="kirim_awal"/>',
             '<bpmn:sequenceFlow id="f3" sourceRef="verifikasi" targetRef="klasifikasi"/>'
             '<bpmn:sequenceFlow id="f3b" sourceRef="klasifikasi" targetRef="kirim_awal"/>')
    .replace('<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>',
             '<bpmn:incoming>f3b</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>')
    + '<bpmn:userTask id="klasifikasi" name="Klasifikasi laporan"><bpmn:incoming>f3</bpmn:incoming>'
      '<bpmn:outgoing>f3b</bpmn:outgoing></bpmn:userTask>'
)
EDITED_LANES = {
    "Petugas Uji": [*LAPOR_LANES["Petugas Uji"], "klasifikasi"],
    "Analis Uji": [],
    "Kepala Uji": [*LAPOR_LANES["Kepala Uji"], "tanggapi"],
}
EDITED_VERIFY_FORM = form({"catatan": {"type": "string", "minLength": 3}, "kategori": {"type": "string"}},
                          ["catatan", "kategori"])
EDITED = {"lapor.bpmn": lapor(EDITED_BODY, EDITED_LANES), "forms/uji/verifikasi.schema.json": EDITED_VERIFY_FORM}


@pytest.fixture
def analyst(users) -> str:
    return users.add("analis_proses", ("Analis Proses", ""))


def deploy(client, users, files: dict[str, str], who: str = "analis_proses", **extra):
    return client.post("/api/v1/deploy", json={"files": files, **extra}, headers=users.headers(who))


def version_rows(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            db.select(ProcessVersionRow.process_id, ProcessVersionRow.number).order_by(ProcessVersionRow.id)).all()]


def complete(client, users, who: str, name: str, data: dict):
    task = only_task(client, users, who, name)
    return client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=users.headers(who))


def migrate(client, users, dry_run: bool = False, who: str = "analis_proses", **body):
    path = "/api/v1/migrations/dry-run" if dry_run else "/api/v1/migrations"
    return client.post(path, json={"process_id": "uji_lapor", **body}, headers=users.headers(who))


# -- deploy -----------------------------------------------------------------------------


def test_an_edited_diagram_is_used_by_new_instances_while_old_ones_finish_on_theirs(app, client, users, analyst):
    old = start_report(client, users)

    answer = deploy(client, users, EDITED, note="tambah klasifikasi")

    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["versions"] == [{"process_id": "uji_lapor", "number": 2,
                                              "hash": answer.get_json()["versions"][0]["hash"],
                                              "outcome": "created", "previous": 1}]
    new = start_report(client, users)
    assert (new["version"], old["version"]) == (2, 1)
    # The new instance: renamed step, its form asks for the new field, then the added step, then the head answers.
    [task] = [t for t in client.get("/api/v1/tasks", headers=users.headers("petugas")).get_json()["items"]
              if t["instance_id"] == new["id"]]
    assert task["title"] == "Verifikasi dan kategori"
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VERIFIED},
                          headers=users.headers("petugas"))
    assert refused.status_code == 422 and refused.get_json()["fields"][0]["field"] == "kategori"
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {**VERIFIED, "kategori": "jalan"}},
                headers=users.headers("petugas"))
    assert complete(client, users, "petugas", "klasifikasi", {}).status_code == 200
    assert only_task(client, users, "kepala", "tanggapi")["instance_id"] == new["id"]
    # The old instance: the old form, no classification, the analysts answer; it completes on v1.
    [task] = [t for t in client.get("/api/v1/tasks", headers=users.headers("petugas")).get_json()["items"]
              if t["instance_id"] == old["id"]]
    assert task["title"] == "Verifikasi laporan"
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VERIFIED},
                       headers=users.headers("petugas")).status_code == 200
    done = complete(client, users, "analis", "tanggapi", {"jawaban": "sudah ditangani", "pembagi": 1})
    assert done.get_json()["instance"]["status"] == "complete" and done.get_json()["instance"]["version"] == 1


def test_redeploying_the_same_content_is_a_no_op_that_says_so(app, client, users, analyst):
    deploy(client, users, EDITED)

    again = deploy(client, users, EDITED)

    assert again.status_code == 200
    assert again.get_json()["message"] == "tidak ada perubahan: isi sama dengan versi yang berlaku"
    assert [v["outcome"] for v in again.get_json()["versions"]] == ["unchanged"]
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1), ("uji_lapor", 2)]


def test_a_form_only_change_is_a_new_version_of_the_process_using_the_form(app, client, users, analyst):
    answer = deploy(client, users, {"forms/uji/verifikasi.schema.json": EDITED_VERIFY_FORM})

    assert answer.status_code == 201
    assert [(v["process_id"], v["number"]) for v in answer.get_json()["versions"]] == [("uji_lapor", 2)]
    assert version_rows(app)[-1] == ("uji_lapor", 2)


def test_redeploying_an_older_versions_content_makes_it_current_again(app, client, users, analyst, project):
    processes, _forms = project
    original = {"lapor.bpmn": (processes / "lapor.bpmn").read_text(),
                "forms/uji/verifikasi.schema.json": (_forms / "uji" / "verifikasi.schema.json").read_text()}
    deploy(client, users, EDITED)

    back = deploy(client, users, original, note="kembali ke v1")

    assert back.status_code == 201
    assert back.get_json()["versions"][0] | {"hash": None} == {"process_id": "uji_lapor", "number": 1, "hash": None,
                                                                "outcome": "reactivated", "previous": 2}
    assert start_report(client, users)["version"] == 1


def test_a_dry_run_deploy_lints_and_says_what_would_change_without_storing(app, client, users, analyst):
    answer = deploy(client, users, EDITED, dry_run=True)

    assert answer.status_code == 200
    assert [(v["outcome"], v["number"]) for v in answer.get_json()["versions"]] == [("would_create", None)]
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1)]


def test_a_lint_problem_refuses_the_deploy_with_the_report(app, client, users, analyst):
    unknown_lane = {k if k != "Kepala Uji" else "Peran Tak Dikenal": v for k, v in EDITED_LANES.items()}

    answer = deploy(client, users, {"lapor.bpmn": lapor(EDITED_BODY, unknown_lane)})

    body = answer.get_json()
    assert answer.status_code == 422 and body["code"] == "deploy_refused"
    assert body["fields"] == [{"field": "lapor.bpmn", "file": "lapor.bpmn", "line": body["fields"][0]["line"],
                               "element": "lane_2",
                               "message": "lajur 'Peran Tak Dikenal' bukan peran yang dikenal sistem"}]
    assert body["fields"][0]["line"] > 1
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1)]


def test_only_process_analysts_and_admins_everywhere_may_deploy(app, client, users, analyst):
    users.add("admin_kec", ("Admin", "33.13.05"))

    assert deploy(client, users, EDITED, who="petugas").status_code == 403
    assert deploy(client, users, EDITED, who="admin_kec").status_code == 403
    assert deploy(client, users, EDITED, who="admin").status_code == 201


def test_a_multipart_upload_names_files_by_their_relative_path(app, client, users, analyst):
    data = {"files[]": [(io.BytesIO(text.encode()), name) for name, text in EDITED.items()], "note": "lewat berkas"}

    answer = client.post("/api/v1/deploy", data=data, content_type="multipart/form-data",
                         headers=users.headers("analis_proses"))

    assert answer.status_code == 201, answer.get_json()
    [listed] = [v for v in client.get("/api/v1/processes/uji_lapor/versions",
                                      headers=users.headers("analis_proses")).get_json()["items"] if v["number"] == 2]
    assert (listed["deployed_by"], listed["note"], listed["origin"], listed["current"]) == (
        "analis_proses", "lewat berkas", "unggah", True)


def test_a_form_that_no_diagram_names_is_refused_not_ignored(app, client, users, analyst):
    misspelt = "forms/uji/verifkasi.schema.json"

    answer = deploy(client, users, {"lapor.bpmn": lapor(EDITED_BODY, EDITED_LANES),
                                    "forms/uji/verifikasi.schema.json": EDITED_VERIFY_FORM,
                                    misspelt: EDITED_VERIFY_FORM})

    body = answer.get_json()
    assert answer.status_code == 422 and body["code"] == "deploy_refused"
    assert [(f["file"], f["line"], f["element"]) for f in body["fields"]] == [(misspelt, None, None)]
    assert "tidak dirujuk diagram mana pun" in body["fields"][0]["message"]
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1)]  # the whole upload is refused


# -- untrusted uploads ---------------------------------------------------------------------

XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "ha">'
          + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
          + ']><d>&l9;</d>')
ESCAPE = lapor().replace("telepon = None", "telepon = ().__class__.__base__.__subclasses__()")


@pytest.mark.parametrize(("files", "message"), [
    ({"jahat.bpmn": XXE}, "DOCTYPE/entitas tidak diizinkan"),
    ({"bom.bpmn": LAUGHS}, "entity amplification"),  # lxml stops expanding before the DOCTYPE check
    ({"besar.bpmn": "<a>" + " " * MAX_BPMN_BYTES + "</a>"}, "berkas terlalu besar"),
    ({"lapor.bpmn": ESCAPE}, "script ditolak sandbox"),
    ({"../../etc/cron.bpmn": lapor()}, "nama berkas BPMN tidak sah"),
    ({"forms/../rahasia.json": "{}"}, "nama berkas formulir tidak sah"),
    ({"hari_libur.json": "[]"}, "berkas tidak dikenal"),
], ids=["xxe", "billion-laughs", "oversized-file", "sandbox-escape", "path-traversal", "form-traversal", "other"])
def test_a_malicious_upload_is_refused_with_a_clear_error_and_nothing_stored(app, client, users, analyst, files,
                                                                             message):
    answer = deploy(client, users, files)

    body = answer.get_json()
    assert answer.status_code == 422 and body["code"] == "deploy_refused", body
    assert any(message in f["message"] for f in body["fields"]), body["fields"]
    assert {f["file"] for f in body["fields"]} <= set(files)
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1)]


def test_an_upload_larger_than_the_request_limit_is_refused_before_reading_it(app, client, users, analyst):
    app.config["ALUR_DEPLOY_MAX_BYTES"] = 10_000

    answer = deploy(client, users, {"lapor.bpmn": lapor() + " " * 10_000})

    assert answer.status_code == 413 and answer.get_json()["code"] == "too_large"
    assert version_rows(app) == [("uji_lapor", 1), ("uji_usulan", 1)]


# -- every worker process agrees on the current version ----------------------------------------


def test_a_deploy_in_one_worker_process_is_used_at_once_by_the_others(app, client, users, analyst, database,
                                                                       project):
    other_worker = make_app(database, *project)
    other_client = other_worker.test_client()
    assert other_client.get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()["version"] == 1

    deploy(client, users, EDITED)

    answer = other_client.post("/api/v1/processes/uji_lapor/instances", json={"data": REPORT},
                               headers=users.headers("petugas"))
    assert answer.get_json()["version"] == 2
    with other_worker.app_context():
        db.engine.dispose()


def test_a_restart_with_older_files_on_disk_keeps_the_uploaded_version(app, client, users, analyst, database,
                                                                       project):
    deploy(client, users, EDITED)

    restarted = make_app(database, *project)

    listed = restarted.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()
    assert listed["version"] == 2
    with restarted.app_context():
        db.engine.dispose()


def test_editing_files_and_restarting_is_enough_in_development(app, client, users, database, project):
    processes, forms = project
    users.headers("petugas")  # the running app has read the files
    original = (processes / "lapor.bpmn").read_text()
    (processes / "lapor.bpmn").write_text(lapor(EDITED_BODY, EDITED_LANES))
    (forms / "uji" / "verifikasi.schema.json").write_text(EDITED_VERIFY_FORM)
    edited = make_app(database, processes, forms)
    assert edited.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")
                                    ).get_json()["version"] == 2

    (processes / "lapor.bpmn").write_text(original)  # the developer reverts the diagram only
    reverted = make_app(database, processes, forms)

    listed = reverted.test_client().get("/api/v1/processes/uji_lapor", headers=users.headers("petugas")).get_json()
    assert [v["number"] for v in listed["versions"]] == [1, 2, 3]  # the new form with the old diagram is new
    assert listed["version"] == 3
    for each in (edited, reverted):
        with each.app_context():
            db.engine.dispose()


# -- versions and diff for the analysts' page ------------------------------------------------


def test_versions_list_who_deployed_them_and_how_many_instances_run_on_each(app, client, users, analyst):
    start_report(client, users)
    start_report(client, users)
    deploy(client, users, EDITED, note="tambah klasifikasi")
    start_report(client, users)

    items = client.get("/api/v1/processes/uji_lapor/versions", headers=users.headers("analis_proses")
                       ).get_json()["items"]

    assert [(v["number"], v["current"], v["instances"], v["deployed_by"], v["note"]) for v in items] == [
        (2, True, {"running": 1}, "analis_proses", "tambah klasifikasi"),
        (1, False, {"running": 2}, "sistem", "versi pertama, dari berkas di processes/ dan forms/"),
    ]
    assert client.get("/api/v1/processes/uji_lapor/versions", headers=users.headers("petugas")).status_code == 403


def test_the_diff_names_tasks_added_and_changed_and_flows_changed(app, client, users, analyst):
    deploy(client, users, EDITED)

    diff = client.get("/api/v1/processes/uji_lapor/diff?from=1&to=2", headers=users.headers("analis_proses")
                      ).get_json()

    assert [t["id"] for t in diff["tasks_added"]] == ["klasifikasi"]
    assert diff["tasks_removed"] == []
    changed = {t["id"]: t["changes"] for t in diff["tasks_changed"]}
    assert changed["verifikasi"]["name"] == {"old": "Verifikasi laporan", "new": "Verifikasi dan kategori"}
    assert changed["verifikasi"]["form_content"]["fields_added"] == ["kategori"]
    assert changed["tanggapi"]["lane"] == {"old": "Analis Uji", "new": "Kepala Uji"}
    assert [f["id"] for f in diff["flows_added"]] == ["f3b"]
    assert [(f["old"]["target"], f["new"]["target"]) for f in diff["flows_changed"]] == [("kirim_awal", "klasifikasi")]


# -- migration ---------------------------------------------------------------------------------


def test_a_waiting_instance_moves_takes_the_new_step_and_can_move_back(app, client, users, analyst):
    started = start_report(client, users)
    deploy(client, users, EDITED)

    check = migrate(client, users, dry_run=True, instance_id=started["id"]).get_json()
    moved = migrate(client, users, instance_id=started["id"]).get_json()

    assert check["results"] == [{"instance_id": started["id"], "ok": True, "outcome": "can_migrate",
                                 "status": "running", "from_version": 1, "reasons": [], "notes": []}]
    assert moved["results"][0]["outcome"] == "migrated" and moved["target"]["number"] == 2
    task = only_task(client, users, "petugas", "verifikasi")
    assert task["title"] == "Verifikasi dan kategori"  # the pending row follows the new version
    with app.app_context():
        event = db.session.execute(db.select(AuditEvent).filter_by(kind="migrated")).scalar_one()
        assert (event.actor, event.detail["from"], event.detail["to"]) == ("analis_proses", 1, 2)
    back = migrate(client, users, instance_id=started["id"], to_version=1).get_json()
    assert back["results"][0]["outcome"] == "migrated"
    assert only_task(client, users, "petugas", "verifikasi")["title"] == "Verifikasi laporan"
    assert complete(client, users, "petugas", "verifikasi", VERIFIED).status_code == 200
    assert only_task(client, users, "analis", "tanggapi")["instance_id"] == started["id"]


def test_a_changed_lane_and_form_apply_to_a_waiting_task_after_migration(app, client, users, analyst):
    started = start_report(client, users)
    complete(client, users, "petugas", "verifikasi", VERIFIED)
    edited_answer = form({"jawaban": {"type": "string"}, "pembagi": {"type": "integer"},
                          "lampiran": {"type": "string"}}, ["jawaban", "pembagi", "lampiran"])
    lanes = {"Petugas Uji": LAPOR_LANES["Petugas Uji"], "Analis Uji": [],
             "Kepala Uji": [*LAPOR_LANES["Kepala Uji"], "tanggapi"]}
    deploy(client, users, {"lapor.bpmn": lapor(LAPOR_BODY, lanes), "forms/uji/tanggapi.schema.json": edited_answer})

    moved = migrate(client, users, instance_id=started["id"]).get_json()

    assert moved["results"][0]["outcome"] == "migrated", moved
    assert [t["name"] for t in client.get("/api/v1/tasks", headers=users.headers("analis")).get_json()["items"]] == []
    refused = complete(client, users, "kepala", "tanggapi", {"jawaban": "oke", "pembagi": 1})
    assert refused.status_code == 422 and refused.get_json()["fields"][0]["field"] == "lampiran"


def test_a_dry_run_refuses_an_unsafe_change_and_says_why(app, client, users, analyst):
    started = start_report(client, users)
    changed_script = LAPOR_BODY.replace("telepon = None", "telepon = ''")
    deploy(client, users, {"lapor.bpmn": lapor(changed_script)})

    check = migrate(client, users, dry_run=True, instance_id=started["id"]).get_json()
    refused = migrate(client, users, instance_id=started["id"]).get_json()

    expected = {"instance_id": started["id"], "ok": False, "outcome": "refused", "status": "running",
                "from_version": 1, "reasons": ["langkah yang sudah dikerjakan 'Siapkan' berubah di versi tujuan"],
                "notes": []}
    assert check["results"] == [expected] and refused["results"] == [expected]
    with app.app_context():
        assert db.session.get(Instance, started["id"]).version_id == runtime().by_number("uji_lapor", 1).row_id


def test_only_analysts_and_admins_migrate_and_only_within_their_region(app, client, users, analyst):
    started = start_report(client, users, {**REPORT, "wilayah": "33.13.05"})
    deploy(client, users, EDITED)
    users.add("admin_kec", ("Admin", "33.13.11"))

    assert migrate(client, users, who="petugas", instance_id=started["id"]).status_code == 403
    outside = migrate(client, users, who="admin_kec", instance_id=started["id"]).get_json()
    assert outside["results"][0]["outcome"] == "not_found"
    assert migrate(client, users, who="admin_kec").get_json()["summary"]["total"] == 0


# -- timers of migrated instances ---------------------------------------------------------------

# The verification deadline moves two working days later.
LATER_DEADLINE = LAPOR_BODY.replace(">batas<", ">end_of_office_day(add_working_days(batas, 2))<")
FOUR_HOURS = LAPOR_BODY.replace('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">batas</bpmn:timeDate>',
                                '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT4H"</bpmn:timeDuration>')


def _reprimands(client, users) -> list[dict]:
    return [t for t in inbox(client, users, "kepala") if t["name"] == "tegur"]


def test_a_waiting_timer_whose_expression_changed_follows_the_new_version_after_migration(app, client, users,
                                                                                          analyst, clock):
    started = start_report(client, users)  # verification due at the end of 25 March (holidays from 18 to 24)
    deploy(client, users, {"lapor.bpmn": lapor(LATER_DEADLINE)})

    moved = migrate(client, users, instance_id=started["id"]).get_json()

    assert moved["results"][0]["outcome"] == "migrated"
    with app.app_context():
        assert db.session.get(Instance, started["id"]).next_timer_at == datetime(2026, 3, 27, 16, 0, tzinfo=WIB)
        event = db.session.execute(db.select(AuditEvent).filter_by(kind="migrated")).scalar_one()
        assert event.detail["timers"] == [{"name": "Batas verifikasi", "before": "2026-03-25T09:00:00+00:00",
                                           "after": "2026-03-27T09:00:00+00:00"}]
    clock.set(datetime(2026, 3, 26, 9, 0, tzinfo=WIB))  # past the old due moment, before the new one
    with app.app_context():
        assert worker.run_once().timers_fired == 0
    assert _reprimands(client, users) == []
    clock.set(datetime(2026, 3, 27, 16, 1, tzinfo=WIB))
    with app.app_context():
        assert worker.run_once().timers_fired == 1
    assert [t["instance_id"] for t in _reprimands(client, users)] == [started["id"]]


def test_an_unchanged_duration_timer_keeps_its_due_moment_when_the_instance_moves(app, client, users, analyst, clock):
    deploy(client, users, {"lapor.bpmn": lapor(FOUR_HOURS)})
    started = start_report(client, users)  # 09:00 WIB: due at 13:00 WIB
    clock.advance(hours=1)
    renamed = FOUR_HOURS.replace('name="Verifikasi laporan"', 'name="Verifikasi"')  # the timer itself is unchanged
    deploy(client, users, {"lapor.bpmn": lapor(renamed)})

    [checked] = migrate(client, users, dry_run=True, instance_id=started["id"]).get_json()["results"]
    moved = migrate(client, users, instance_id=started["id"]).get_json()

    assert checked["ok"] and checked["notes"] == [] and moved["results"][0]["notes"] == []
    with app.app_context():  # the move did not restart the four hours
        assert db.session.get(Instance, started["id"]).next_timer_at == datetime(2026, 3, 17, 13, 0, tzinfo=WIB)


def test_a_changed_duration_counts_from_the_move_and_the_dry_run_says_so(app, client, users, analyst, clock):
    deploy(client, users, {"lapor.bpmn": lapor(FOUR_HOURS)})
    started = start_report(client, users)  # 09:00 WIB: due at 13:00 WIB
    clock.advance(hours=1)
    deploy(client, users, {"lapor.bpmn": lapor(FOUR_HOURS.replace('"PT4H"', '"PT6H"'))})

    [checked] = migrate(client, users, dry_run=True, instance_id=started["id"]).get_json()["results"]
    with app.app_context():
        assert db.session.get(Instance, started["id"]).next_timer_at == datetime(2026, 3, 17, 13, 0, tzinfo=WIB)
    moved = migrate(client, users, instance_id=started["id"]).get_json()

    assert checked["ok"] and checked["notes"] == [
        "penanda waktu 'Batas verifikasi' dihitung ulang: 17 Mar 2026 13:00 WIB -> 17 Mar 2026 16:00 WIB"]
    assert moved["results"][0]["notes"] == checked["notes"]
    with app.app_context():  # six hours from the move at 10:00
        assert db.session.get(Instance, started["id"]).next_timer_at == datetime(2026, 3, 17, 16, 0, tzinfo=WIB)


# -- a batch of 1,000 ---------------------------------------------------------------------------

PAYLOAD_CHANGED = LAPOR_BODY.replace('"jenis": "respon_awal"', '"jenis": "respon_pertama"')


def _advance(instance_id: int, data: dict) -> None:
    """Complete the instance's first ready task in the service layer (fast enough for a thousand)."""
    instance = lock_instance(instance_id)
    ref = runtime().by_row(instance.version_id)
    task = db.session.execute(db.select(PendingTask).filter_by(instance_id=instance_id)).scalars().first()
    result = runtime().engine.complete(ref.version, instance.state, task.id, data, lane=None)
    save(instance, result, Actor("uji"))
    db.session.commit()


def test_a_batch_of_a_thousand_reports_each_instance_moved_or_refused_with_its_reason(app, client, users, analyst):
    groups = {"at_check": 500, "past_check": 485, "suspended": 5, "cancelled": 5, "error": 5}
    ids: dict[str, list[int]] = {name: [] for name in groups}
    with app.app_context():
        ref = runtime().current("uji_lapor")
        for name, count in groups.items():
            for _ in range(count):
                ids[name].append(instances.start(ref, REPORT, Actor("uji")).id)
        for instance_id in ids["past_check"] + ids["error"]:
            _advance(instance_id, VERIFIED)
        for instance_id in ids["error"]:
            _advance(instance_id, {"jawaban": "bagi nol", "pembagi": 0})  # the score script fails
    for instance_id in ids["suspended"]:
        client.post(f"/api/v1/admin/instances/{instance_id}/suspend", json={"reason": "menunggu berkas"},
                    headers=users.headers("admin"))
    for instance_id in ids["cancelled"]:
        client.post(f"/api/v1/admin/instances/{instance_id}/cancel", json={"reason": "ganda"},
                    headers=users.headers("admin"))
    deploy(client, users, {"lapor.bpmn": lapor(PAYLOAD_CHANGED)})

    check = migrate(client, users, dry_run=True, from_version=1).get_json()
    moved = migrate(client, users, from_version=1).get_json()

    changed = ["langkah yang sudah dikerjakan 'Respon awal' berubah di versi tujuan"]
    expected = {
        **{i: (True, "migrated", "running", []) for i in ids["at_check"]},
        **{i: (False, "refused", "running", changed) for i in ids["past_check"]},
        **{i: (False, "refused", "suspended", ["kasus sedang ditangguhkan; lanjutkan dulu, lalu pindahkan"])
           for i in ids["suspended"]},
        **{i: (False, "refused", "cancelled", ["kasus sudah dibatalkan"]) for i in ids["cancelled"]},
        **{i: (False, "refused", "error",
               ["kasus dalam keadaan kesalahan; perbaiki dan jalankan ulang dulu, lalu pindahkan"]) for i in ids["error"]},
    }
    assert {r["instance_id"]: (r["ok"], r["outcome"], r["status"], r["reasons"]) for r in moved["results"]} == expected
    assert moved["summary"] == {"total": 1000, "ok": 500, "not_ok": 500, "migrated": 500, "refused": 500}
    assert check["summary"] == {"total": 1000, "ok": 500, "not_ok": 500, "can_migrate": 500, "refused": 500}
    with app.app_context():
        on_new = db.session.execute(db.select(db.func.count()).select_from(Instance).where(
            Instance.version_id == runtime().by_number("uji_lapor", 2).row_id)).scalar()
        audited = db.session.execute(db.select(db.func.count()).select_from(AuditEvent).filter_by(
            kind="migrated")).scalar()
    assert (on_new, audited) == (500, 500)
    # A second batch finds nothing left to move on v1 but the refused ones, reported again.
    assert migrate(client, users, from_version=1).get_json()["summary"] == {"total": 500, "ok": 0, "not_ok": 500,
                                                                            "refused": 500}


# -- the command line -------------------------------------------------------------------------


def test_alur_deploy_from_disk_prints_the_report_and_exits_non_zero_on_refusal(app, project, tmp_path: Path):
    _processes, forms = project
    work = tmp_path / "kerja"
    shutil.copytree(forms, work / "forms")
    (work / "processes").mkdir()
    (work / "processes" / "lapor.bpmn").write_text(lapor(EDITED_BODY, EDITED_LANES))
    (work / "forms" / "uji" / "verifikasi.schema.json").write_text(EDITED_VERIFY_FORM)
    runner = app.test_cli_runner()
    forms_option = ["--forms", str(work / "forms")]

    deployed = runner.invoke(cli, ["deploy", str(work / "processes" / "lapor.bpmn"), *forms_option,
                                   "--note", "dari CLI", "--by", "budi"])
    again = runner.invoke(cli, ["deploy", str(work / "processes"), *forms_option])
    (work / "processes" / "lapor.bpmn").write_text(ESCAPE)
    refused = runner.invoke(cli, ["deploy", str(work / "processes"), *forms_option])

    assert deployed.exit_code == 0, deployed.output
    assert "uji_lapor: v2 dibuat (sebelumnya v1)" in deployed.output
    assert again.exit_code == 0 and "tidak ada perubahan" in again.output
    assert refused.exit_code == 1 and "[siapkan] script ditolak sandbox" in refused.output
    with app.app_context():
        row = db.session.execute(db.select(ProcessVersionRow).filter_by(process_id="uji_lapor", number=2)).scalar_one()
        assert (row.deployed_by, row.note, row.origin) == ("budi", "dari CLI", "cli")
        assert db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)).scalar() == 3


def test_alur_migrate_moves_a_batch_and_lists_each_instance(app, client, users, analyst):
    first, second = start_report(client, users), start_report(client, users)
    deploy(client, users, EDITED)
    runner = app.test_cli_runner()

    checked = runner.invoke(cli, ["migrate", "uji_lapor", "--from", "1", "--dry-run"])
    moved = runner.invoke(cli, ["migrate", "uji_lapor", "--status", "running", "--by", "budi"])
    listed = runner.invoke(cli, ["versions", "uji_lapor"])

    assert checked.exit_code == 0 and checked.output.count("  can_migrate") == 2
    assert moved.exit_code == 0, moved.output
    assert f"{first['id']:>10}  v1 -> v2  migrated" in moved.output and f"{second['id']:>10}" in moved.output
    assert "* v2" in listed.output and "running 2" in listed.output
