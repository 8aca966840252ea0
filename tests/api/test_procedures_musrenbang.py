"""Musrenbang over HTTP: one proposal climbs from the RT to the regency, each level seeing only its own region."""

from __future__ import annotations

import pytest

from tests.api.procedures import REAL_PROJECT, do, names
from tests.procedures.test_musrenbang import PROPOSED, STEPS, TERIMA_RW, USULAN

RT = "33.13.05.2001/RW02/RT001"
WHO = {
    "Ketua RW": "rw_02",
    "Kepala Desa": "kades",
    "Operator Kecamatan": "operator_matesih",
    "Tim Musrenbang Kecamatan": "tim_kec",
    "OPD": "opd_pupr",
    "Baperlitbang": "perencana",
}


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def levels(users):
    users.add("rt_001", ("Ketua RT", RT))
    users.add("rt_002", ("Ketua RT", "33.13.05.2001/RW02/RT002"))
    users.add("rw_02", ("Ketua RW", "33.13.05.2001/RW02"))
    users.add("rw_01", ("Ketua RW", "33.13.05.2001/RW01"))
    users.add("kades", ("Kepala Desa", "33.13.05.2001"))
    users.add("operator_matesih", ("Operator Kecamatan", "33.13.05"))
    users.add("operator_jaten", ("Operator Kecamatan", "33.13.11"))
    users.add("tim_kec", ("Tim Musrenbang Kecamatan", "33.13.05"))
    users.add("opd_pupr", ("OPD", "33.13"))
    users.add("perencana", ("Baperlitbang", "33.13"))
    return users


def propose(client, users, who: str = "rt_001"):
    return client.post("/api/v1/processes/musrenbang/instances", json={"data": USULAN}, headers=users.headers(who))


def test_a_proposal_accepted_at_every_level_reaches_the_regency_forum(client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels)
    assert started.status_code == 201, started.get_json()

    for name, lane, form, when in STEPS:
        result = do(client, levels, WHO[lane], name, form, clock, when)

    assert result["instance"]["status"] == "complete"
    events = client.get(f"/api/v1/admin/instances/{started.get_json()['id']}",
                        headers=levels.headers("admin")).get_json()["events"]
    assert [e["actor"] for e in events if e["kind"] == "task_completed"] == [WHO[lane] for _, lane, _, _ in STEPS]


def test_each_level_sees_only_its_own_region(client, levels, clock):
    clock.set(PROPOSED)
    propose(client, levels)

    assert names(client, levels, "rw_02") == ["verifikasi_rw"]
    assert names(client, levels, "rw_01") == []
    [task] = client.get("/api/v1/tasks", headers=levels.headers("rw_02")).get_json()["items"]
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": TERIMA_RW},
                          headers=levels.headers("rw_01"))
    assert refused.status_code == 404

    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": TERIMA_RW},
                        headers=levels.headers("rw_02"))
    assert again.status_code == 409


def test_an_rt_cannot_propose_for_another_rt_and_bad_data_is_422(client, levels, clock):
    clock.set(PROPOSED)
    assert propose(client, levels, "rt_002").status_code == 403
    bad = client.post("/api/v1/processes/musrenbang/instances",
                      json={"data": {**USULAN, "nik_pengusul": "123", "volume": -1}}, headers=levels.headers("rt_001"))
    assert bad.status_code == 422
    assert {"nik_pengusul", "volume"} <= {f["field"] for f in bad.get_json()["fields"]}


def test_a_rejection_without_reason_is_422_with_the_field(client, levels, clock):
    clock.set(PROPOSED)
    propose(client, levels)
    [task] = client.get("/api/v1/tasks", headers=levels.headers("rw_02")).get_json()["items"]

    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"keputusan_rw": "tolak"}},
                         headers=levels.headers("rw_02"))

    assert answer.status_code == 422 and answer.get_json()["fields"]


def test_a_village_merges_a_proposal_into_another_and_it_ends_merged(client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels).get_json()
    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    [task] = client.get("/api/v1/tasks", headers=levels.headers("kades")).get_json()["items"]

    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"keputusan_desa": "gabung"}},
                          headers=levels.headers("kades"))
    assert refused.status_code == 422
    assert [f["field"] for f in refused.get_json()["fields"]] == ["gabung_ke_desa"]

    target = "Normalisasi saluran irigasi Dusun Ngemplak (usulan RT 002)"
    done = do(client, levels, "kades", "verifikasi_desa", {"keputusan_desa": "gabung", "gabung_ke_desa": target})

    assert done["instance"]["status"] == "complete"
    data = client.get(f"/api/v1/admin/instances/{started['id']}", headers=levels.headers("admin")).get_json()["data"]
    assert (data["hasil"], data["digabung_di_tingkat"], data["digabung_ke"]) == ("digabungkan", "desa", target)
    assert names(client, levels, "operator_matesih") == []
