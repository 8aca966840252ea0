"""Admins see and act on instances within their prefix; report viewers only read."""

from __future__ import annotations

from tests.api.conftest import REPORT, inbox, only_task, start_report


def complete(client, users, who: str, name: str, data: dict):
    task = only_task(client, users, who, name)
    return client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=users.headers(who))


def instances(client, users, who: str = "admin", **params) -> list[dict]:
    answer = client.get("/api/v1/admin/instances", query_string=params, headers=users.headers(who))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_admins_list_and_filter_instances(client, users, clock):
    start_report(client, users, {**REPORT, "wilayah": "33.13.05"})
    clock.advance(days=10)
    start_report(client, users, {**REPORT, "wilayah": "33.13.11"})

    assert len(instances(client, users)) == 2
    assert [i["region"] for i in instances(client, users, region="33.13.11")] == ["33.13.11"]
    assert [i["region"] for i in instances(client, users, late="true")] == ["33.13.05"]
    assert len(instances(client, users, started_from="2026-03-20T00:00:00+07:00")) == 1
    assert len(instances(client, users, process="uji_usulan")) == 0
    assert len(instances(client, users, status="running")) == 2


def test_given_an_unknown_status_or_a_period_ending_before_it_starts_then_the_list_is_refused_naming_it(
        client, users):
    start_report(client, users)

    def refused(**params) -> list[dict]:
        answer = client.get("/api/v1/admin/instances", query_string=params, headers=users.headers("admin"))
        assert answer.status_code == 422, answer.get_json()
        return answer.get_json()["fields"]

    [status] = refused(status="xyz")
    assert status["field"] == "status"
    assert status["message"] == "harus salah satu dari: running, waiting, error, complete, suspended, cancelled"
    [period] = refused(started_from="2026-03-20T00:00:00+07:00", started_to="2026-03-01T00:00:00+07:00")
    assert period == {"field": "started_to", "message": "harus sesudah started_from"}
    assert len(instances(client, users, status="running")) == 1


def test_an_admin_limited_to_a_region_sees_only_that_region(client, users):
    start_report(client, users, {**REPORT, "wilayah": "33.13.05"})
    other = start_report(client, users, {**REPORT, "wilayah": "33.13.11"})
    users.add("admin_kec", ("Admin", "33.13.05"))

    assert [i["region"] for i in instances(client, users, "admin_kec")] == ["33.13.05"]
    answer = client.get(f"/api/v1/admin/instances/{other['id']}", headers=users.headers("admin_kec"))
    assert answer.status_code == 404


def test_staff_without_admin_or_viewer_role_are_refused(client, users):
    assert client.get("/api/v1/admin/instances", headers=users.headers("petugas")).status_code == 403


def test_instance_detail_shows_everything_an_admin_needs(client, users):
    started = start_report(client, users)
    complete(client, users, "petugas", "verifikasi", {"catatan": "oke"})

    body = client.get(f"/api/v1/admin/instances/{started['id']}", headers=users.headers("admin")).get_json()

    assert (body["status"], body["version"], body["tracking_code"]) == ("running", 1, started["tracking_code"])
    assert [t["name"] for t in body["tasks"]] == ["tanggapi"]
    assert "verifikasi" in [c["name"] for c in body["completed"]]
    assert body["timers"] == [] and body["errors"] == []
    assert [e["kind"] for e in body["events"]] == [
        "instance_started", "task_ready", "task_completed", "task_ready", "message_sent"]
    assert [(m["name"], m["status"], m["channel"]) for m in body["outbox"]] == [("balasan_pelapor", "pending", "email")]


def test_suspend_hides_tasks_and_resume_brings_them_back(client, users):
    started = start_report(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"

    assert client.post(f"{url}/suspend", json={"reason": "menunggu data"}, headers=users.headers("admin")).get_json()[
        "status"] == "suspended"
    assert inbox(client, users, "petugas") == []
    assert client.post(f"{url}/suspend", json={"reason": "lagi"}, headers=users.headers("admin")).status_code == 409

    assert client.post(f"{url}/resume", headers=users.headers("admin")).get_json()["status"] == "running"
    assert [t["name"] for t in inbox(client, users, "petugas")] == ["verifikasi"]


def test_given_a_claimed_task_when_suspended_and_resumed_then_the_claimant_still_holds_it(client, users):
    users.add("petugas2", ("Petugas Uji", "33.13"))
    started = start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=users.headers("petugas")).status_code == 200
    url = f"/api/v1/admin/instances/{started['id']}"

    client.post(f"{url}/suspend", json={"reason": "menunggu data"}, headers=users.headers("admin"))
    assert inbox(client, users, "petugas") == []
    client.post(f"{url}/resume", headers=users.headers("admin"))

    [back] = inbox(client, users, "petugas")
    assert (back["id"], back["claimed_by"]) == (task["id"], "petugas")
    assert [t["id"] for t in inbox(client, users, "petugas", mine="true")] == [task["id"]]
    taken = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                        headers=users.headers("petugas2"))
    assert taken.status_code == 409 and taken.get_json()["code"] == "task_claimed"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "oke"}},
                       headers=users.headers("petugas"))
    assert done.status_code == 200


def test_given_an_unclaimed_task_when_suspended_and_resumed_then_it_comes_back_unclaimed(client, users):
    started = start_report(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"

    client.post(f"{url}/suspend", json={"reason": "menunggu data"}, headers=users.headers("admin"))
    client.post(f"{url}/resume", headers=users.headers("admin"))

    assert [t["claimed_by"] for t in inbox(client, users, "petugas")] == [None]


def test_cancel_needs_a_reason_and_ends_the_instance(client, users):
    started = start_report(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"

    no_reason = client.post(f"{url}/cancel", json={}, headers=users.headers("admin"))
    assert no_reason.status_code == 422 and no_reason.get_json()["fields"] == [
        {"field": "reason", "message": "wajib diisi"}]

    cancelled = client.post(f"{url}/cancel", json={"reason": "laporan ganda"}, headers=users.headers("admin"))
    assert cancelled.get_json()["status"] == "cancelled"
    assert inbox(client, users, "petugas") == []
    events = client.get(url, headers=users.headers("admin")).get_json()["events"]
    assert events[-1]["kind"] == "instance_cancelled" and events[-1]["detail"] == {"reason": "laporan ganda"}
    assert client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()["status"] == "cancelled"


def test_given_a_cancelled_case_when_an_admin_acts_on_it_then_the_refusal_names_its_status_in_indonesian(client, users):
    started = start_report(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"
    client.post(f"{url}/cancel", json={"reason": "laporan ganda"}, headers=users.headers("admin"))

    suspended = client.post(f"{url}/suspend", json={"reason": "coba"}, headers=users.headers("admin"))
    cancelled = client.post(f"{url}/cancel", json={"reason": "lagi"}, headers=users.headers("admin"))

    assert (suspended.status_code, suspended.get_json()["message"]) == (
        409, "kasus berstatus dibatalkan; tidak dapat ditangguhkan")
    assert cancelled.get_json()["message"] == "kasus berstatus dibatalkan; tidak dapat dibatalkan"


def test_given_no_such_case_when_an_admin_opens_or_suspends_it_then_the_404_says_kasus(client, users):
    opened = client.get("/api/v1/admin/instances/999999", headers=users.headers("admin"))
    suspended = client.post("/api/v1/admin/instances/999999/suspend", json={"reason": "coba"},
                            headers=users.headers("admin"))

    assert (opened.status_code, opened.get_json()["message"]) == (404, "kasus tidak ditemukan")
    assert (suspended.status_code, suspended.get_json()["message"]) == (404, "kasus tidak ditemukan")


def test_report_viewers_read_but_do_not_act(client, users):
    started = start_report(client, users)
    url = f"/api/v1/admin/instances/{started['id']}"

    assert client.get(url, headers=users.headers("pemantau")).status_code == 200
    refused = client.post(f"{url}/cancel", json={"reason": "coba"}, headers=users.headers("pemantau"))
    assert refused.status_code == 403


def test_an_errored_script_is_retried_after_fixing_its_data(client, users):
    started = start_report(client, users)
    complete(client, users, "petugas", "verifikasi", {"catatan": "oke"})
    done = complete(client, users, "analis", "tanggapi", {"jawaban": "sudah diperbaiki", "pembagi": 0})
    assert done.status_code == 200 and done.get_json()["instance"]["status"] == "error"
    url = f"/api/v1/admin/instances/{started['id']}"
    detail = client.get(url, headers=users.headers("admin")).get_json()
    [error] = detail["errors"]
    assert error["name"] == "nilai"
    assert "by zero" in error["message"]  # the engine's own words, beside the step
    assert any(e["kind"] == "error" for e in detail["events"])
    assert client.get("/api/v1/admin/instances", query_string={"status": "error"},
                      headers=users.headers("admin")).get_json()["total"] == 1

    retried = client.post(f"{url}/retry", json={"task_id": error["task_id"], "data": {"pembagi": 4}},
                          headers=users.headers("admin"))

    assert retried.status_code == 200 and retried.get_json()["status"] == "complete"
    outbox = client.get(url, headers=users.headers("admin")).get_json()["outbox"]
    assert [m["payload"]["jenis"] for m in outbox] == ["respon_awal", "respon_akhir"]
    again = client.post(f"{url}/retry", json={}, headers=users.headers("admin"))
    assert again.status_code == 409 and again.get_json()["code"] == "not_in_error"
