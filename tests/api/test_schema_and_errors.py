"""The migrations build the models' schema; errors are JSON; the API is documented."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.db import db


def test_the_migrations_produce_the_same_schema_as_the_models(app):
    """The test database was built by `flask db upgrade`; the models must find nothing to change."""
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_openapi_document_and_its_page(client):
    document = client.get("/api/openapi.json").get_json()

    assert "/api/v1/tasks/{task_id}/complete" in document["paths"]
    assert "/api/v1/public/track/{code}" in document["paths"]
    assert client.get("/api/docs").status_code == 200


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
