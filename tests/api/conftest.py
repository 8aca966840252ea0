"""Fixtures for API tests: a database (SQLite file, or ALUR_TEST_DATABASE_URL), fixture diagrams, users, a clock.

The schema is built once per run (per xdist worker) by the Alembic migrations, so every run also
checks them. On SQLite each test then gets its own copy of that migrated file, which costs a file
copy rather than emptying every table; on PostgreSQL the one database is emptied between tests.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, inspect, text

from api.app import create_app
from api.db import db
from api.seed import ensure_user, grant
from engine import FixedClock, use_clock
from tests.bpmn_builder import build_bpmn, form_props

WIB = timezone(timedelta(hours=7))
SCHEMA = "https://json-schema.org/draft/2020-12/schema"
PASSWORD = "rahasia-uji"
FAST_HASH = "scrypt:256:1:1"  # test-only cost (0.1 ms a hash against 5 ms at 1024:8:1); production keeps scrypt's default
RT001 = "33.13.05.2001/RW02/RT001"
START = datetime(2026, 3, 17, 9, 0, tzinfo=WIB)  # the `clock` fixture's moment


def database_url() -> str:
    # One SQLite file per test run (process), so runs started side by side do not lock each other out.
    default = Path(tempfile.gettempdir()) / f"alur_api_test_{os.getpid()}.db"
    return os.environ.get("ALUR_TEST_DATABASE_URL") or f"sqlite:///{default}"


def write_form(forms: Path, name: str, properties: dict, required: list[str] | None = None) -> None:
    path = forms / name
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = {"$schema": SCHEMA, "type": "object", "properties": properties, "required": required or []}
    path.write_text(json.dumps(schema), encoding="utf-8")


# A report from the public: the desk verifies it within one working day (else the head is
# asked to step in, without stopping the desk), sends an initial reply, an analyst answers,
# a script scores the answer, and the final reply goes to the reporter.
LAPOR_BODY = f"""
<bpmn:startEvent id="diterima" name="Laporan diterima">{form_props("uji/lapor.schema.json", regionField="wilayah", titleField="judul", publicStart="true")}
  <bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:scriptTask id="siapkan" name="Siapkan"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  <bpmn:script>try:
    email
except NameError:
    email = None
telepon = None
batas = end_of_office_day(add_working_days(now(), 1))</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="verifikasi" name="Verifikasi laporan">{form_props("uji/verifikasi.schema.json", publicStatus="Laporan Anda sedang diperiksa")}
  <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
<bpmn:boundaryEvent id="terlambat" name="Batas verifikasi" attachedToRef="verifikasi" cancelActivity="false">
  <bpmn:outgoing>f_tegur</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">batas</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="tegur" name="Tegur petugas"><bpmn:incoming>f_tegur</bpmn:incoming><bpmn:outgoing>f_tegur_selesai</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="tegur_selesai"><bpmn:incoming>f_tegur_selesai</bpmn:incoming></bpmn:endEvent>
<bpmn:intermediateThrowEvent id="kirim_awal" name="Respon awal"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_awal" messageRef="msg_balasan"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{"kode_lacak": kode_lacak, "jenis": "respon_awal", "isi": catatan, "email": email, "telepon": telepon}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:userTask id="tanggapi" name="Tanggapi laporan">{form_props("uji/tanggapi.schema.json", publicStatus="Petugas sedang menyiapkan jawaban")}
  <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
<bpmn:scriptTask id="nilai" name="Hitung skor"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
  <bpmn:script>skor = 100 // pembagi</bpmn:script></bpmn:scriptTask>
<bpmn:intermediateThrowEvent id="kirim_akhir" name="Respon akhir"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_akhir" messageRef="msg_balasan"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{"kode_lacak": kode_lacak, "jenis": "respon_akhir", "isi": jawaban, "email": email, "telepon": telepon}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:endEvent id="selesai"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="diterima" targetRef="siapkan"/>
<bpmn:sequenceFlow id="f2" sourceRef="siapkan" targetRef="verifikasi"/>
<bpmn:sequenceFlow id="f3" sourceRef="verifikasi" targetRef="kirim_awal"/>
<bpmn:sequenceFlow id="f_tegur" sourceRef="terlambat" targetRef="tegur"/>
<bpmn:sequenceFlow id="f_tegur_selesai" sourceRef="tegur" targetRef="tegur_selesai"/>
<bpmn:sequenceFlow id="f4" sourceRef="kirim_awal" targetRef="tanggapi"/>
<bpmn:sequenceFlow id="f5" sourceRef="tanggapi" targetRef="nilai"/>
<bpmn:sequenceFlow id="f6" sourceRef="nilai" targetRef="kirim_akhir"/>
<bpmn:sequenceFlow id="f7" sourceRef="kirim_akhir" targetRef="selesai"/>
"""
LAPOR_LANES = {
    "Petugas Uji": ["diterima", "siapkan", "verifikasi", "kirim_awal", "kirim_akhir", "selesai", "nilai"],
    "Analis Uji": ["tanggapi"],
    "Kepala Uji": ["tegur", "tegur_selesai"],
}

# A proposal climbing the region levels: RT proposes, its RW checks, the kecamatan decides.
USULAN_BODY = f"""
<bpmn:startEvent id="usul" name="Usulan RT">{form_props("uji/usulan.schema.json", regionField="wilayah", titleField="judul")}
  <bpmn:outgoing>u1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="cek_rw" name="Verifikasi RW">{form_props("uji/keputusan.schema.json")}
  <bpmn:incoming>u1</bpmn:incoming><bpmn:outgoing>u2</bpmn:outgoing></bpmn:userTask>
<bpmn:userTask id="cek_kec" name="Putusan kecamatan">{form_props("uji/keputusan.schema.json")}
  <bpmn:incoming>u2</bpmn:incoming><bpmn:outgoing>u3</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="usul_selesai"><bpmn:incoming>u3</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="u1" sourceRef="usul" targetRef="cek_rw"/>
<bpmn:sequenceFlow id="u2" sourceRef="cek_rw" targetRef="cek_kec"/>
<bpmn:sequenceFlow id="u3" sourceRef="cek_kec" targetRef="usul_selesai"/>
"""
USULAN_LANES = {"Ketua RT Uji": ["usul"], "Ketua RW Uji": ["cek_rw"], "Operator Kec Uji": ["cek_kec", "usul_selesai"]}


def write_fixture_project(root: Path) -> tuple[Path, Path]:
    processes, forms = root / "processes", root / "forms"
    processes.mkdir(parents=True, exist_ok=True)
    write_form(
        forms,
        "uji/lapor.schema.json",
        {
            "judul": {"type": "string", "title": "Judul", "minLength": 5},
            "isi": {"type": "string", "title": "Isi"},
            "wilayah": {"type": "string", "title": "Wilayah", "pattern": "^33\\.13"},
            "nama": {"type": "string", "title": "Nama", "x-alur-personal": True},
            "email": {"type": "string", "title": "Email", "format": "email", "x-alur-personal": True},
            "anonim": {"type": "boolean"},
            "rahasia": {"type": "boolean"},
        },
        ["judul", "isi", "wilayah"],
    )
    write_form(forms, "uji/verifikasi.schema.json", {"catatan": {"type": "string", "title": "Catatan", "minLength": 3}},
               ["catatan"])
    write_form(
        forms,
        "uji/tanggapi.schema.json",
        {"jawaban": {"type": "string", "title": "Jawaban", "minLength": 3},
         "pembagi": {"type": "integer", "title": "Pembagi", "minimum": 0}},
        ["jawaban", "pembagi"],
    )
    write_form(forms, "uji/usulan.schema.json",
               {"judul": {"type": "string", "title": "Judul"}, "wilayah": {"type": "string", "title": "Wilayah"}},
               ["judul", "wilayah"])
    write_form(forms, "uji/keputusan.schema.json", {"setuju": {"type": "boolean", "title": "Setuju"}}, ["setuju"])
    message = '<bpmn:message id="msg_balasan" name="balasan_pelapor"/>'
    (processes / "lapor.bpmn").write_text(
        build_bpmn("uji_lapor", LAPOR_BODY, LAPOR_LANES, name="Laporan uji", extra_processes=message), encoding="utf-8"
    )
    (processes / "usulan.bpmn").write_text(
        build_bpmn("uji_usulan", USULAN_BODY, USULAN_LANES, name="Usulan uji"), encoding="utf-8"
    )
    return processes, forms


@pytest.fixture(scope="session")
def migrated() -> Iterator[str]:
    """An empty database migrated to the newest revision, built once per run; tests use copies of it."""
    url = database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ALUR_PROCESSES_DIR": "/nonexistent"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    yield url
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


@pytest.fixture
def database(migrated: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The test's database: on SQLite a copy of the migrated file (with FIXTURE_USERS when the test uses
    `users`), on PostgreSQL the one database emptied."""
    if not migrated.startswith("sqlite:///"):
        engine = create_engine(migrated.replace("postgresql://", "postgresql+psycopg://"))
        empty_tables(engine)
        engine.dispose()
        yield migrated
        return
    # The template's connections are closed, so its WAL is checkpointed into the file: the file is all of it.
    copy = tmp_path / "alur.db"
    url = f"sqlite:///{copy}"
    template = request.getfixturevalue("migrated_with_users") if copied_with_users(request, url) else migrated
    shutil.copyfile(template.removeprefix("sqlite:///"), copy)
    yield url
    for suffix in ("", "-wal", "-shm"):  # pytest keeps recent tmp_path folders; the copies need not stay
        Path(f"{copy}{suffix}").unlink(missing_ok=True)


def empty_tables(engine: Engine | None = None) -> None:
    """Delete every row of every table (of `engine`, else of the current app's database)."""
    engine = engine or db.engine
    tables = [t for t in reversed(db.metadata.sorted_tables) if inspect(engine).has_table(t.name)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


# username -> grants (role, region): the users most tests act as.
FIXTURE_USERS: dict[str, tuple[tuple[str, str], ...]] = {
    "petugas": (("Petugas Uji", "33.13"),),
    "analis": (("Analis Uji", "33.13"),),
    "kepala": (("Kepala Uji", "33.13"),),
    "rt1": (("Ketua RT Uji", RT001),),
    "rt2": (("Ketua RT Uji", "33.13.05.2001/RW02/RT002"),),
    "rw02": (("Ketua RW Uji", "33.13.05.2001/RW02"),),
    "rw01": (("Ketua RW Uji", "33.13.05.2001/RW01"),),
    "kec05": (("Operator Kec Uji", "33.13.05"),),
    "kec0": (("Operator Kec Uji", "33.13.0"),),
    "kec11": (("Operator Kec Uji", "33.13.11"),),
    "admin": (("Admin", ""),),
    "pemantau": (("Pemantau", ""),),
    "orang_lain": (("Peran Lain", ""),),
}


def copied_with_users(request: pytest.FixtureRequest, database: str) -> bool:
    """Whether the test's database copy already holds FIXTURE_USERS: on SQLite, when the test uses `users`."""
    return database.startswith("sqlite:///") and "users" in request.fixturenames


@pytest.fixture(scope="session")
def migrated_with_users(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The migrated SQLite file plus FIXTURE_USERS, made as the `users` fixture makes them (at the
    `clock` fixture's moment, before any request), built once per run instead of once per test."""
    path = tmp_path_factory.mktemp("users-db") / "alur.db"
    shutil.copyfile(migrated.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    with use_clock(FixedClock(START), everywhere=True):
        app = make_app(url, Path("/nonexistent"), Path("/nonexistent"))
        Users(app, app.test_client()).add_all(FIXTURE_USERS)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return url


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    return write_fixture_project(tmp_path)


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    """Tuesday 17 March 2026, 09:00 WIB, for the app, the engine and the test server's threads."""
    with use_clock(FixedClock(START), everywhere=True) as fixed:
        yield fixed


def make_app(database: str, processes: Path, forms: Path, **overrides) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": database,
        "ALUR_PROCESSES_DIR": processes,
        "ALUR_FORMS_DIR": forms,
        "ALUR_PASSWORD_METHOD": FAST_HASH,
        "SECRET_KEY": "kunci-uji-saja",  # tests write no key file into the instance folder
        # Walks move the clock by days and weeks with one login; the expiry tests set the real lifetime.
        "ALUR_TOKEN_TTL_HOURS": 24 * 366,
        "ALUR_PUBLIC_LIMIT": 3,
        "SMTP_HOST": None,
        "TESTING": True,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database: str, project: tuple[Path, Path], clock: FixedClock) -> Iterator[Flask]:
    app = make_app(database, *project)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Users:
    """Creates users with grants and logs them in; `headers(name)` gives a bearer header."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        self._tokens: dict[str, str] = {}

    def add(self, username: str, *grants: tuple[str, str]) -> str:
        self.add_all({username: grants})
        return username

    def add_all(self, people: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Several users with their grants (role, region), in one transaction."""
        with self.app.app_context():
            for username, grants in people.items():
                user = ensure_user(username, PASSWORD)
                for role, region in grants:
                    grant(user, role, region)
            db.session.commit()

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            answer = self.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.get_json()
            self._tokens[username] = answer.get_json()["token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}


@pytest.fixture
def users(app: Flask, client: FlaskClient, database: str, request: pytest.FixtureRequest) -> Users:
    """The fixture users (FIXTURE_USERS), made in the test's database unless its copy came with them."""
    u = Users(app, client)
    if not copied_with_users(request, database):
        u.add_all(FIXTURE_USERS)
    return u


REPORT = {"judul": "Jalan rusak di RT 1", "isi": "Lubang besar", "wilayah": "33.13.05.2001", "nama": "Siti",
          "email": "siti@example.org"}


def start_report(client: FlaskClient, users: Users, data: dict | None = None, who: str = "petugas") -> dict:
    answer = client.post("/api/v1/processes/uji_lapor/instances", json={"data": data or REPORT},
                         headers=users.headers(who))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def inbox(client: FlaskClient, users: Users, who: str, **params) -> list[dict]:
    answer = client.get("/api/v1/tasks", query_string=params, headers=users.headers(who))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def only_task(client: FlaskClient, users: Users, who: str, name: str) -> dict:
    [task] = [t for t in inbox(client, users, who) if t["name"] == name]
    return task
