"""Aspirasi over HTTP: the DPRD secretariat registers a demonstration and each office does its step."""

from __future__ import annotations

import pytest

from tests.api.procedures import REAL_PROJECT, do, names
from tests.procedures.test_aspirasi import SETUJUI, STEPS, UNJUK_RASA, wita

WHO = {
    "Sekretaris DPRD": "sekwan",
    "Kabag Pengawasan": "kabag",
    "Kasubbag Aspirasi": "kasubbag",
    "Pimpinan DPRD": "pimpinan",
    "Alat Kelengkapan DPRD": "komisi",
    "Subbag Pengaduan dan Layanan Aspirasi": "subbag_aspirasi",
}


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def dprd(users):
    users.add("subbag_umum", ("Subbag Umum", "63.10"))
    for lane, username in WHO.items():
        users.add(username, (lane, "63.10"))
    users.add("sekwan_lain", ("Sekretaris DPRD", "33.13"))  # another regency's secretariat
    return users


def test_an_approved_demonstration_is_handled_step_by_step(client, dprd, clock):
    clock.set(wita(3, 30, 10))
    started = client.post("/api/v1/processes/aspirasi/instances", json={"data": UNJUK_RASA},
                          headers=dprd.headers("subbag_umum"))
    assert started.status_code == 201, started.get_json()
    assert names(client, dprd, "sekwan") == ["persetujuan_sekretaris"]
    assert names(client, dprd, "sekwan_lain") == []

    do(client, dprd, "sekwan", "persetujuan_sekretaris", SETUJUI, clock, wita(4, 1, 10))
    for name, lane, form, day, hour in STEPS:
        if name == "terima_disposisi":  # one task per organ of the disposition: Komisi III and dapil
            for organ_form in form.values():
                result = do(client, dprd, WHO[lane], name, organ_form, clock, wita(4, day, hour))
            continue
        result = do(client, dprd, WHO[lane], name, form, clock, wita(4, day, hour))

    assert result["instance"]["status"] == "complete"
    tracked = client.get(f"/api/v1/public/track/{started.get_json()['tracking_code']}").get_json()
    assert tracked["status"] == "complete"
    # Each organ's follow-up reached the aspirants, in plain words, on the tracking page too.
    follow_ups = sorted(m["isi"] for m in tracked["messages"] if m["jenis"] == "tindak_lanjut")
    assert len(follow_ups) == 2
    assert follow_ups[0].startswith("Kelompok daerah pemilihan DPRD Kabupaten Tanah Bumbu menindaklanjuti")
    assert follow_ups[1].startswith("Komisi III DPRD Kabupaten Tanah Bumbu menindaklanjuti aspirasi Anda")


def test_registration_is_checked_against_the_form(client, dprd):
    answer = client.post("/api/v1/processes/aspirasi/instances",
                         json={"data": {k: v for k, v in UNJUK_RASA.items() if k != "nomor_sttp"}},
                         headers=dprd.headers("subbag_umum"))

    assert answer.status_code == 422 and answer.get_json()["fields"]


def test_tracking_shows_when_the_aspiration_was_registered_also_when_entered_later_from_paper(client, dprd, clock):
    # Registered at the counter on paper on Monday 30 March 10:00 WITA, typed in on Tuesday afternoon.
    clock.set(wita(3, 31, 15))
    later = client.post("/api/v1/processes/aspirasi/instances", headers=dprd.headers("subbag_umum"),
                        json={"data": {**UNJUK_RASA, "diregistrasi_pada": "2026-03-30T10:00:00+08:00"}})
    assert later.status_code == 201, later.get_json()
    # Registered in the system as it came in: the moment of registration is the moment entered.
    at_once = client.post("/api/v1/processes/aspirasi/instances", json={"data": UNJUK_RASA},
                          headers=dprd.headers("subbag_umum"))
    assert at_once.status_code == 201, at_once.get_json()

    def received(started) -> str:
        return client.get(f"/api/v1/public/track/{started.get_json()['tracking_code']}").get_json()["submitted_at"]

    assert received(later) == "2026-03-30T02:00:00+00:00"  # not the STTP moment, not the moment typed in
    assert received(at_once) == "2026-03-31T07:00:00+00:00"
