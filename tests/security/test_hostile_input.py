"""Hostile input: each answered with a clear 4xx (JSON code + Indonesian message on the API, a readable page
on the web), nothing stored, nothing leaked (no stack trace, no other user's data), HTML escaped on output."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from api.db import db
from api.models import User
from tests.api.conftest import PASSWORD, RT001, Users
from tests.security.conftest import count_rows, new_proposal, new_report, web_session

LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|OperationalError|ProgrammingError|Werkzeug",
                   re.IGNORECASE)
SQL = ["' OR '1'='1", "1; DROP TABLE instances; --", "\" OR 1=1 --", "%' UNION SELECT password_hash FROM users --",
       "33.13%", "\\'; SELECT pg_sleep(5); --", "\x00", "../../etc/passwd"]
SCRIPT = "<script>alert(1)</script>"
IMG = "\"><img src=x onerror=alert(1)>"


def api(app: Flask) -> FlaskClient:
    """A script's client: no cookies, so only the bearer token counts."""
    return app.test_client(use_cookies=False)


def refused(answer, status: int, code: str | None = None) -> dict:
    """A clean JSON refusal: the status, a machine code, an Indonesian message, no internals."""
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) <= {"code", "message", "fields"} and body["message"]
    if code:
        assert body["code"] == code, body
    assert not LEAKS.search(answer.get_data(as_text=True))
    return body


def readable_page(answer, status: int) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    assert not LEAKS.search(text)
    return text


# -- size ------------------------------------------------------------------------------------------------------


def test_a_2_mb_json_body_is_refused_with_413_and_nothing_is_stored(app: Flask, people: Users) -> None:
    before = count_rows()
    body = {"data": {"judul": "x" * 2_000_000, "wilayah": RT001}}
    answer = api(app).post("/api/v1/processes/uji_usulan/instances", json=body, headers=people.headers("rt1"))
    assert refused(answer, 413, "too_large")["message"] == "permintaan terlalu besar"
    assert count_rows() == before


def test_a_1_mb_string_in_a_public_field_is_refused_and_nothing_is_stored(app: Flask, people: Users) -> None:
    before = count_rows()
    body = {"data": {"judul": "Jalan rusak", "isi": "á" * 1_000_000, "wilayah": "33.13.05.2001"}}
    refused(api(app).post("/api/v1/public/processes/uji_lapor/instances", json=body), 413, "too_large")
    assert count_rows() == before


def test_an_oversized_chunked_body_without_content_length_is_refused_too(app: Flask, people: Users) -> None:
    """Read only up to the limit; the cut body is no JSON (400) or too large (413): refused either way."""
    before = count_rows()
    chunks = iter([b'{"data": {"judul": "', b"x" * 1_200_000, b'", "wilayah": "33.13.05.2001"}}'])
    answer = api(app).post("/api/v1/public/processes/uji_lapor/instances", input_stream=io.BytesIO(b"".join(chunks)),
                           content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    refused(answer, answer.status_code)
    assert answer.status_code in (400, 413)
    assert count_rows() == before


def test_a_deploy_upload_may_be_larger_than_the_global_limit_but_not_than_its_own(app: Flask, people: Users) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] < app.config["ALUR_DEPLOY_MAX_BYTES"]
    big = {"files": {"besar.bpmn": "<x/>" + " " * 1_500_000}, "dry_run": True}
    answer = api(app).post("/api/v1/deploy", json=big, headers=people.headers("admin"))
    refused(answer, 422, "deploy_refused")  # read and linted (a 1.5 MB body), refused for its content, not its size
    app.config["ALUR_DEPLOY_MAX_BYTES"] = 1_000_000
    refused(api(app).post("/api/v1/deploy", json=big, headers=people.headers("admin")), 413, "too_large")


def test_an_oversized_web_form_is_a_readable_page_and_nothing_is_stored(app: Flask, people: Users) -> None:
    browser, token = web_session(app, None)
    before = count_rows()
    answer = browser.post("/publik/uji_lapor", data={"judul": "x" * 1_100_000, "isi": "a", "wilayah": "33.13.05.2001",
                                                      "csrf_token": token})
    assert "terlalu besar" in readable_page(answer, 413)
    assert count_rows() == before


# -- malformed and mistyped ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b'{"data": ', b"\xff\xfe{}", b'{"data": {"judul": "a"}} trailing', b"[1, 2"])
def test_malformed_json_is_400_with_an_indonesian_message(app: Flask, people: Users, raw: bytes) -> None:
    before = count_rows()
    answer = api(app).post("/api/v1/processes/uji_usulan/instances", data=raw, content_type="application/json",
                           headers=people.headers("rt1"))
    assert refused(answer, 400, "bad_request")["message"] == "permintaan tidak dapat dibaca"
    assert count_rows() == before


@pytest.mark.parametrize(("method", "path", "who"), [
    ("POST", "/api/v1/deploy", "analis_proses"),  # routes that read their JSON body themselves
    ("PUT", "/api/v1/organization/roles.csv", "admin"),
])
@pytest.mark.parametrize("raw", [b"{", b'{"files": ', b"[1, 2"])
def test_malformed_json_is_400_also_where_a_route_reads_the_body_itself(
        app: Flask, people: Users, method: str, path: str, who: str, raw: bytes) -> None:
    before = count_rows()
    answer = api(app).open(path, method=method, data=raw, content_type="application/json",
                           headers=people.headers(who))
    assert refused(answer, 400, "bad_request")["message"] == "permintaan tidak dapat dibaca"
    assert count_rows() == before


def test_the_public_rate_limit_says_when_to_try_again(app: Flask) -> None:
    app.config.update(ALUR_PUBLIC_LIMIT=1, ALUR_PUBLIC_WINDOW_SECONDS=600)
    report = {"data": {"judul": "Lampu mati", "isi": "a", "wilayah": "33.13.05.2001"}}
    assert api(app).post("/api/v1/public/processes/uji_lapor/instances", json=report).status_code == 201
    answer = api(app).post("/api/v1/public/processes/uji_lapor/instances", json=report)
    refused(answer, 429, "too_many_requests")
    assert 1 <= int(answer.headers["Retry-After"]) <= 600, "the oldest submission leaves the window by then"


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/processes/uji_usulan/instances", {"data": ["judul", "wilayah"]}),
    ("/api/v1/processes/uji_usulan/instances", {"data": "judul"}),
    ("/api/v1/processes/uji_usulan/instances", {"data": {"judul": 12, "wilayah": RT001}}),
    ("/api/v1/processes/uji_usulan/instances", {"data": {"judul": "x", "wilayah": ["33"]}}),
    ("/api/v1/processes/uji_usulan/instances", {"data": {"judul": "x", "wilayah": "33.13\u202e/../.."}}),
    ("/api/v1/processes/uji_usulan/instances", [1, 2, 3]),
    ("/api/v1/processes/uji_usulan/instances", {"data": {}, "extra": True}),
    ("/api/v1/auth/login", {"username": ["admin"], "password": {"$ne": None}}),
    ("/api/v1/migrations/dry-run", {"process_id": "uji_usulan", "instance_id": 2**40}),
    ("/api/v1/migrations/dry-run", {"process_id": "uji_usulan", "to_version": "1; DROP TABLE x"}),
])
def test_wrong_types_are_422_naming_the_field_and_nothing_is_stored(app: Flask, people: Users, path: str,
                                                                    body: object) -> None:
    before = count_rows()
    who = "admin" if "migrations" in path else "rt1"
    body_ = refused(api(app).post(path, json=body, headers=people.headers(who)), 422)
    assert body_["code"] in ("invalid_input", "form_invalid") and body_["fields"]
    assert count_rows() == before


def test_ids_beyond_the_database_integer_range_are_404_not_a_server_error(app: Flask, people: Users) -> None:
    """Found by the fuzzer: /auth/tokens/99999999999999999999 overflowed the database driver (500)."""
    client = api(app)
    for path in ("/api/v1/auth/tokens/99999999999999999999", "/api/v1/admin/instances/2147483648",
                 "/api/v1/processes/uji_usulan/versions/9223372036854775808/files"):
        method = "DELETE" if "tokens" in path else "GET"
        refused(client.open(path, method=method, headers=people.headers("admin")), 404, "not_found")
    browser, _ = web_session(app, "admin")
    answer = browser.get("/admin/instance/99999999999999999999")
    assert answer.status_code == 404 and not LEAKS.search(answer.get_data(as_text=True))


def test_unicode_and_long_text_within_the_limit_is_stored_safely(app: Flask, people: Users) -> None:
    title = "Jalan 🚧 rusak — ĐŽ ﷽ \u200b" + "ä" * 5000
    answer = api(app).post("/api/v1/processes/uji_usulan/instances", json={"data": {"judul": title, "wilayah": RT001}},
                           headers=people.headers("rt1"))
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["title"] == title[:300]  # the list title is cut; the data keeps the whole text


# -- SQL-looking text in every filter ---------------------------------------------------------------------------


# Who reads each part of the API (the first prefix that matches); path parameters get ids that exist.
READERS = [("/api/v1/tasks", "rw02"), ("/api/v1/public/", None), ("/api/v1/admin/", "admin"),
           ("/api/v1/processes", "analis_proses"), ("/api/v1/", "admin")]
PATH_IDS = {"{process_id}": "uji_usulan", "{number}": "1"}


def api_filters(app: Flask) -> list[tuple[str, list[str], str | None]]:
    """Every query parameter of every GET operation, read from the app's own OpenAPI document, so a filter
    added later is covered without anyone remembering to list it here."""
    document = app.test_client().get("/api/openapi.json").get_json()
    found = []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", []) + operations.get("parameters", [])
        names = [p["name"] for p in parameters if p["in"] == "query"]
        for placeholder, value in PATH_IDS.items():
            path = path.replace(placeholder, value)
        if names and "{" not in path:
            found.append((path, names, next(who for prefix, who in READERS if path.startswith(prefix))))
    return found

WEB_FILTERS = [
    ("/tugas", ["proses", "peran", "klaim", "urut", "hal", "terlambat"], "rw02"),
    ("/admin/instance", ["proses", "versi", "status", "wilayah", "kode", "dari", "sampai", "hal"], "admin"),
    ("/rekap", ["proses", "langkah", "kolom", "urut", "arah"], "admin"),
    ("/rekap.csv", ["proses", "langkah", "kolom", "urut"], "admin"),
    ("/laporan", ["proses", "dari", "sampai"], "admin"),
    ("/lacak", ["kode"], None),
]


def test_sql_looking_text_in_every_api_filter_finds_nothing_and_breaks_nothing(app: Flask, people: Users) -> None:
    new_proposal(app.test_client(), people)
    before = count_rows()
    client = api(app)
    filters = api_filters(app)
    listed = {(path, name) for path, names, _ in filters for name in names}
    assert {("/api/v1/tasks", "due_before"), ("/api/v1/admin/instances", "q"), ("/api/v1/public/regions", "parent"),
            ("/api/v1/processes/uji_usulan/diff", "from")} <= listed  # the document really was read
    for path, names, who in filters:
        headers = people.headers(who) if who else {}
        for name in names:
            for text in SQL:
                answer = client.get(path, query_string={name: text}, headers=headers)
                assert answer.status_code in (200, 422), (path, name, text, answer.get_data(as_text=True)[:300])
                assert not LEAKS.search(answer.get_data(as_text=True))
                if answer.status_code == 200 and "items" in answer.get_json():
                    assert answer.get_json()["items"] == [] or name in ("region", "parent"), (path, name, text)
    for text in SQL:
        answer = client.get(f"/api/v1/public/track/{text}".replace("\x00", "%00"))
        refused(answer, 404)
    assert count_rows() == before  # and every table is still there


ADMIN_CHECKED = {"proses", "versi", "status", "wilayah", "dari", "sampai"}  # read strictly by the admin list


def test_sql_looking_text_in_every_web_filter_is_a_normal_page(app: Flask, people: Users) -> None:
    new_proposal(app.test_client(), people)
    browsers = {who: web_session(app, who)[0] for _, _, who in WEB_FILTERS}
    before = count_rows()
    for path, names, who in WEB_FILTERS:
        browser = browsers[who]
        for name in names:
            for text in SQL:
                answer = browser.get(path, query_string={name: text})
                # The admin list names a filter it cannot read (422, the message beside it) instead of ignoring it.
                named = path == "/admin/instance" and name in ADMIN_CHECKED and "\x00" not in text
                if named:
                    assert answer.status_code == 422 and f'id="galat-{name}"' in answer.get_data(as_text=True)
                assert named or answer.status_code == (400 if "\x00" in text else 200) or path == "/lacak", (
                    path, name, text)
                assert answer.status_code in (200, 400, 404, 422), (path, name, text)
                assert not LEAKS.search(answer.get_data(as_text=True))
                assert "33.13.05.2001/RW02/RT001" not in answer.get_data(as_text=True) or path != "/lacak"
    assert count_rows() == before


def test_nul_characters_are_refused_before_they_reach_the_database(app: Flask, people: Users) -> None:
    """Found by the fuzzer on PostgreSQL, which cannot store or compare U+0000: a login, a filter or form data
    holding it was a 500. Now a 422 naming the field (API), 404 in a path, a 400 page (web)."""
    client = api(app)
    before = count_rows()
    body = refused(client.post("/api/v1/auth/login", json={"username": "ad\x00min", "password": "x"}), 422)
    assert body["fields"][0]["field"] == "username"
    refused(client.get("/api/v1/tasks", query_string={"process": "\x00"}, headers=people.headers("rw02")), 422)
    refused(client.post("/api/v1/processes/uji_usulan/instances", headers=people.headers("rt1"),
                        json={"data": {"judul": "a\x00b", "wilayah": RT001}}), 422)
    refused(client.post("/api/v1/admin/instances/1/cancel", json={"reason": "\x00\x00\x00"},
                        headers=people.headers("admin")), 422)
    refused(client.get("/api/v1/public/track/AB%00CD"), 404)
    refused(client.get("/api/v1/tasks/%00", headers=people.headers("rw02")), 404)
    public, token = web_session(app, None)
    readable_page(public.post("/publik/uji_lapor", data={"judul": "Lampu\x00mati", "isi": "a",
                                                          "wilayah": "33.13.05.2001", "csrf_token": token}), 400)
    readable_page(public.get("/lacak", query_string={"kode": "\x00"}), 400)
    assert count_rows() == before


# -- path traversal ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/evil.bpmn", "/etc/evil.bpmn", "forms/../../../evil.json",
                                  "..\\..\\evil.bpmn", "forms/uji/%2e%2e/evil.json", "evil.bpmn\x00.txt",
                                  "C:/Windows/evil.bpmn"])
def test_path_traversal_in_deploy_file_names_is_refused_and_nothing_is_written(
    app: Flask, people: Users, project, tmp_path, name: str
) -> None:
    processes, forms = project
    files_before = sorted(p for p in tmp_path.rglob("*"))
    before = count_rows()
    answer = api(app).post("/api/v1/deploy", json={"files": {name: "<bpmn/>"}}, headers=people.headers("admin"))
    refused(answer, 422, "deploy_refused")
    multipart = api(app).post("/api/v1/deploy", data={"files[]": (io.BytesIO(b"<bpmn/>"), name)},
                              content_type="multipart/form-data", headers=people.headers("admin"))
    assert multipart.status_code == 422, multipart.get_data(as_text=True)[:300]
    assert sorted(p for p in tmp_path.rglob("*")) == files_before
    assert not (tmp_path.parent / "evil.bpmn").exists() and not (tmp_path.parent / "evil.json").exists()
    assert count_rows() == before


@pytest.mark.parametrize("path", [
    "/web/vendor/bpmn-js/../package.json", "/web/vendor/bpmn-js/..%2fpackage.json",
    "/web/vendor/bpmn-js/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", "/web/vendor/bpmn-js//etc/passwd",
    "/web/vendor/bpmn-js/..\\..\\package.json", "/web/vendor/../../pyproject.toml", "/web/vendor/bpmn-js/%00",
    "/web/static/../../config.py", "/web/static/..%2f..%2fconfig.py",
])
def test_path_traversal_in_the_vendor_and_static_routes_is_404(app: Flask, path: str) -> None:
    answer = app.test_client().get(path, follow_redirects=True)  # `//` is merged by a redirect on this site
    assert answer.status_code in (404, 400), (path, answer.status_code)
    text = answer.get_data(as_text=True)
    assert "SECRET_KEY" not in text and "root:" not in text and '"name": "bpmn-js"' not in text
    assert not LEAKS.search(text)


# -- CSRF --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token", "A" * 43])
def test_a_web_form_with_a_missing_or_forged_csrf_token_is_refused_and_nothing_is_stored(
    app: Flask, people: Users, token: str | None
) -> None:
    target = new_proposal(app.test_client(), people)
    browser, _good = web_session(app, "rw02")
    admin, _ = web_session(app, "admin")
    before = count_rows()
    extra = {} if token is None else {"csrf_token": token}
    posts = [
        (browser, f"/tugas/{target.task_id}", {"setuju": "true"}),
        (browser, f"/tugas/{target.task_id}/ambil", {}),
        (browser, "/keluar", {}),
        (admin, f"/admin/instance/{target.instance_id}/batalkan", {"alasan": "tanpa token"}),
        (app.test_client(), "/publik/uji_lapor", {"judul": "Lampu mati", "isi": "a", "wilayah": "33.13.05.2001"}),
        (app.test_client(), "/masuk", {"username": "admin", "password": PASSWORD}),
    ]
    for who, path, data in posts:
        text = readable_page(who.post(path, data={**data, **extra}), 400)
        assert "formulir kedaluwarsa" in text.lower()
    assert count_rows() == before
    assert browser.get("/tugas").status_code == 200  # still logged in: the forged logout did nothing


def test_a_cookie_session_cannot_change_data_through_the_api_with_a_plain_form(app: Flask, people: Users) -> None:
    """A cross-site HTML form carries the session cookie but cannot send JSON: refused with 415."""
    target = new_proposal(app.test_client(), people)
    browser, _ = web_session(app, "rw02")
    before = count_rows()
    answer = browser.post(f"/api/v1/tasks/{target.task_id}/claim", data={"x": "1"})
    refused(answer, 415, "unsupported_media_type")
    answer = browser.post(f"/api/v1/tasks/{target.task_id}/complete", data={"data": "x"},
                          content_type="text/plain")
    refused(answer, 415, "unsupported_media_type")
    assert count_rows() == before


# -- tokens ------------------------------------------------------------------------------------------------------


def test_revoked_unknown_and_deactivated_tokens_are_401(app: Flask, people: Users) -> None:
    client = api(app)
    headers = people.headers("admin")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    for bad in (headers, {"Authorization": "Bearer " + "x" * 43}, {"Authorization": "Bearer "},
                {"Authorization": "Basic YWRtaW46YWx1cg=="}, {"Authorization": "Bearer ' OR '1'='1"},
                {"Authorization": "Bearer " + "a" * 10_000}):
        refused(client.get("/api/v1/auth/me", headers=bad), 401, "unauthorized")
        refused(client.post("/api/v1/admin/instances/1/cancel", json={"reason": "abc"}, headers=bad), 401)
    kepala = people.headers("kepala")
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "kepala").values(active=False))
        db.session.commit()
    refused(client.get("/api/v1/tasks", headers=kepala), 401, "unauthorized")


def test_an_expired_token_is_401_token_expired_and_acts_on_nothing(app: Flask, people: Users, clock) -> None:
    client = api(app)
    app.config["ALUR_TOKEN_TTL_HOURS"] = 12
    login = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    target = new_proposal(app.test_client(), people)
    clock.advance(hours=12)
    before = count_rows()

    refused(client.get("/api/v1/auth/me", headers=headers), 401, "token_expired")
    refused(client.post(f"/api/v1/admin/instances/{target.instance_id}/cancel", json={"reason": "abc"},
                        headers=headers), 401, "token_expired")
    refused(client.delete(f"/api/v1/auth/tokens/{login['token_id']}", headers=headers), 401, "token_expired")
    assert count_rows() == before


def test_a_web_session_past_its_lifetime_is_logged_out(app: Flask, people: Users, clock) -> None:
    app.config["ALUR_TOKEN_TTL_HOURS"] = 12
    browser, _ = web_session(app, "rw02")
    assert browser.get("/tugas").status_code == 200
    clock.advance(hours=12)

    answer = browser.get("/tugas")

    assert answer.status_code == 302 and "/masuk" in answer.headers["Location"]


def test_a_web_session_whose_token_was_revoked_is_logged_out(app: Flask, people: Users) -> None:
    browser, _ = web_session(app, "rw02")
    tokens = api(app).get("/api/v1/auth/tokens", headers=people.headers("rw02")).get_json()["items"]
    web_token = next(t["id"] for t in tokens if t["label"] == "web")
    assert api(app).delete(f"/api/v1/auth/tokens/{web_token}", headers=people.headers("rw02")).status_code == 200
    answer = browser.get("/tugas")
    assert answer.status_code == 302 and "/masuk" in answer.headers["Location"]


# -- script injection, escaped on output -------------------------------------------------------------------------


def _no_live_markup(text: str) -> None:
    assert SCRIPT not in text and "<img src=x" not in text
    assert "onerror=alert(1)>" not in text.replace("&gt;", "")


def test_script_in_form_values_is_escaped_on_every_page_that_shows_it(app: Flask, people: Users) -> None:
    client = app.test_client()
    answer = client.post("/api/v1/processes/uji_usulan/instances", headers=people.headers("rt1"),
                         json={"data": {"judul": f"{SCRIPT}{IMG}", "wilayah": RT001}})
    assert answer.status_code == 201
    instance = answer.get_json()
    code = new_report(client, {"judul": f"Laporan {SCRIPT}", "isi": IMG, "wilayah": "33.13.05.2001",
                               "nama": IMG, "email": "a@example.org"})
    task = next(t for t in client.get("/api/v1/tasks", headers=people.headers("rw02")).get_json()["items"]
                if t["instance_id"] == instance["id"])
    rw, _ = web_session(app, "rw02")
    admin, _ = web_session(app, "admin")
    public, _ = web_session(app, None)
    pages = [
        (rw, f"/tugas/{task['id']}"), (rw, "/tugas"), (admin, f"/admin/instance/{instance['id']}"),
        (admin, "/admin/instance"), (admin, "/rekap?proses=uji_usulan"), (admin, "/rekap?proses=uji_lapor"),
        (public, f"/lacak?kode={code}"), (public, f"/lacak?kode={SCRIPT}"), (admin, f"/admin/instance?kode={IMG}"),
        (rw, f"/tugas?proses={IMG}"), (public, f"/masuk?next={IMG}"),
    ]
    for who, path in pages:
        answer = who.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        text = answer.get_data(as_text=True)
        _no_live_markup(text)
    shown = rw.get(f"/tugas/{task['id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown  # shown as text, not dropped


def test_script_in_a_refused_web_form_is_escaped_when_the_form_comes_back(app: Flask, people: Users) -> None:
    public, token = web_session(app, None)
    answer = public.post("/publik/uji_lapor", data={"judul": IMG, "isi": SCRIPT, "wilayah": "99", "csrf_token": token})
    _no_live_markup(readable_page(answer, 422))
    browser, _ = web_session(app, None)
    answer = browser.post("/masuk", data={"username": IMG, "password": "x", "csrf_token": web_session(app, None)[1]})
    assert answer.status_code == 400  # another session's token


def test_formula_injection_in_recap_exports_is_written_as_text(app: Flask, people: Users) -> None:
    dangerous = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    client = app.test_client()
    for title in dangerous:
        answer = client.post("/api/v1/processes/uji_usulan/instances", headers=people.headers("rt1"),
                             json={"data": {"judul": title, "wilayah": RT001}})
        assert answer.status_code == 201, answer.get_json()
    admin, _ = web_session(app, "admin")
    rows = list(csv.reader(io.StringIO(admin.get("/rekap.csv?proses=uji_usulan").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    titles = [row[1] for row in rows[1:]]
    assert len(titles) == len(dangerous)
    assert all(t.startswith("'") for t in titles), titles
    book = load_workbook(io.BytesIO(admin.get("/rekap.xlsx?proses=uji_usulan").get_data()))
    cells = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(c, str) and c.startswith("'") for c in cells), cells
    # no cell is a formula: text is text, and a moment is a real date cell (so it sorts), never text to evaluate
    assert {cell.data_type for row in book.active.iter_rows(min_row=2) for cell in row if cell.value} <= {"s", "d", "n"}
