"""Two people completing the same task at the same moment, over real HTTP: one wins, one gets 409."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from api.db import db
from api.models import AuditEvent, PendingTask
from tests.api.conftest import only_task, start_report


@pytest.fixture
def server(app) -> Iterator[str]:
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


def post(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.parametrize("round_", range(3))
def test_exactly_one_of_two_simultaneous_completions_succeeds(app, client, users, server, round_):
    users.add("petugas2", ("Petugas Uji", "33.13"))
    start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    tokens = [users.headers(name)["Authorization"].split()[1] for name in ("petugas", "petugas2")]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def complete(token: str) -> None:
        barrier.wait()
        results.append(post(f"{server}/api/v1/tasks/{task['id']}/complete", token, {"data": {"catatan": "oke"}}))

    threads = [threading.Thread(target=complete, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [200, 409]
    with app.app_context():
        completed = db.session.execute(
            db.select(db.func.count()).select_from(AuditEvent).filter_by(kind="task_completed")).scalar()
        assert completed == 1
        assert list(db.session.execute(db.select(PendingTask.name)).scalars()) == ["tanggapi"]
