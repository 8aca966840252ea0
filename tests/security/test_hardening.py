"""Hardening against an attacker's requests: over-deep JSON, guessed passwords, probing before logging in,
wrong methods, and a retried start that must not create a second case."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from tests.api.conftest import Users
from tests.security.conftest import count_rows
from tests.security.test_hostile_input import api, readable_page, refused

DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("post", "/api/v1/auth/login", None),
        ("post", "/api/v1/processes/uji_usulan/instances", "rt1"),
        ("post", "/api/v1/public/processes/uji_lapor/instances", None),
        ("post", "/api/v1/deploy", "analis_proses"),
    ],
)
def test_a_json_body_nested_10000_deep_is_a_400_naming_the_problem(app: Flask, people: Users, method, path, auth):
    before = count_rows()
    headers = people.headers(auth) if auth else {}
    answer = getattr(api(app), method)(path, data=f'{{"data": {DEEP}}}', content_type="application/json",
                                       headers=headers)
    body = refused(answer, 400, "json_too_deep")
    assert "bersarang terlalu dalam" in body["message"] and "64" in body["message"]
    assert count_rows() == before


def test_a_page_given_an_over_deep_json_body_answers_a_readable_400(app: Flask, people: Users):
    answer = app.test_client().post("/masuk", data=DEEP, content_type="application/json")
    assert "bersarang terlalu dalam" in readable_page(answer, 400)


def test_nesting_within_the_limit_and_brackets_inside_texts_pass_the_depth_check(app: Flask, people: Users):
    data = {"judul": "[[[[" * 100 + "{{{{" * 100, "wilayah": "33.13.05.2001/RW02/RT001"}
    answer = api(app).post("/api/v1/processes/uji_usulan/instances", json={"data": data},
                           headers=people.headers("rt1"))
    assert answer.status_code == 201, answer.get_json()


def test_a_deep_body_of_unknown_length_is_a_400_too(app: Flask, people: Users):
    answer = api(app).post("/api/v1/auth/login", input_stream=io.BytesIO(DEEP.encode()), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    refused(answer, 400, "json_too_deep")


def test_a_deploy_body_over_the_global_limit_is_depth_checked_by_the_deploy_route(app: Flask, people: Users):
    body = '{"files": {"a.bpmn": "' + " " * 1_100_000 + '"}, "x": ' + DEEP + "}"
    answer = api(app).post("/api/v1/deploy", data=body, content_type="application/json",
                           headers=people.headers("analis_proses"))
    refused(answer, 400, "json_too_deep")


# -- who the caller is comes before what the body says ------------------------------------------------------

BAD_BODY = {"data": [], "reason": 1, "process_id": 1, "files": 1, "status": "x"}
BAD_QUERY = {"page": 0, "per_page": 0, "status": "x", "from": 0}


def validated_operations(app: Flask) -> list[tuple[str, str]]:
    """Every operation with a body or query the server validates, with its path filled with ids that exist."""
    document = app.test_client().get("/api/openapi.json").get_json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters" or path.startswith(("/api/v1/public/", "/api/v1/auth/login")):
                continue
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                url = (path.replace("{process_id}", "uji_usulan").replace("{number}", "1")
                       .replace("{instance_id}", "1").replace("{task_id}", "x").replace("{message_id}", "1")
                       .replace("{token_id}", "1").replace("{code}", "X"))
                found.append((method, url))
    return found


def test_an_anonymous_caller_with_a_bad_body_gets_401_never_the_form_fields(app: Flask, people: Users):
    operations = validated_operations(app)
    assert len(operations) >= 10
    for method, url in operations:
        answer = api(app).open(url, method=method.upper(), json=BAD_BODY, query_string=BAD_QUERY)
        body = refused(answer, 401, "unauthorized")
        assert "fields" not in body, (method, url)


@pytest.mark.parametrize(
    ("method", "url", "who"),
    [
        ("post", "/api/v1/admin/instances/1/suspend", "orang_lain"),
        ("post", "/api/v1/admin/instances/1/cancel", "pemantau"),
        ("get", "/api/v1/admin/outbox", "pemantau"),
        ("get", "/api/v1/admin/instances", "orang_lain"),
        ("post", "/api/v1/deploy", "rt1"),
        ("post", "/api/v1/migrations", "rt1"),
        ("get", "/api/v1/processes/uji_usulan/diff", "rt1"),
        ("post", "/api/v1/processes/uji_usulan/instances", "orang_lain"),
    ],
)
def test_a_caller_without_the_role_and_a_bad_body_gets_403_never_the_form_fields(app: Flask, people: Users,
                                                                                method, url, who):
    answer = api(app).open(url, method=method.upper(), json=BAD_BODY, query_string=BAD_QUERY,
                           headers=people.headers(who))
    assert "fields" not in refused(answer, 403, "forbidden")


@pytest.mark.parametrize(("method", "url"), [("delete", "/api/v1/tasks"), ("put", "/api/v1/auth/login"),
                                             ("patch", "/api/v1/public/processes")])
def test_a_wrong_method_is_405_with_an_allow_header(app: Flask, method, url):
    answer = api(app).open(url, method=method.upper())
    refused(answer, 405)
    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
    assert allowed and method.upper() not in allowed
    assert "OPTIONS" in allowed


def test_a_page_with_a_wrong_method_is_405_with_an_allow_header_too(app: Flask):
    answer = app.test_client().delete("/masuk")
    assert answer.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["Allow"].split(",")}
    assert answer.mimetype == "text/html"  # a page's refusal is the HTML error page, as every page's is
