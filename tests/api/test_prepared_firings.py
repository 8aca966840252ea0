"""Timer firings prepared ahead and applied in bulk write exactly what the normal path writes, and only when valid.

Twin instances (same data, same moments) are fired one by each path and every row
is compared, with the ids that must differ (instance ids, task UUIDs, tracking
codes) replaced by placeholders.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api import worker
from api.db import db
from api.models import AuditEvent, Instance, OutboxMessage, PendingTask, PreparedFiring
from api.services import instances as instance_service
from api.services import prepared
from tests.api.conftest import REPORT, WIB, write_fixture_project, write_form
from tests.bpmn_builder import build_bpmn, form_props

# Reached at start: a desk task (`catat`) beside a timer at the moment given in the data (`tempo`); the timer
# leads to a script reading now(), a message to the reporter, then a task. Completing `catat` moves the
# instance without touching its timer: the case that makes a preparation stale.
TEMPO_BODY = f"""
<bpmn:startEvent id="mulai">{form_props("uji/tempo.schema.json", regionField="wilayah", titleField="judul")}
  <bpmn:outgoing>t1</bpmn:outgoing></bpmn:startEvent>
<bpmn:parallelGateway id="cabang"><bpmn:incoming>t1</bpmn:incoming><bpmn:outgoing>t2</bpmn:outgoing>
  <bpmn:outgoing>t3</bpmn:outgoing></bpmn:parallelGateway>
<bpmn:userTask id="catat" name="Catat berkas">{form_props("uji/keputusan.schema.json")}
  <bpmn:incoming>t2</bpmn:incoming><bpmn:outgoing>t4</bpmn:outgoing></bpmn:userTask>
<bpmn:intermediateCatchEvent id="tunggu" name="Tunggu tempo"><bpmn:incoming>t3</bpmn:incoming><bpmn:outgoing>t5</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">tempo</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:scriptTask id="cap" name="Cap waktu"><bpmn:incoming>t5</bpmn:incoming><bpmn:outgoing>t6</bpmn:outgoing>
  <bpmn:script>dicap = now()</bpmn:script></bpmn:scriptTask>
<bpmn:intermediateThrowEvent id="kabar" name="Kabar"><bpmn:incoming>t6</bpmn:incoming><bpmn:outgoing>t7</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_kabar" messageRef="msg_kabar"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{"jenis": "pengingat", "isi": judul, "email": email}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:userTask id="tindak" name="Tindak lanjut"><bpmn:incoming>t7</bpmn:incoming><bpmn:outgoing>t8</bpmn:outgoing>
</bpmn:userTask>
<bpmn:parallelGateway id="gabung"><bpmn:incoming>t4</bpmn:incoming><bpmn:incoming>t8</bpmn:incoming>
  <bpmn:outgoing>t9</bpmn:outgoing></bpmn:parallelGateway>
<bpmn:endEvent id="akhir"><bpmn:incoming>t9</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="t1" sourceRef="mulai" targetRef="cabang"/>
<bpmn:sequenceFlow id="t2" sourceRef="cabang" targetRef="catat"/>
<bpmn:sequenceFlow id="t3" sourceRef="cabang" targetRef="tunggu"/>
<bpmn:sequenceFlow id="t4" sourceRef="catat" targetRef="gabung"/>
<bpmn:sequenceFlow id="t5" sourceRef="tunggu" targetRef="cap"/>
<bpmn:sequenceFlow id="t6" sourceRef="cap" targetRef="kabar"/>
<bpmn:sequenceFlow id="t7" sourceRef="kabar" targetRef="tindak"/>
<bpmn:sequenceFlow id="t8" sourceRef="tindak" targetRef="gabung"/>
<bpmn:sequenceFlow id="t9" sourceRef="gabung" targetRef="akhir"/>
"""
# A case that holds its title only while open and ends when its timer fires: the firing, prepared or not, releases it.
SEKALI_BODY = f"""
<bpmn:startEvent id="mulai">{form_props("uji/tempo.schema.json", regionField="wilayah", titleField="judul",
                                         uniqueStart="judul", uniqueStartWhile="open")}
  <bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
<bpmn:intermediateCatchEvent id="tunggu" name="Tunggu tempo"><bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">tempo</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:endEvent id="akhir"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="s1" sourceRef="mulai" targetRef="tunggu"/>
<bpmn:sequenceFlow id="s2" sourceRef="tunggu" targetRef="akhir"/>
"""
TEMPO_LANES = {"Petugas Uji": ["mulai", "cabang", "catat", "tunggu", "cap", "kabar", "tindak", "gabung", "akhir"]}
# 17 March 2026 09:00 WIB is the clock fixture's start; the LAPOR timer (`batas`) is due 25 March 16:00 WIB (holidays between).
BATAS = datetime(2026, 3, 25, 16, 0, tzinfo=WIB)
TEMPO = datetime(2026, 3, 17, 10, 0, tzinfo=WIB)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    processes, forms = write_fixture_project(tmp_path)
    write_form(forms, "uji/tempo.schema.json",
               {"judul": {"type": "string"}, "wilayah": {"type": "string"}, "email": {"type": "string"},
                "tempo": {"type": "string"}}, ["judul", "wilayah", "tempo"])
    message = '<bpmn:message id="msg_kabar" name="kabar_pelapor"/>'
    (processes / "tempo.bpmn").write_text(
        build_bpmn("uji_tempo", TEMPO_BODY, TEMPO_LANES, name="Tempo uji", extra_processes=message), encoding="utf-8")
    (processes / "sekali.bpmn").write_text(
        build_bpmn("uji_sekali", SEKALI_BODY, {"Petugas Uji": ["mulai", "tunggu", "akhir"]}, name="Sekali uji"),
        encoding="utf-8")
    return processes, forms


def start(client, users, process: str) -> int:
    data = REPORT if process == "uji_lapor" else {
        "judul": "Tempo berkas", "wilayah": "33.13.05.2001", "email": "siti@example.org", "tempo": TEMPO.isoformat()}
    answer = client.post(f"/api/v1/processes/{process}/instances", json={"data": data}, headers=users.headers("petugas"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def snapshot(instance_id: int) -> dict[str, Any]:
    """Every row the instance owns, with ids that differ between twins replaced by their order of appearance."""
    db.session.expire_all()
    instance = db.session.get(Instance, instance_id)
    columns = {c: getattr(instance, c) for c in ("status", "state", "region", "title", "anonymous", "confidential",
                                                 "created_at", "updated_at", "finished_at", "next_timer_at", "due_at",
                                                 "lock_version")}
    pending = db.session.execute(db.select(PendingTask).where(PendingTask.instance_id == instance_id)
                                 .order_by(PendingTask.name)).scalars()
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id)).scalars()
    outbox = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.instance_id == instance_id)
                                .order_by(OutboxMessage.id)).scalars()
    rows = {
        "instance": columns,
        "pending": [{c: getattr(r, c) for c in ("id", "process_id", "name", "title", "instance_title", "lane", "region",
                                                "form", "due_at", "sort_key", "claimed_by_id", "created_at")}
                    for r in pending],
        "events": [{c: getattr(e, c) for c in ("kind", "actor", "at", "task_id", "task_name", "detail")} for e in events],
        "outbox": [{c: getattr(m, c) for c in ("name", "payload", "channel", "recipient", "status", "attempts",
                                               "next_attempt_at", "created_at", "sent_at")} for m in outbox],
    }
    text = json.dumps(rows, default=str, sort_keys=True).replace(instance.tracking_code, "KODE")
    seen: dict[str, str] = {}
    return json.loads(UUID.sub(lambda m: seen.setdefault(m.group(), f"uuid-{len(seen)}"), text))


def counts() -> dict[str, int]:
    return {model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
            for model in (Instance, PendingTask, AuditEvent, OutboxMessage)}


@pytest.mark.parametrize(("process", "due"), [("uji_lapor", BATAS), ("uji_tempo", TEMPO)])
def test_a_prepared_firing_writes_exactly_what_the_normal_path_writes(app, client, users, clock, process, due):
    twins = [start(client, users, process), start(client, users, process)]
    if process == "uji_lapor":  # a claim on a task that stays ready must survive both paths
        for task in client.get("/api/v1/tasks", headers=users.headers("petugas")).get_json()["items"]:
            assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=users.headers("petugas")).status_code == 200
    clock.set(due - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 2
        db.session.execute(db.delete(PreparedFiring).where(PreparedFiring.instance_id == twins[1]))  # the normal one
        db.session.commit()
        clock.set(due + timedelta(milliseconds=1))  # both paths fire at the same moment: all rows comparable
        done = worker.run_once(lookahead=0)
        assert (done.timers_fired, done.applied) == (2, 1)
        assert db.session.execute(db.select(PreparedFiring)).first() is None
        by_preparation, by_engine = snapshot(twins[0]), snapshot(twins[1])
    assert [e["kind"] for e in by_preparation["events"]].count("timer_fired") == 1
    if process == "uji_tempo":
        assert [(m["name"], m["channel"], m["status"]) for m in by_preparation["outbox"]] == [
            ("kabar_pelapor", "email", "pending")]
    else:
        assert [(p["name"], p["claimed_by_id"] is not None) for p in by_preparation["pending"]] == [
            ("tegur", False), ("verifikasi", True)]
    assert by_preparation == by_engine


def test_preparing_fires_nothing_early_and_scripts_see_the_due_moment(app, client, users, clock):
    instance_id = start(client, users, "uji_tempo")
    clock.set(TEMPO - timedelta(seconds=30))
    with app.app_context():
        before, rows = snapshot(instance_id), counts()
        assert worker.run_once(lookahead=300).prepared == 1
        assert worker.run_once(lookahead=300).prepared == 0  # prepared once, not every round
        assert snapshot(instance_id) == before and counts() == rows
        clock.set(TEMPO - timedelta(milliseconds=1))
        assert worker.run_once(lookahead=300).timers_fired == 0
        assert snapshot(instance_id) == before
        clock.set(TEMPO + timedelta(seconds=7))  # the worker comes a little late
        assert worker.run_once(lookahead=300).applied == 1
        instance = db.session.get(Instance, instance_id)
        ref = instance_service.runtime().by_row(instance.version_id)
        data = instance_service.runtime().engine.inspect(ref.version, instance.state).data
        assert datetime.fromisoformat(data["dicap"]) == TEMPO  # when the event happened (now() keeps seconds)
        fired = db.session.execute(db.select(AuditEvent.at).filter_by(instance_id=instance_id, kind="timer_fired"))
        assert [at for (at,) in fired] == [TEMPO + timedelta(seconds=7)]  # the audit says when it was written


def test_a_completion_after_preparing_makes_it_stale_and_the_normal_path_fires_once(app, client, users, clock):
    instance_id = start(client, users, "uji_tempo")
    clock.set(TEMPO - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 1
    [task] = client.get("/api/v1/tasks", headers=users.headers("petugas")).get_json()["items"]
    assert task["name"] == "catat"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"setuju": True}},
                       headers=users.headers("petugas"))
    assert done.status_code == 200, done.get_json()
    clock.set(TEMPO + timedelta(seconds=1))
    with app.app_context():
        assert worker.run_once(lookahead=0).timers_fired == 1  # by the normal path: the preparation was stale
        assert worker.run_once(lookahead=0).timers_fired == 0
        assert db.session.execute(db.select(PreparedFiring)).first() is None
        names = db.session.execute(db.select(PendingTask.name).filter_by(instance_id=instance_id)).scalars().all()
        assert names == ["tindak"]  # the completed task did not come back
        kinds = db.session.execute(db.select(AuditEvent.kind).filter_by(instance_id=instance_id)).scalars().all()
        assert kinds.count("timer_fired") == 1 and kinds.count("task_completed") == 1


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_a_suspended_or_cancelled_instance_is_not_fired(app, client, users, clock, action):
    instance_id = start(client, users, "uji_tempo")
    clock.set(TEMPO - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 1
    answer = client.post(f"/api/v1/admin/instances/{instance_id}/{action}", json={"reason": "uji"},
                         headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    clock.set(TEMPO + timedelta(seconds=1))
    with app.app_context():
        before = snapshot(instance_id)
        assert worker.run_once(lookahead=0).timers_fired == 0
        assert snapshot(instance_id) == before
        assert db.session.execute(db.select(PreparedFiring)).first() is None  # deleted once due


def test_a_chunk_whose_version_check_fails_is_undone_whole_and_fired_the_normal_way(app, client, users, clock):
    """The rows are locked (or SQLite's write lock held) from the read on, so the check cannot fail; should a
    writer slip in anyway, nothing of the chunk is written and every instance fires once, by the normal path."""
    twins = [start(client, users, "uji_tempo"), start(client, users, "uji_tempo")]
    clock.set(TEMPO - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 2
        clock.set(TEMPO + timedelta(seconds=1))
        original = prepared._instance_values

        def saved_meanwhile(row, stamp):  # as if the first twin had been saved after the read
            values = original(row, stamp)
            if row.instance_id == twins[0]:
                values["b_version"] -= 1
            return values

        prepared._instance_values = saved_meanwhile
        try:
            done = worker.run_once(lookahead=0)
        finally:
            prepared._instance_values = original
        assert (done.timers_fired, done.applied) == (2, 0)
        fired = db.session.execute(db.select(AuditEvent.instance_id).filter_by(kind="timer_fired")).scalars().all()
        assert sorted(fired) == sorted(twins)
        assert worker.run_once(lookahead=0).timers_fired == 0  # and the stale preparations are dropped
        assert db.session.execute(db.select(PreparedFiring)).first() is None


def test_a_preparation_due_longer_ago_than_the_bound_is_dropped_and_the_firing_carries_the_real_moment(
        app, client, users, clock):
    """The worker was down past the moment: a firing now must say now, as the normal path does."""
    instance_id = start(client, users, "uji_tempo")
    clock.set(TEMPO - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 1
        late = TEMPO + timedelta(seconds=app.config["ALUR_PREPARED_MAX_LATE"] + 50)
        clock.set(late)
        done = worker.run_once(lookahead=0)
        assert (done.timers_fired, done.applied) == (1, 0)
        assert db.session.execute(db.select(PreparedFiring)).first() is None
        instance = db.session.get(Instance, instance_id)
        ref = instance_service.runtime().by_row(instance.version_id)
        data = instance_service.runtime().engine.inspect(ref.version, instance.state).data
        assert datetime.fromisoformat(data["dicap"]) == late.replace(microsecond=0)


def test_a_starting_worker_forgets_every_preparation(app, client, users, clock):
    """Preparations were computed by the code and holidays of the worker that made them."""
    start(client, users, "uji_tempo")
    clock.set(TEMPO - timedelta(seconds=60))
    with app.app_context():
        assert worker.run_once(lookahead=300).prepared == 1
        prepared.discard_all()
        assert db.session.execute(db.select(PreparedFiring)).first() is None
        assert worker.run_once(lookahead=300).prepared == 1  # computed again


@pytest.mark.parametrize("prepared_ahead", [True, False])
def test_given_a_case_unique_only_while_open_when_its_timer_finishes_it_then_the_same_values_start_again(
        app, client, users, clock, prepared_ahead):
    url = "/api/v1/processes/uji_sekali/instances"
    data = {"judul": "Sekali berkas", "wilayah": "33.13.05.2001", "tempo": TEMPO.isoformat()}
    first = client.post(url, json={"data": data}, headers=users.headers("petugas"))
    assert first.status_code == 201, first.get_json()
    while_open = client.post(url, json={"data": data}, headers=users.headers("petugas"))
    assert while_open.status_code == 409 and while_open.get_json()["code"] == "duplicate_start"

    with app.app_context():
        if prepared_ahead:
            clock.set(TEMPO - timedelta(seconds=60))
            assert worker.run_once(lookahead=300).prepared == 1
        clock.set(TEMPO + timedelta(milliseconds=1))
        done = worker.run_once(lookahead=0)
        assert (done.timers_fired, done.applied) == (1, 1 if prepared_ahead else 0)
        assert db.session.get(Instance, first.get_json()["id"]).status == "complete"

    again = client.post(url, json={"data": data}, headers=users.headers("petugas"))
    assert again.status_code == 201, again.get_json()
