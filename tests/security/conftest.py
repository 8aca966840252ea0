"""Fixtures for the security specifications: the API test fixtures (fixture diagrams, users, clock) plus
one user per kind of caller, fresh instances to aim at, and browser-like web sessions with their CSRF token.

Runs on SQLite by default and on PostgreSQL with ALUR_TEST_DATABASE_URL, like tests/api.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func

from api.db import db
from engine import FixedClock
from tests.api import conftest as api_fixtures
from tests.api.conftest import (
    PASSWORD,
    REPORT,
    RT001,
    Users,
    make_app,
    write_fixture_project,
    write_form,
)
from tests.bpmn_builder import build_bpmn, form_props

# The API tests' fixtures, used as they are (the project gets a forum besides, below).
migrated, migrated_with_users, database, clock, client, users = (
    api_fixtures.migrated, api_fixtures.migrated_with_users, api_fixtures.database,
    api_fixtures.clock, api_fixtures.client, api_fixtures.users)

_current: list[Flask] = []  # the test's app, for count_rows()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Who calls, by kind. The task aimed at is "Verifikasi RW" (lane Ketua RW Uji) in RT001 of RW02.
ROLES = {
    "anonim": None,
    "lane_in_region": "rw02",  # Ketua RW Uji for 33.13.05.2001/RW02: the task's lane, inside its region
    "lane_parent_region": "rw_kec",  # Ketua RW Uji for the whole kecamatan 33.13.05: a prefix of the task's region
    "lane_out_region": "rw01",  # the same role for RW01: outside the task's region
    "starter": "rt1",  # Ketua RT Uji for RT001: may start the proposal process there, not act at RW level
    "other_role": "orang_lain",  # a role no diagram knows, granted everywhere
    "viewer": "pemantau",  # Pemantau (report viewer), everywhere
    "analyst": "analis_proses",  # Analis Proses, everywhere
    "admin": "admin",  # Admin, everywhere
}


RW02 = "33.13.05.2001/RW02"
MESSAGE = '<bpmn:message id="msg_keputusan_rw" name="keputusan_musyawarah_rw"/>'

# A proposal of an RT that waits for its RW's musyawarah (a forum), which decides it in one ranked list.
USUL_RW_BODY = f"""
<bpmn:startEvent id="usul_rt" name="Usulan RT">{form_props("uji/usulan.schema.json", regionField="wilayah", titleField="judul")}
  <bpmn:outgoing>r1</bpmn:outgoing></bpmn:startEvent>
<bpmn:receiveTask id="tunggu_musyawarah_rw" name="Tunggu musyawarah RW" messageRef="msg_keputusan_rw">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="correlationField" value="kode_lacak"/>
    <spiffworkflow:property name="batchFields" value="judul"/>
  </spiffworkflow:properties><spiffworkflow:messageVariable>keputusan_rw</spiffworkflow:messageVariable></bpmn:extensionElements>
  <bpmn:incoming>r1</bpmn:incoming><bpmn:outgoing>r2</bpmn:outgoing></bpmn:receiveTask>
<bpmn:endEvent id="usul_rt_selesai"><bpmn:incoming>r2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="r1" sourceRef="usul_rt" targetRef="tunggu_musyawarah_rw"/>
<bpmn:sequenceFlow id="r2" sourceRef="tunggu_musyawarah_rw" targetRef="usul_rt_selesai"/>
"""
USUL_RW_LANES = {"Ketua RT Uji": ["usul_rt", "usul_rt_selesai"], "Ketua RW Uji": ["tunggu_musyawarah_rw"]}

FORUM_RW_BODY = f"""
<bpmn:startEvent id="jadwalkan_musyawarah" name="Musyawarah RW dijadwalkan">{form_props("uji/forum.schema.json", regionField="wilayah", titleField="nama_forum")}
  <bpmn:outgoing>m1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="putuskan_usulan_rw" name="Putuskan usulan RW">{form_props(
    "uji/putuskan.schema.json", batchOf="uji_usul_rw.tunggu_musyawarah_rw", batchField="usulan", batchRank="peringkat")}
  <bpmn:incoming>m1</bpmn:incoming><bpmn:outgoing>m2</bpmn:outgoing></bpmn:userTask>
<bpmn:sendTask id="kirim_keputusan_rw" name="Kirim keputusan" messageRef="msg_keputusan_rw">
  <bpmn:extensionElements><spiffworkflow:messagePayload>baris</spiffworkflow:messagePayload></bpmn:extensionElements>
  <bpmn:incoming>m2</bpmn:incoming><bpmn:outgoing>m3</bpmn:outgoing>
  <bpmn:property id="usulan" name="usulan"/>
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>usulan</bpmn:loopDataInputRef>
    <bpmn:inputDataItem id="baris" name="baris"/></bpmn:multiInstanceLoopCharacteristics></bpmn:sendTask>
<bpmn:endEvent id="musyawarah_selesai"><bpmn:incoming>m3</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="m1" sourceRef="jadwalkan_musyawarah" targetRef="putuskan_usulan_rw"/>
<bpmn:sequenceFlow id="m2" sourceRef="putuskan_usulan_rw" targetRef="kirim_keputusan_rw"/>
<bpmn:sequenceFlow id="m3" sourceRef="kirim_keputusan_rw" targetRef="musyawarah_selesai"/>
"""
FORUM_RW_LANES = {"Ketua RW Uji": ["jadwalkan_musyawarah", "putuskan_usulan_rw", "kirim_keputusan_rw",
                                   "musyawarah_selesai"]}


# A register kept once per RT (`uniqueStart`): a second start of the same RT is a 409 to witness.
ONCE_BODY = f"""
<bpmn:startEvent id="catat_sekali" name="Catat sekali">{form_props("uji/sekali.schema.json", regionField="wilayah", titleField="judul", uniqueStart="wilayah")}
  <bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="periksa_sekali" name="Periksa catatan"><bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="catatan_selesai"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="s1" sourceRef="catat_sekali" targetRef="periksa_sekali"/>
<bpmn:sequenceFlow id="s2" sourceRef="periksa_sekali" targetRef="catatan_selesai"/>
"""
ONCE_LANES = {"Ketua RT Uji": ["catat_sekali", "periksa_sekali", "catatan_selesai"]}


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """The API tests' diagrams plus a forum: the musyawarah of an RW deciding its RTs' proposals in one list."""
    processes, forms = write_fixture_project(tmp_path)
    write_form(forms, "uji/forum.schema.json", {"nama_forum": {"type": "string", "title": "Nama musyawarah"},
                                                "wilayah": {"type": "string", "title": "Wilayah"}},
               ["nama_forum", "wilayah"])
    row = {"type": "object", "properties": {
        "kode_lacak": {"type": "string", "title": "Kode lacak"},
        "judul": {"type": "string", "title": "Judul", "readOnly": True},
        "peringkat": {"type": "integer", "title": "Peringkat", "minimum": 1},
        "keputusan": {"type": "string", "title": "Keputusan", "enum": ["terima", "tolak"]}},
        "required": ["kode_lacak", "peringkat", "keputusan"]}
    write_form(forms, "uji/putuskan.schema.json", {
        "nomor_berita_acara": {"type": "string", "title": "Nomor berita acara"},
        "usulan": {"type": "array", "title": "Usulan", "items": row}}, ["nomor_berita_acara", "usulan"])
    (processes / "usul_rw.bpmn").write_text(
        build_bpmn("uji_usul_rw", USUL_RW_BODY, USUL_RW_LANES, name="Usulan ke musyawarah RW uji",
                   extra_processes=MESSAGE), encoding="utf-8")
    (processes / "forum_rw.bpmn").write_text(
        build_bpmn("uji_forum_rw", FORUM_RW_BODY, FORUM_RW_LANES, name="Musyawarah RW uji", extra_processes=MESSAGE),
        encoding="utf-8")
    write_form(forms, "uji/sekali.schema.json", {"judul": {"type": "string", "title": "Judul"},
                                                 "wilayah": {"type": "string", "title": "Wilayah"}},
               ["judul", "wilayah"])
    (processes / "sekali.bpmn").write_text(
        build_bpmn("uji_sekali", ONCE_BODY, ONCE_LANES, name="Catatan sekali per RT uji"), encoding="utf-8")
    return processes, forms


@pytest.fixture
def app(database: str, project: tuple[Path, Path], clock: FixedClock) -> Iterator[Flask]:
    """The API tests' app, with a public rate limit that the tables here do not reach (one test lowers it)."""
    app = make_app(database, *project, ALUR_PUBLIC_LIMIT=10_000)
    _current[:] = [app]
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def people(users: Users) -> Users:
    """The API test users plus a process analyst, all logged in already (so counting rows later sees only
    what a request under test stored, not a login or the first request's sync of the diagrams)."""
    users.add("analis_proses", ("Analis Proses", ""))
    users.add("rw_kec", ("Ketua RW Uji", "33.13.05"))
    for username in ("rt1", "rt2", "rw02", "rw_kec", "rw01", "kec05", "orang_lain", "pemantau", "analis_proses", "admin", "kepala"):
        users.headers(username)
    return users


@dataclass
class Target:
    """A fresh proposal waiting at its RW step."""

    instance_id: int
    task_id: str
    tracking_code: str


def new_proposal(client: FlaskClient, users: Users, title: str = "Perbaikan saluran air") -> Target:
    answer = client.post("/api/v1/processes/uji_usulan/instances", json={"data": {"judul": title, "wilayah": RT001}},
                         headers=users.headers("rt1"))
    assert answer.status_code == 201, answer.get_json()
    instance = answer.get_json()
    found, page = [], 1
    while not found:  # the session's proposals pile up in rw02's inbox: look through every page
        tasks = client.get("/api/v1/tasks", query_string={"process": "uji_usulan", "per_page": 200, "page": page},
                           headers=users.headers("rw02")).get_json()["items"]
        assert tasks, f"the new proposal's RW task is on no page of rw02's inbox (up to page {page})"
        found, page = [t for t in tasks if t["instance_id"] == instance["id"]], page + 1
    [task] = found
    return Target(instance["id"], task["id"], instance["tracking_code"])


def new_forum(client: FlaskClient, users: Users) -> int:
    """A musyawarah of RW02 that decided a fresh proposal of RT001 (and any still waiting): its instance id."""
    proposal = client.post("/api/v1/processes/uji_usul_rw/instances", headers=users.headers("rt1"),
                           json={"data": {"judul": "Sumur resapan RT 001", "wilayah": RT001}})
    assert proposal.status_code == 201, proposal.get_json()
    forum = client.post("/api/v1/processes/uji_forum_rw/instances", headers=users.headers("rw02"),
                        json={"data": {"nama_forum": "Musyawarah RW 02", "wilayah": RW02}})
    assert forum.status_code == 201, forum.get_json()
    tasks = client.get("/api/v1/tasks", query_string={"process": "uji_forum_rw", "per_page": 200},
                       headers=users.headers("rw02")).get_json()["items"]
    [task] = [t for t in tasks if t["instance_id"] == forum.get_json()["id"]]
    listed = client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("rw02")).get_json()["data"]["usulan"]
    assert proposal.get_json()["tracking_code"] in [r["kode_lacak"] for r in listed]
    decided = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=users.headers("rw02"), json={"data": {
        "nomor_berita_acara": "005/RW02/2026", "usulan": [{**r, "keputusan": "terima"} for r in listed]}})
    assert decided.status_code == 200, decided.get_json()
    return forum.get_json()["id"]


def new_report(client: FlaskClient, data: dict | None = None) -> str:
    """A public report through the API; its tracking code."""
    answer = client.post("/api/v1/public/processes/uji_lapor/instances", json={"data": data or REPORT})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["tracking_code"]


def count_rows() -> dict[str, int]:
    """Rows per table, to prove a refused request stored nothing (rate-limit hits aside)."""
    from flask import current_app

    app = current_app._get_current_object() if has_app_context() else _current[0]
    with app.app_context(), db.engine.connect() as conn:
        return {t.name: conn.execute(db.select(func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables if t.name != "rate_hits"}


def web_session(app: Flask, username: str | None) -> tuple[FlaskClient, str]:
    """A browser-like client (logged in unless `username` is None) and its CSRF token."""
    browser = app.test_client()
    page = browser.get("/masuk")
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    if username is not None:
        answer = browser.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        token = CSRF.search(browser.get("/masuk").get_data(as_text=True)).group(1)
    return browser, token
