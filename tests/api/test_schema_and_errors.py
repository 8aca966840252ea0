"""The migrations build the models' schema; errors are JSON; the API is documented."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api import errors
from api.db import db
from tests.api.conftest import make_app, start_report


def test_the_migrations_produce_the_same_schema_as_the_models(app):
    """The test database was built by `flask db upgrade`; the models must find nothing to change."""
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_given_regions_stored_before_zones_were_data_when_migrated_then_their_provinces_keep_their_zone(app):
    """0015 moves the province-number rule the code used into the rows: an upgraded office sees no moment move."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="0014_inbox_speed")
        db.session.execute(text("INSERT INTO regions (code, name, level, parent) VALUES "
                                "('63', 'Kalimantan Selatan', 'provinsi', NULL), "
                                "('63.10', 'Kabupaten Tanah Bumbu', 'kabupaten', '63'), "
                                "('94', 'Papua', 'provinsi', NULL), ('33', 'Jawa Tengah', 'provinsi', NULL)"))
        db.session.commit()
        upgrade(directory=directory)
        zones = dict(db.session.execute(text("SELECT code, time_zone FROM regions")).all())
        db.session.execute(text("DELETE FROM regions"))
        db.session.commit()
    assert zones == {"63": "Asia/Makassar", "63.10": None, "94": "Asia/Jayapura", "33": None}


def test_the_openapi_document_and_its_page(client):
    document = client.get("/api/openapi.json").get_json()

    assert "/api/v1/tasks/{task_id}/complete" in document["paths"]
    assert "/api/v1/public/track/{code}" in document["paths"]
    assert client.get("/api/docs").status_code == 200


# Words of English (and of the code) that no Indonesian description needs; `code` spans and field names aside.
DOCUMENT_ENGLISH = {"ok", "created", "the", "and", "or", "of", "to", "is", "a", "an", "with", "for", "when", "nothing",
                    "changed", "dry", "run", "instance", "instances", "lane", "lanes", "lint", "pending", "running",
                    "cancelled", "error", "list", "returns", "success", "successful", "response", "default", "filter"}
OPERATIONS = ("get", "post", "put", "patch", "delete")


def _english_words(text: str) -> set[str]:
    prose = re.sub(r"`[^`]*`|\([a-z_]+\)", " ", text)  # `dry_run`, (create_roles): names the client types
    return {w for w in re.findall(r"[A-Za-z]+", prose) if w.lower() in DOCUMENT_ENGLISH}


def test_given_the_openapi_document_then_every_operation_has_a_summary_and_every_text_is_indonesian(client):
    document = client.get("/api/openapi.json").get_json()
    texts: list[tuple[str, str]] = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("summary", "description") and isinstance(value, str):
                    texts.append((f"{where}/{key}", value))
                else:
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(document, "")
    operations = [(f"{method.upper()} {path}", op) for path, item in document["paths"].items()
                  for method, op in item.items() if method in OPERATIONS]

    assert len(operations) > 30
    assert [name for name, op in operations if not op.get("summary", "").strip()] == []
    assert [(name, code) for name, op in operations for code, answer in op["responses"].items()
            if not answer.get("description", "").strip()] == []
    assert [(where, text, sorted(words)) for where, text in texts if (words := _english_words(text))] == []


def test_an_app_made_after_another_serves_the_same_document_and_other_settings_get_their_own(app, client):
    """Apps of one process share the OpenAPI document only when the settings it is made from match."""
    later = make_app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["ALUR_PROCESSES_DIR"],
                     app.config["ALUR_FORMS_DIR"])
    renamed = make_app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["ALUR_PROCESSES_DIR"],
                       app.config["ALUR_FORMS_DIR"], API_TITLE="Alur API uji")

    document = client.get("/api/openapi.json").get_json()
    assert later.test_client().get("/api/openapi.json").get_json() == document
    other = renamed.test_client().get("/api/openapi.json").get_json()
    assert other["info"]["title"] == "Alur API uji" and document["info"]["title"] == "Alur API"
    assert other["paths"] == document["paths"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_unknown_addresses_and_methods_answer_json(client):
    missing = client.get("/api/v1/tidak-ada")
    wrong_method = client.delete("/api/v1/public/processes")

    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.get_json()["code"] == "method_not_allowed"


def test_a_server_fault_is_json_without_a_stack_trace(app, client, users, monkeypatch):
    from api.services import versions

    monkeypatch.setattr(versions.Runtime, "process_ids", lambda self: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    answer = client.get("/api/v1/public/processes")

    assert answer.status_code == 500
    assert answer.get_json() == {"code": "internal_error",
                                 "message": "terjadi kesalahan pada server; coba lagi atau hubungi admin"}


def test_malformed_json_is_a_json_error(client, users):
    answer = client.post("/api/v1/auth/login", data="{", content_type="application/json")

    assert answer.status_code in (400, 422) and "code" in answer.get_json()


# -- refusals name the field and say why, in Indonesian -----------------------------------------------------

ENGLISH = {"must", "not", "valid", "length", "shorter", "longer", "invalid", "missing", "unknown", "field", "number",
           "string", "choices", "type", "value", "input", "equal", "between", "than", "large", "null", "data"}
BAD_VALUES = [None, "", "x" * 3000, "bukan", -1, 0, 10**12, 2.5, True, [], ["x"], {}, {"\x00": 1}, {"x": "\x00"}]


def _messages(errors, out: list[str]) -> list[str]:
    if isinstance(errors, dict):
        for value in errors.values():
            _messages(value, out)
    elif isinstance(errors, list):
        for value in errors:
            _messages(value, out)
    else:
        out.append(str(errors))
    return out


def english_words(message: str) -> set[str]:
    text = message.split(":", 1)[0]  # after a colon come the allowed values, which are ids
    return set(re.findall(r"[a-z]+", text.lower())) & ENGLISH


def test_given_any_bad_value_in_any_request_schema_then_every_message_is_indonesian(app):
    schemas = {p["schema"] for fn in app.view_functions.values()
               for p in getattr(fn, "_apidoc", {}).get("arguments", {}).get("parameters", [])}
    assert len(schemas) >= 10  # the routes' schemas were found

    untranslated = set()
    for schema_class in schemas:
        schema = schema_class()
        attempts = [{}, {"tidak_dikenal": 1}, []]
        attempts += [{field.data_key or name: value} for name, field in schema.fields.items() for value in BAD_VALUES]
        for attempt in attempts:
            for message in _messages(schema.validate(attempt), []):
                if english_words(errors.translate(message)):
                    untranslated.add((schema_class.__name__, message))
    assert untranslated == set()


def test_given_per_page_0_then_422_names_the_field_with_its_range(client, users):
    answer = client.get("/api/v1/tasks", query_string={"per_page": 0}, headers=users.headers("petugas"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "per_page", "message": "harus antara 1 dan 200"}]


def test_given_a_too_short_cancel_reason_then_422_says_how_long_it_must_be(client, users):
    started = start_report(client, users)

    answer = client.post(f"/api/v1/admin/instances/{started['id']}/cancel", json={"reason": "ab"},
                         headers=users.headers("admin"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "reason", "message": "panjang harus antara 3 dan 1000 karakter"}]


def test_given_an_unknown_outbox_status_then_422_lists_the_allowed_ones(client, users):
    answer = client.get("/api/v1/admin/outbox", query_string={"status": "terkirim"}, headers=users.headers("admin"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "status", "message": "harus salah satu dari: pending, sent, failed, no_recipient"}]
