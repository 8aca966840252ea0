"""The inbox: tasks whose lane the user holds within a region prefix containing the task's region."""

from __future__ import annotations

from tests.api.conftest import RT001, inbox, start_report


def propose(client, users, region: str = RT001, title: str = "Talud") -> dict:
    who = "rt1" if region == RT001 else "rt2"
    answer = client.post("/api/v1/processes/uji_usulan/instances",
                         json={"data": {"judul": title, "wilayah": region}}, headers=users.headers(who))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_region_prefixes_are_compared_by_segment(client, users):
    propose(client, users)

    assert [t["name"] for t in inbox(client, users, "rw02")] == ["cek_rw"]
    assert inbox(client, users, "rw01") == []  # the neighbouring RW
    assert inbox(client, users, "rt1") == []  # the RT started it; the RW lane is not theirs


def test_the_kecamatan_sees_the_next_step_and_a_look_alike_prefix_does_not(client, users):
    propose(client, users)
    [task] = inbox(client, users, "rw02")
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"setuju": True}}, headers=users.headers("rw02"))

    assert [t["name"] for t in inbox(client, users, "kec05")] == ["cek_kec"]
    assert inbox(client, users, "kec0") == []  # 33.13.0 is not a prefix of 33.13.05
    assert inbox(client, users, "kec11") == []
    task = inbox(client, users, "kec05")[0]
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers("kec0")).status_code == 404


def test_a_new_lane_needs_only_a_grant(client, users):
    """An analyst adds a lane to a diagram; giving someone that role is all the code there is."""
    start_report(client, users)
    assert inbox(client, users, "orang_lain") == []
    users.add("orang_lain", ("Petugas Uji", "33.13.05.2001"))

    assert [t["name"] for t in inbox(client, users, "orang_lain")] == ["verifikasi"]


def test_items_are_sorted_by_due_moment_and_say_whether_they_are_late(client, users, clock):
    start_report(client, users, {"judul": "Laporan pertama", "isi": "a", "wilayah": "33.13.05"})
    clock.advance(days=8)  # 18-24 March are holidays: the first is due 25 March 16:00 WIB, the second a day later
    start_report(client, users, {"judul": "Laporan kedua", "isi": "b", "wilayah": "33.13.05"})
    propose(client, users)  # no due moment: comes last
    users.add("serba", ("Petugas Uji", "33.13"), ("Ketua RW Uji", "33.13"))

    items = inbox(client, users, "serba")

    assert [(t["instance_title"], t["late"]) for t in items] == [
        ("Laporan pertama", False), ("Laporan kedua", False), ("Talud", False)]
    clock.advance(hours=8)
    assert [t["late"] for t in inbox(client, users, "serba")] == [True, False, False]


def test_filters_and_pages(client, users, clock):
    for i in range(3):
        start_report(client, users, {"judul": f"Laporan {i}", "isi": "x", "wilayah": f"33.13.0{i + 1}"})
    propose(client, users)
    users.add("serba", ("Petugas Uji", "33.13"), ("Ketua RW Uji", "33.13"))

    assert len(inbox(client, users, "serba")) == 4
    assert len(inbox(client, users, "serba", process="uji_usulan")) == 1
    assert len(inbox(client, users, "serba", role="Petugas Uji")) == 3
    assert [t["region"] for t in inbox(client, users, "serba", region="33.13.02")] == ["33.13.02"]
    assert len(inbox(client, users, "serba", due_before="2026-03-26T00:00:00+07:00")) == 3
    assert len(inbox(client, users, "serba", claimed="true")) == 0
    page = client.get("/api/v1/tasks", query_string={"per_page": 3, "page": 2}, headers=users.headers("serba"))
    assert page.get_json()["total"] == 4 and len(page.get_json()["items"]) == 1
    bad = client.get("/api/v1/tasks", query_string={"per_page": 0, "due_before": "besok"},
                     headers=users.headers("serba"))
    assert bad.status_code == 422
    assert {f["field"] for f in bad.get_json()["fields"]} == {"per_page", "due_before"}


def test_claimed_filters(client, users):
    start_report(client, users)
    start_report(client, users)
    first = inbox(client, users, "petugas")[0]
    client.post(f"/api/v1/tasks/{first['id']}/claim", headers=users.headers("petugas"))

    assert [t["id"] for t in inbox(client, users, "petugas", mine="true")] == [first["id"]]
    assert len(inbox(client, users, "petugas", claimed="false")) == 1
