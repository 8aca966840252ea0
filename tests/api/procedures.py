"""Helpers for walking the real procedures (processes/, forms/) over HTTP as their role users."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_PROJECT = (ROOT / "processes", ROOT / "forms")


def do(client, users, who: str, name: str, data: dict, clock=None, when=None) -> dict:
    """`who` finds task `name` in their inbox and completes it with `data`."""
    if clock is not None and when is not None:
        clock.set(when)
    items = client.get("/api/v1/tasks", query_string={"per_page": 200}, headers=users.headers(who)).get_json()["items"]
    matching = [t for t in items if t["name"] == name]
    assert matching, f"{who} does not see {name}; sees {[t['name'] for t in items]}"
    answer = client.post(f"/api/v1/tasks/{matching[0]['id']}/complete", json={"data": data},
                         headers=users.headers(who))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def names(client, users, who: str) -> list[str]:
    items = client.get("/api/v1/tasks", headers=users.headers(who)).get_json()["items"]
    return [t["name"] for t in items]
