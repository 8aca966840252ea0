"""Who may call what: every endpoint of the API and of the web pages, against every kind of caller.

One table: a row per endpoint (method + URL rule), the expected status for each caller kind, in the
order of ROLES (anonim, lane_in_region, lane_parent_region, lane_out_region, starter, other_role, viewer,
analyst, admin). Each cell aims at fresh data (a new proposal waiting at "Verifikasi RW" in RT001 of RW02,
or a musyawarah of RW02 that decided a proposal of RT001), so cells do not disturb one another. A task or an instance outside one's lane or region is 404, never 403: the caller
must not learn that it exists. Adding an endpoint without a row here fails `test_every_endpoint_has_a_row`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from api.db import db
from api.models import ApiToken, PendingTask, User
from tests.api.conftest import PASSWORD, RT001, Users
from tests.security.conftest import ROLES, Target, new_forum, new_proposal, new_report, web_session
from tests.security.test_fuzz_openapi import bearer


@dataclass
class Cell:
    """What one request aims at: built lazily, fresh for every cell."""

    client: FlaskClient
    people: Users
    app: Flask

    @cached_property
    def target(self) -> Target:
        return new_proposal(self.client, self.people)

    @cached_property
    def code(self) -> str:
        return new_report(self.client)

    @cached_property
    def forum(self) -> int:
        return new_forum(self.client, self.people)

    def claimed(self) -> str:
        """The target task's claim after the request: '+' when someone holds it, '-' when it is free."""
        with self.app.app_context():
            holder = db.session.execute(
                db.select(PendingTask.claimed_by_id).filter_by(id=self.target.task_id)).scalar_one()
            return "+" if holder else "-"

    def claim_as_eligible(self) -> None:
        answer = self.client.post(f"{API}/tasks/{self.target.task_id}/claim", headers=self.people.headers("rw02"))
        assert answer.status_code == 200, answer.get_json()

    @cached_property
    def foreign_token(self) -> int:
        """A token of a user who is none of the callers (rt2): nobody else may revoke it."""
        with self.app.app_context():
            user_id = db.session.execute(db.select(User.id).filter_by(username="rt2")).scalar_one()
            return db.session.execute(db.select(ApiToken.id).filter_by(user_id=user_id)).scalars().first()


Path = Callable[[Cell], str]
Body = Callable[[Cell], dict[str, Any]] | None


@dataclass
class Row:
    method: str
    rule: str
    path: Path
    expect: str  # one status per ROLES entry, space separated
    body: Body = None
    fresh_session: bool = field(default=False)  # the request ends or replaces the session (login, logout)
    # For pages that answer every caller alike (a redirect with a message): what happened to the data, written
    # after the status ("302+"), read by `effect` after the request; `before` sets the data up first.
    before: Callable[[Cell], None] | None = None
    effect: Callable[[Cell], str] | None = None

    @property
    def web(self) -> bool:
        return not self.rule.startswith("/api/")


USULAN = {"data": {"judul": "Usulan jalan desa", "wilayah": RT001}}
API = "/api/v1"
#                                               anon in  parent out start other view anal admin
ROWS = [
    # -- API: login, tokens --------------------------------------------------------------------------------------
    Row("POST", "/api/v1/auth/login", lambda c: f"{API}/auth/login", "200 200 200 200 200 200 200 200 200",
        lambda c: {"username": "rt1", "password": PASSWORD}),
    Row("POST", "/api/v1/auth/logout", lambda c: f"{API}/auth/logout", "401 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/auth/me", lambda c: f"{API}/auth/me", "401 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/auth/tokens", lambda c: f"{API}/auth/tokens", "401 200 200 200 200 200 200 200 200"),
    Row("DELETE", "/api/v1/auth/tokens/<int:token_id>", lambda c: f"{API}/auth/tokens/{c.foreign_token}",
        "401 404 404 404 404 404 404 404 404"),
    # -- API: processes and starting -------------------------------------------------------------------------
    Row("GET", "/api/v1/processes", lambda c: f"{API}/processes", "401 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/processes/<process_id>", lambda c: f"{API}/processes/uji_usulan", "401 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/processes/<process_id>/versions/<int:number>/diagram",
        lambda c: f"{API}/processes/uji_usulan/versions/1/diagram", "401 200 200 200 200 200 200 200 200"),
    Row("POST", "/api/v1/processes/<process_id>/instances", lambda c: f"{API}/processes/uji_usulan/instances", "401 403 403 403 201 403 403 403 403",
        lambda c: USULAN),
    # -- API: tasks ------------------------------------------------------------------------------------------
    Row("GET", "/api/v1/tasks", lambda c: f"{API}/tasks", "401 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/tasks/<task_id>", lambda c: f"{API}/tasks/{c.target.task_id}", "401 200 200 404 404 404 404 404 404"),
    Row("POST", "/api/v1/tasks/<task_id>/claim", lambda c: f"{API}/tasks/{c.target.task_id}/claim", "401 200 200 404 404 404 404 404 404"),
    Row("POST", "/api/v1/tasks/<task_id>/unclaim", lambda c: f"{API}/tasks/{c.target.task_id}/unclaim", "401 200 200 404 404 404 404 404 404"),
    Row("POST", "/api/v1/tasks/<task_id>/complete", lambda c: f"{API}/tasks/{c.target.task_id}/complete", "401 200 200 404 404 404 404 404 404",
        lambda c: {"data": {"setuju": True}}),
    # -- API: admin ------------------------------------------------------------------------------------------
    Row("GET", "/api/v1/admin/instances", lambda c: f"{API}/admin/instances", "401 403 403 403 403 403 200 403 200"),
    Row("GET", "/api/v1/admin/instances/<int:instance_id>",
        lambda c: f"{API}/admin/instances/{c.target.instance_id}", "401 403 403 403 403 403 200 403 200"),
    Row("POST", "/api/v1/admin/instances/<int:instance_id>/suspend",
        lambda c: f"{API}/admin/instances/{c.target.instance_id}/suspend", "401 403 403 403 403 403 403 403 200", lambda c: {"reason": "uji akses"}),
    Row("POST", "/api/v1/admin/instances/<int:instance_id>/resume",
        lambda c: f"{API}/admin/instances/{c.target.instance_id}/resume", "401 403 403 403 403 403 403 403 409"),
    Row("POST", "/api/v1/admin/instances/<int:instance_id>/cancel",
        lambda c: f"{API}/admin/instances/{c.target.instance_id}/cancel", "401 403 403 403 403 403 403 403 200", lambda c: {"reason": "uji akses"}),
    Row("POST", "/api/v1/admin/instances/<int:instance_id>/retry",
        lambda c: f"{API}/admin/instances/{c.target.instance_id}/retry", "401 403 403 403 403 403 403 403 409", lambda c: {}),
    Row("GET", "/api/v1/admin/outbox", lambda c: f"{API}/admin/outbox", "401 403 403 403 403 403 403 403 200"),
    Row("POST", "/api/v1/admin/outbox/<int:message_id>/retry", lambda c: f"{API}/admin/outbox/1/retry", "401 403 403 403 403 403 403 403 404"),
    # -- API: organization (admins of every region only) ------------------------------------------------------
    Row("GET", "/api/v1/organization/<kind>", lambda c: f"{API}/organization/users", "401 403 403 403 403 403 403 403 200"),
    Row("POST", "/api/v1/organization/roles", lambda c: f"{API}/organization/roles", "401 403 403 403 403 403 403 403 200",
        lambda c: {"name": "Peran Uji Akses"}),
    Row("POST", "/api/v1/organization/units", lambda c: f"{API}/organization/units", "401 403 403 403 403 403 403 403 200",
        lambda c: {"code": "uji_akses", "name": "Unit uji akses", "kind": "opd"}),
    Row("POST", "/api/v1/organization/regions", lambda c: f"{API}/organization/regions",
        "401 403 403 403 403 403 403 403 200", lambda c: {"code": "99", "name": "Provinsi uji", "level": "provinsi"}),
    Row("POST", "/api/v1/organization/users", lambda c: f"{API}/organization/users", "401 403 403 403 403 403 403 403 200",
        lambda c: {"username": "uji_akses", "password": "rahasia-uji-akses"}),
    Row("DELETE", "/api/v1/organization/<kind>/<path:key>", lambda c: f"{API}/organization/roles/Tidak Ada",
        "401 403 403 403 403 403 403 403 404"),
    Row("GET", "/api/v1/organization/<kind>.csv", lambda c: f"{API}/organization/units.csv",
        "401 403 403 403 403 403 403 403 200"),
    Row("PUT", "/api/v1/organization/<kind>.csv", lambda c: f"{API}/organization/units.csv",
        "401 403 403 403 403 403 403 403 422", lambda c: {"bukan": "csv"}),
    # -- API: public -----------------------------------------------------------------------------------------
    Row("GET", "/api/v1/public/processes", lambda c: f"{API}/public/processes", "200 200 200 200 200 200 200 200 200"),
    Row("POST", "/api/v1/public/processes/<process_id>/instances",
        lambda c: f"{API}/public/processes/uji_lapor/instances", "201 201 201 201 201 201 201 201 201",
        lambda c: {"data": {"judul": "Lampu jalan mati", "isi": "Sejak seminggu", "wilayah": "33.13.05.2001"}}),
    Row("GET", "/api/v1/public/track/<code>", lambda c: f"{API}/public/track/{c.code}", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/public/regions", lambda c: f"{API}/public/regions", "200 200 200 200 200 200 200 200 200"),
    # -- API: versions, deploy, migration ---------------------------------------------------------------------
    Row("POST", "/api/v1/deploy", lambda c: f"{API}/deploy", "401 403 403 403 403 403 403 422 422", lambda c: {"files": {}, "dry_run": True}),
    Row("GET", "/api/v1/processes/<process_id>/versions", lambda c: f"{API}/processes/uji_usulan/versions", "401 403 403 403 403 403 200 200 200"),
    Row("GET", "/api/v1/processes/<process_id>/versions/<int:number>/files",
        lambda c: f"{API}/processes/uji_usulan/versions/1/files", "401 403 403 403 403 403 200 200 200"),
    Row("GET", "/api/v1/processes/<process_id>/diff", lambda c: f"{API}/processes/uji_usulan/diff", "401 403 403 403 403 403 200 200 200"),
    Row("POST", "/api/v1/migrations/dry-run", lambda c: f"{API}/migrations/dry-run", "401 403 403 403 403 403 403 200 200",
        lambda c: {"process_id": "uji_usulan", "instance_id": c.target.instance_id}),
    Row("POST", "/api/v1/migrations", lambda c: f"{API}/migrations", "401 403 403 403 403 403 403 200 200",
        lambda c: {"process_id": "uji_usulan", "instance_id": c.target.instance_id}),
    # -- API document ----------------------------------------------------------------------------------------
    Row("GET", "/api/openapi.json", lambda c: "/api/openapi.json", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/api/docs", lambda c: "/api/docs", "200 200 200 200 200 200 200 200 200"),
    # -- web: login, home ------------------------------------------------------------------------------------
    Row("GET", "/", lambda c: "/", "302 302 302 302 302 302 302 302 302"),
    Row("GET", "/masuk", lambda c: "/masuk", "200 200 200 200 200 200 200 200 200"),
    Row("POST", "/masuk", lambda c: "/masuk", "302 302 302 302 302 302 302 302 302", lambda c: {"username": "rt1", "password": PASSWORD},
        fresh_session=True),
    Row("POST", "/keluar", lambda c: "/keluar", "302 302 302 302 302 302 302 302 302", lambda c: {}, fresh_session=True),
    # -- web: inbox and tasks --------------------------------------------------------------------------------
    Row("GET", "/tugas", lambda c: "/tugas", "302 200 200 200 200 200 200 200 200"),
    Row("GET", "/tugas/<task_id>", lambda c: f"/tugas/{c.target.task_id}", "302 200 200 404 404 404 404 404 404"),
    Row("POST", "/tugas/<task_id>", lambda c: f"/tugas/{c.target.task_id}", "302 302 302 404 404 404 404 404 404", lambda c: {"setuju": "true"}),
    # Claiming from the inbox redirects back with a message whoever asks; only the eligible user's claim holds,
    # and only the holder can let it go.
    Row("POST", "/tugas/<task_id>/ambil", lambda c: f"/tugas/{c.target.task_id}/ambil",
        "302- 302+ 302+ 302- 302- 302- 302- 302- 302-", lambda c: {}, effect=Cell.claimed),
    Row("POST", "/tugas/<task_id>/lepas", lambda c: f"/tugas/{c.target.task_id}/lepas",
        "302+ 302- 302+ 302+ 302+ 302+ 302+ 302+ 302+", lambda c: {}, before=Cell.claim_as_eligible, effect=Cell.claimed),
    # -- web: start ------------------------------------------------------------------------------------------
    Row("GET", "/mulai", lambda c: "/mulai", "302 200 200 200 200 200 200 200 200"),
    Row("GET", "/mulai/<process_id>", lambda c: "/mulai/uji_usulan", "302 404 404 404 200 404 404 404 404"),
    Row("POST", "/mulai/<process_id>", lambda c: "/mulai/uji_usulan", "302 404 404 404 302 404 404 404 404", lambda c: USULAN["data"]),
    # -- web: public and tracking ----------------------------------------------------------------------------
    Row("GET", "/publik", lambda c: "/publik", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/publik/<process_id>", lambda c: "/publik/uji_lapor", "200 200 200 200 200 200 200 200 200"),
    Row("POST", "/publik/<process_id>", lambda c: "/publik/uji_lapor", "201 201 201 201 201 201 201 201 201",
        lambda c: {"judul": "Lampu jalan mati", "isi": "Sejak seminggu", "wilayah": "33.13.05.2001"}),
    Row("GET", "/lacak", lambda c: f"/lacak?kode={c.code}", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/lacak/<code>", lambda c: f"/lacak/{c.code}", "302 302 302 302 302 302 302 302 302"),
    # -- web: recap and reports ------------------------------------------------------------------------------
    Row("GET", "/rekap", lambda c: f"/rekap?proses=uji_usulan&_={c.target.task_id}", "302 200 200 200 200 200 200 200 200"),
    Row("GET", "/rekap.csv", lambda c: f"/rekap.csv?proses=uji_usulan&_={c.target.task_id}", "302 200 200 200 200 200 200 200 200"),
    Row("GET", "/rekap.xlsx", lambda c: f"/rekap.xlsx?proses=uji_usulan&_={c.target.task_id}", "302 200 200 200 200 200 200 200 200"),
    # The fixture procedure has no batch step: its instances have no decision document, for anyone.
    Row("GET", "/keputusan", lambda c: f"/keputusan?proses=uji_usulan&_={c.target.task_id}", "302 200 200 200 200 200 200 200 200"),
    Row("GET", "/keputusan/<int:instance_id>", lambda c: f"/keputusan/{c.target.instance_id}", "302 404 404 404 404 404 404 404 404"),
    Row("GET", "/keputusan/<int:instance_id>.csv", lambda c: f"/keputusan/{c.target.instance_id}.csv", "302 404 404 404 404 404 404 404 404"),
    Row("GET", "/keputusan/<int:instance_id>.xlsx", lambda c: f"/keputusan/{c.target.instance_id}.xlsx", "302 404 404 404 404 404 404 404 404"),
    # A forum's document (the musyawarah of RW02, lane Ketua RW Uji) is read by its lane's holders in its region,
    # report viewers and admins; another RW, the RT (another role, a narrower region), a role no diagram knows and
    # an analyst are not told it exists.
    Row("GET", "/keputusan/<int:instance_id>", lambda c: f"/keputusan/{c.forum}", "302 200 200 404 404 404 200 404 200"),
    Row("GET", "/keputusan/<int:instance_id>.csv", lambda c: f"/keputusan/{c.forum}.csv", "302 200 200 404 404 404 200 404 200"),
    Row("GET", "/keputusan/<int:instance_id>.xlsx", lambda c: f"/keputusan/{c.forum}.xlsx", "302 200 200 404 404 404 200 404 200"),
    Row("GET", "/laporan", lambda c: "/laporan", "302 200 200 200 200 200 200 200 200"),
    # -- web: admin and analyst ------------------------------------------------------------------------------
    Row("GET", "/admin/instance", lambda c: "/admin/instance", "302 403 403 403 403 403 200 403 200"),
    Row("GET", "/admin/instance/<int:instance_id>", lambda c: f"/admin/instance/{c.target.instance_id}", "302 403 403 403 403 403 200 403 200"),
    Row("POST", "/admin/instance/<int:instance_id>/<action>",
        lambda c: f"/admin/instance/{c.target.instance_id}/tangguhkan", "302 403 403 403 403 403 403 403 302", lambda c: {"alasan": "uji akses"}),
    Row("GET", "/admin/organisasi", lambda c: "/admin/organisasi", "302 403 403 403 403 403 403 403 302"),
    Row("GET", "/admin/organisasi/<kind>", lambda c: "/admin/organisasi/pengguna", "302 403 403 403 403 403 403 403 200"),
    Row("POST", "/admin/organisasi/<kind>", lambda c: "/admin/organisasi/peran", "302 403 403 403 403 403 403 403 302",
        lambda c: {"nama": "Peran Uji Web"}),
    Row("POST", "/admin/organisasi/<kind>/hapus", lambda c: "/admin/organisasi/peran/hapus",
        "302 403 403 403 403 403 403 403 404", lambda c: {"kunci": "Tidak Ada"}),
    Row("GET", "/admin/organisasi/<kind>.csv", lambda c: "/admin/organisasi/unit.csv", "302 403 403 403 403 403 403 403 200"),
    Row("POST", "/admin/organisasi/<kind>/impor", lambda c: "/admin/organisasi/unit/impor",
        "302 403 403 403 403 403 403 403 422", lambda c: {}),
    Row("GET", "/analis", lambda c: "/analis", "302 403 403 403 403 403 200 200 200"),
    Row("GET", "/analis/<process_id>/v<int:number>", lambda c: "/analis/uji_usulan/v1", "302 403 403 403 403 403 200 200 200"),
    Row("GET", "/analis/<process_id>/v<int:number>/diagram.xml", lambda c: "/analis/uji_usulan/v1/diagram.xml", "302 403 403 403 403 403 200 200 200"),
    Row("GET", "/analis/unggah", lambda c: "/analis/unggah", "302 403 403 403 403 403 403 200 200"),
    Row("POST", "/analis/unggah", lambda c: "/analis/unggah", "302 403 403 403 403 403 403 422 422", lambda c: {"catatan": "tanpa berkas"}),
    Row("GET", "/analis/<process_id>/beda", lambda c: "/analis/uji_usulan/beda", "302 403 403 403 403 403 200 200 200"),
    Row("POST", "/analis/<process_id>/pindahkan", lambda c: "/analis/uji_usulan/pindahkan", "302 403 403 403 403 403 403 302 302",
        lambda c: {"dari": "1", "ke": "1", "konfirmasi": "1"}),
    # the modeler: deployers only (analysts, admins of every region); the drafts below are refused as empty or
    # unconfirmed, so no cell stores anything
    Row("GET", "/analis/<process_id>/ubah", lambda c: "/analis/uji_usulan/ubah", "302 403 403 403 403 403 403 200 200"),
    Row("GET", "/analis/baru", lambda c: "/analis/baru", "302 403 403 403 403 403 403 200 200"),
    Row("GET", "/analis/modeler/peran", lambda c: "/analis/modeler/peran", "302 403 403 403 403 403 403 200 200"),
    Row("POST", "/analis/modeler/lint", lambda c: "/analis/modeler/lint", "302 403 403 403 403 403 403 422 422",
        lambda c: {"berkas": "uji.bpmn", "xml": ""}),
    Row("POST", "/analis/modeler/pratinjau", lambda c: "/analis/modeler/pratinjau", "302 403 403 403 403 403 403 200 200",
        lambda c: {"skema": '{"type": "object"}'}),
    Row("POST", "/analis/modeler/periksa", lambda c: "/analis/modeler/periksa", "302 403 403 403 403 403 403 422 422",
        lambda c: {"berkas": "uji.bpmn", "xml": ""}),
    Row("POST", "/analis/modeler/pasang", lambda c: "/analis/modeler/pasang", "302 403 403 403 403 403 403 422 422",
        lambda c: {"berkas": "uji.bpmn", "xml": "<x/>"}),
    # -- static files ----------------------------------------------------------------------------------------
    Row("GET", "/web/vendor/<package>/<path:name>",
        lambda c: "/web/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/web/static/<path:filename>", lambda c: "/web/static/alur.css", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/favicon.ico", lambda c: "/favicon.ico", "200 200 200 200 200 200 200 200 200"),
    Row("GET", "/static/<path:filename>", lambda c: "/static/alur.css", "404 404 404 404 404 404 404 404 404"),
]


def _call(app: Flask, client: FlaskClient, people: Users, row: Row, role: str,
          sessions: dict[str, tuple[FlaskClient, str]]) -> str:
    cell = Cell(client, people, app)
    if row.before:
        row.before(cell)
    status = _status(app, cell, row, role, sessions)
    return f"{status}{row.effect(cell)}" if row.effect else str(status)


def _status(app: Flask, cell: Cell, row: Row, role: str, sessions: dict[str, tuple[FlaskClient, str]]) -> int:
    path = row.path(cell)
    body = row.body(cell) if row.body else None
    username = ROLES[role]
    if not row.web:  # a script: bearer token only, no cookies
        api = app.test_client(use_cookies=False)
        return api.open(path, method=row.method, json=body, headers=bearer(app, username)).status_code
    browser, token = web_session(app, username) if row.fresh_session else sessions[role]
    if row.method == "GET":
        return browser.get(path).status_code
    return browser.open(path, method=row.method, data={**(body or {}), "csrf_token": token}).status_code


def test_every_endpoint_has_a_row(app: Flask) -> None:
    endpoints = {(method, rule.rule) for rule in app.url_map.iter_rules()
                 for method in rule.methods - {"HEAD", "OPTIONS"}}
    rows = {(row.method, row.rule) for row in ROWS}
    assert endpoints - rows == set(), "endpoints without a row in the authorization matrix"
    assert rows - endpoints == set(), "rows for endpoints that no longer exist"


def test_authorization_matrix(app: Flask, client: FlaskClient, people: Users) -> None:
    sessions = {role: web_session(app, username) for role, username in ROLES.items()}
    wrong = []
    for row in ROWS:
        got = [_call(app, client, people, row, role, sessions) for role in ROLES]
        if row.expect.split() != got:
            wrong.append(f"{row.method} {row.rule}: expected {row.expect}, got {' '.join(got)}")
    assert not wrong, "\n".join(wrong)



def test_the_decision_list_names_a_forum_to_whom_its_document_opens_and_sends_the_anonymous_to_login(
        app: Flask, client: FlaskClient, people: Users) -> None:
    forum = new_forum(client, people)
    listed, opened = {}, {}
    for role, username in ROLES.items():
        browser, _token = web_session(app, username)
        listed[role] = f"/keputusan/{forum}" in browser.get("/keputusan").get_data(as_text=True)
        opened[role] = browser.get(f"/keputusan/{forum}").status_code == 200
    assert listed == opened
    assert [role for role, yes in opened.items() if yes] == ["lane_in_region", "lane_parent_region", "viewer", "admin"]
    anonymous = app.test_client().get(f"/keputusan/{forum}.csv")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/masuk")
    assert "Sumur resapan RT 001" in web_session(app, "rw02")[0].get(f"/keputusan/{forum}.csv").get_data(as_text=True)
