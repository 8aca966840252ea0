"""Schemathesis against the app's own OpenAPI document, in-process (WSGI, no network).

For every operation and for each kind of caller (anonymous, a task role with a kecamatan prefix, an admin,
a process analyst): no answer is a 5xx, and every answer has a documented status code, a documented
content type and a body matching the documented schema. Half of the examples aim at ids that exist
(a task, an instance, a tracking code, a version), so the checks also see real 200s, 403s and 409s.

Bounded and deterministic: a fixed number of examples per operation, derandomized, no shrinking.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error, positive_data_acceptance
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import issue_token
from api.db import db
from api.models import User
from tests.api.conftest import RT001, Users
from tests.security.conftest import new_proposal, new_report

EXAMPLES_PER_OPERATION = 25

# What the server checks that no JSON Schema in the document can state, operation by operation: the error
# code it answers and the fields such a refusal may name ("" prefix: any field). The document's 422 of each
# says so (FORM_CHECKED in api.schemas; DEPLOY_CHECKED, REFERENCES_CHECKED and CSV_CHECKED in the schema
# modules beside their routes). A well-formed request refused for anything else (a field the document
# constrains, a code not listed here) is valid input rejected.
CHECKED_BEYOND_THE_DOCUMENT: dict[str, tuple[str, tuple[str, ...]]] = {
    # `data` against the form of the process or step, a different JSON Schema for each (OpenAPI 3.0 cannot
    # constrain the keys of a free object either: a NUL in a key, at any depth, is named as `data....key`)
    "POST /api/v1/processes/{process_id}/instances": ("form_invalid", ("",)),
    "POST /api/v1/public/processes/{process_id}/instances": ("form_invalid", ("",)),
    "POST /api/v1/tasks/{task_id}/complete": ("form_invalid", ("",)),
    "POST /api/v1/admin/instances/{instance_id}/retry": ("invalid_input", ("data",)),
    # the uploaded diagrams and forms, linted with the current versions
    "POST /api/v1/deploy": ("deploy_refused", ("",)),
    # rows naming what must exist already (a parent, a role, a unit), a new user's password
    "POST /api/v1/organization/units": ("invalid_input", ("parent", "region")),
    "POST /api/v1/organization/regions": ("invalid_input", ("parent", "code", "level")),
    "POST /api/v1/organization/users": ("invalid_input", ("password", "email", "grants.")),
    # a period whose end comes before its start (two query parameters compared)
    "GET /api/v1/admin/instances": ("invalid_input", ("started_to",)),
    # the CSV of each kind: its header and every row
    "PUT /api/v1/organization/{kind}.csv": ("invalid_input", ("baris",)),
}


FORM_DATA = {label for label, (code, _) in CHECKED_BEYOND_THE_DOCUMENT.items() if code == "form_invalid"}


def refused_for_what_the_document_cannot_state(case: schemathesis.Case, response: Any) -> bool:
    expected = CHECKED_BEYOND_THE_DOCUMENT.get(case.operation.label)
    if expected is None or response.status_code != 422:
        return False
    body = response.json()
    code, prefixes = expected
    if body["code"] == "invalid_input" and case.operation.label in FORM_DATA:
        code, prefixes = "invalid_input", ("data",)  # a NUL in `data`, in a key or a value
    named = [problem["field"] for problem in body.get("fields") or []]
    return body["code"] == code and bool(named) and all(f.startswith(prefixes) for f in named)


def valid_input_accepted(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """Schemathesis's positive-data check ("valid input rejected"), less the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if refused_for_what_the_document_cannot_state(case, response):
            return None
        raise


CHECKS = [not_a_server_error, valid_input_accepted, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MIN_SUCCEEDED = {"anonim": 3, "ketua_rw": 8, "operator_kecamatan": 8, "petugas": 8, "pemantau": 12, "admin": 15,
                 "analis_proses": 12}
# Every kind of caller the API tells apart: none, a lane role at RW and at kecamatan level, the desk that sees
# reporters' identities, the read-only viewer, the analyst, the admin.
FUZZ_ROLES = {"anonim": None, "ketua_rw": "rw02", "operator_kecamatan": "kec05", "petugas": "petugas",
              "pemantau": "pemantau", "admin": "admin", "analis_proses": "analis_proses"}


def bearer(app: Flask, username: str | None) -> dict[str, str]:
    """A fresh token per example: a fuzzed logout or token revocation must not end the run's login."""
    if username is None:
        return {}
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one()
        _token, raw = issue_token(user, "fuzz")
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def known_ids(app: Flask, client: FlaskClient, people: Users) -> dict[str, Any]:
    """Path parameters that exist: a proposal at its RW step, one at the kecamatan step, a public report."""
    first = new_proposal(client, people)
    second = new_proposal(client, people, "Usulan kedua")
    answer = client.post(f"/api/v1/tasks/{second.task_id}/complete", json={"data": {"setuju": True}},
                         headers=people.headers("rw02"))
    assert answer.status_code == 200, answer.get_json()
    [kec_task] = answer.get_json()["next_tasks"] or [
        t for t in client.get("/api/v1/tasks", headers=people.headers("kec05")).get_json()["items"]
        if t["instance_id"] == second.instance_id
    ]
    code = new_report(client)
    token_id = client.post("/api/v1/auth/login", json={"username": "admin", "password": "rahasia-uji"}).get_json()
    return {
        "process_id": "uji_usulan", "number": 1, "instance_id": first.instance_id, "task_id": kec_task["id"],
        "code": code, "token_id": token_id["token_id"], "message_id": 1, "kind": "roles", "key": "Ketua RW Uji",
    }


@pytest.mark.parametrize("role", list(FUZZ_ROLES))
def test_every_operation_answers_as_its_openapi_document_says(
    app: Flask, client: FlaskClient, people: Users, role: str
) -> None:
    known = known_ids(app, client, people)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    started = time.monotonic()
    for operation in operations:
        strategy = operation.as_strategy()
        names = [p.name for p in operation.path_parameters]
        if names:
            existing = {n: known[n] for n in names}
            if operation.path.startswith("/api/v1/public/") and "process_id" in existing:
                existing["process_id"] = "uji_lapor"  # the process the public may start
            strategy = st.one_of(strategy, operation.as_strategy(path_parameters=existing))

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def answers_as_documented(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=bearer(app, FUZZ_ROLES[role]), checks=CHECKS)
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
    # The run reached the operations: every one answered, and with ids that exist some succeeded.
    assert set(seen) == {operation.label for operation in operations}
    succeeded = sorted(label for label, codes in seen.items() if any(200 <= c < 300 for c in codes))
    print(role, {label: sorted(codes) for label, codes in seen.items()})
    assert len(succeeded) >= MIN_SUCCEEDED[role], succeeded
    assert time.monotonic() - started < 120, "the fuzz run must stay bounded"


# -- every documented error code is real ----------------------------------------------------------------------

MISSING = {"process_id": "tidak_ada", "number": 99, "instance_id": 999_999, "task_id": "tidak-ada",
           "code": "TIDAKADA", "token_id": 999_999, "message_id": 999_999, "kind": "tidak_ada", "key": "tidak-ada"}
VALID_BODY = {
    "/api/v1/auth/login": {"username": "admin", "password": "rahasia-uji"},
    "/api/v1/processes/{process_id}/instances": {"data": {"judul": "Usulan", "wilayah": "33.13.05.2001/RW02/RT001"}},
    "/api/v1/tasks/{task_id}/complete": {"data": {"setuju": True}},
    "/api/v1/admin/instances/{instance_id}/suspend": {"reason": "uji"},
    "/api/v1/admin/instances/{instance_id}/cancel": {"reason": "uji"},
    "/api/v1/admin/instances/{instance_id}/retry": {},
    "/api/v1/public/processes/{process_id}/instances": {"data": {"judul": "Lampu mati", "isi": "a",
                                                                  "wilayah": "33.13.05.2001"}},
    "/api/v1/deploy": {"files": {}},
    "/api/v1/migrations/dry-run": {"process_id": "uji_usulan"},
    "/api/v1/migrations": {"process_id": "uji_usulan"},
    "/api/v1/organization/roles": {"name": "Peran Saksi"},
    "/api/v1/organization/units": {"code": "saksi", "name": "Unit saksi", "kind": "opd"},
    "/api/v1/organization/regions": {"code": "98", "name": "Provinsi saksi", "level": "provinsi"},
    "/api/v1/organization/users": {"username": "saksi", "password": "rahasia-saksi"},
}
INVALID_QUERY = {"/api/v1/tasks": {"page": 0}, "/api/v1/admin/instances": {"per_page": 0},
                 "/api/v1/admin/outbox": {"status": "x"}, "/api/v1/public/regions": {"parent": "3" * 101},
                 "/api/v1/processes/{process_id}/diff": {"from": 0}}
# Requests that would leave no active Admin of every region: `admin` is the only one.
LAST_ADMIN_LEAVES = {
    "/api/v1/organization/users": ("/api/v1/organization/users", {"json": {"username": "admin", "active": False}}),
    "/api/v1/organization/{kind}.csv": ("/api/v1/organization/users.csv",
                                        {"data": b"username,aktif\nadmin,tidak\n", "content_type": "text/csv"}),
}
# Who gets 403 on each operation that documents it; who calls when the code is not about the caller.
FORBIDDEN = {"/api/v1/processes/{process_id}/instances": "orang_lain"}
CALLER = {"/api/v1/tasks/{task_id}": "rw02", "/api/v1/tasks/{task_id}/claim": "rw02",
          "/api/v1/tasks/{task_id}/unclaim": "rw02", "/api/v1/tasks/{task_id}/complete": "rw02",
          "/api/v1/processes/{process_id}/instances": "rt1"}


class Witness:
    """Builds, for one operation and one documented error code, a request that really gets that code."""

    def __init__(self, app: Flask, client: FlaskClient, people: Users) -> None:
        self.app, self.client, self.people = app, client, people

    def fresh(self) -> dict[str, Any]:
        proposal = new_proposal(self.client, self.people)
        return {"process_id": "uji_usulan", "number": 1, "instance_id": proposal.instance_id,
                "task_id": proposal.task_id, "code": proposal.tracking_code, "message_id": self.message(),
                "token_id": 999_999, "kind": "roles", "key": "Ketua RW Uji"}  # a lane with a task waiting: in use

    def message(self) -> int:
        """An outbox message with no recipient (a report without e-mail, verified): not retryable."""
        code = new_report(self.client, {"judul": "Tanpa surel", "isi": "a", "wilayah": "33.13.05.2001"})
        tasks = self.client.get("/api/v1/tasks", headers=self.people.headers("petugas")).get_json()["items"]
        for task in tasks:
            self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "sudah dicek"}},
                             headers=self.people.headers("petugas"))
        outbox = self.client.get("/api/v1/admin/outbox", headers=self.people.headers("admin")).get_json()["items"]
        assert outbox, code
        return outbox[0]["id"]

    def call(self, method: str, path: str, status: int) -> int:
        ids = MISSING if status == 404 else self.fresh()
        if path.startswith("/api/v1/public/processes/") and status != 404:
            ids = {**ids, "process_id": "uji_lapor"}
        url = path.format(**ids)
        body = VALID_BODY.get(path)
        query: dict[str, Any] = {}
        who = CALLER.get(path, "admin")
        api = self.app.test_client(use_cookies=False)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        if status == 401:
            who = None
            if path == "/api/v1/auth/login":
                kwargs = {"json": {"username": "admin", "password": "salah"}}
        elif status == 403:
            who = FORBIDDEN.get(path, "orang_lain" if "/admin/" not in path else "pemantau")
            if "/admin/" in path and method == "GET":
                who = "orang_lain"
        elif status == 404 and path.startswith("/api/v1/migrations"):
            kwargs = {"json": {"process_id": "tidak_ada"}}
        elif status == 400:
            kwargs = {"data": b'{"data": ', "content_type": "application/json"}
        elif status == 413:
            kwargs = {"json": {"data": {"x": "x" * 2_000_000}, "reason": "x" * 2_000_000}}
            if path == "/api/v1/deploy":
                self.app.config["ALUR_DEPLOY_MAX_BYTES"] = 1_000_000
        elif status == 415:
            api = self.app.test_client()
            api.set_cookie("session", "x")
            kwargs = {"data": {"x": "1"}}
            who = None
        elif status == 422:
            if method == "GET":
                query = INVALID_QUERY[path]
            else:
                kwargs = {"json": {"data": []} if "data" in (body or {}) else {"reason": 1, "process_id": 1,
                                                                                "username": 1, "files": 1}}
        elif status == 409:
            self.conflict(path, ids)
            url, kwargs = LAST_ADMIN_LEAVES.get(path, (url, kwargs))
            if path == "/api/v1/processes/{process_id}/instances":  # this RT's register is already kept
                url, kwargs = self.kept_once()
        elif status == 429 and path == "/api/v1/auth/login":  # the account guessed at past its free failures
            for _ in range(self.app.config["ALUR_LOGIN_FREE_FAILURES"] + 1):
                api.post(path, json={"username": "admin", "password": "salah"})
        elif status == 429:
            self.app.config["ALUR_PUBLIC_LIMIT"] = 0
        headers = bearer(self.app, who) if who else {}
        try:
            return api.open(url, method=method, query_string=query, headers=headers, **kwargs).status_code
        finally:
            self.app.config["ALUR_PUBLIC_LIMIT"] = 10_000
            self.app.config["ALUR_DEPLOY_MAX_BYTES"] = 8_000_000

    def kept_once(self) -> tuple[str, dict[str, Any]]:
        """A start of a process whose start is unique per RT (`uniqueStart`), once done: the same again repeats it."""
        url, body = "/api/v1/processes/uji_sekali/instances", {"data": {"judul": "Catatan", "wilayah": RT001}}
        first = self.client.post(url, json=body, headers=self.people.headers("rt1"))
        assert first.status_code in (201, 409), first.get_json()  # 409: an earlier witness kept it already
        return url, {"json": body}

    def conflict(self, path: str, ids: dict[str, Any]) -> None:
        """Put the target in a state where the request conflicts with it."""
        if path.startswith("/api/v1/tasks/"):  # someone else in the same lane took the task
            self.people.add("rw02_b", ("Ketua RW Uji", "33.13.05.2001/RW02"))
            taken = self.client.post(f"/api/v1/tasks/{ids['task_id']}/claim", headers=self.people.headers("rw02_b"))
            assert taken.status_code == 200
            CALLER[path] = "rw02"
        elif path.endswith(("/suspend", "/cancel")):  # already cancelled
            url = f"/api/v1/admin/instances/{ids['instance_id']}/cancel"
            assert self.client.post(url, json={"reason": "sudah"}, headers=self.people.headers("admin")).status_code == 200


def test_every_documented_error_code_really_occurs(app: Flask, client: FlaskClient, people: Users) -> None:
    document = app.test_client().get("/api/openapi.json").get_json()
    witness = Witness(app, client, people)
    wrong = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for code in sorted(int(c) for c in operation["responses"] if c.startswith("4")):
                got = witness.call(method.upper(), path, code)
                if got != code:
                    wrong.append(f"{method.upper()} {path}: documents {code}, the witness got {got}")
    assert not wrong, "\n".join(wrong)
