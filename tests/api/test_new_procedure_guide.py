"""processes/README.md, "A new procedure from an empty folder", followed step by step for a procedure
that is not one of the three: a billboard permit recommendation (tests/fixtures/izin_reklame), with its
own two lanes and a technical review routed by data to the unit that must do it.

Everything an analyst and an admin do goes through the API and the pages; no Python of the app is
touched, which is the point: a new procedure needs zero Python.
"""

from __future__ import annotations

import re
from pathlib import Path

from api.db import db
from api.models import Instance, PendingTask
from tests.api.conftest import PASSWORD

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "izin_reklame"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PERMOHONAN = {"judul": "Papan reklame toko bangunan", "nama_pemohon": "Bu Sri", "wilayah": "33.13.09.1001",
              "lokasi": "Jl. Lawu km 2, Lalung", "luas_m2": 12, "unit_teknis": "dishub"}
REGIONS_CSV = "kode,nama,tingkat,induk\n33,Jawa Tengah,provinsi,\n33.13,Kabupaten Karanganyar,kabupaten,33\n"
UNITS_CSV = ("kode,nama,jenis,induk,wilayah\n"
             "dishub,Dinas Perhubungan,opd,,33.13\n"
             "satpol_pp,Satuan Polisi Pamong Praja,opd,,33.13\n")
USERS_CSV = ("username,nama_lengkap,email,aktif,kata_sandi,peran,wilayah,unit\n"
             f"loket,Petugas loket,,ya,{PASSWORD},Petugas Loket Reklame,33.13,\n"
             f"teknis_dishub,Tim teknis Dishub,,ya,{PASSWORD},Tim Teknis Reklame,33.13,dishub\n"
             f"teknis_satpol,Tim teknis Satpol PP,,ya,{PASSWORD},Tim Teknis Reklame,33.13,satpol_pp\n")


def the_folder() -> dict[str, str]:
    """The upload: the diagram, and each form by its path relative to forms/ (the path the diagram names)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in (FOLDER / "processes").glob("*.bpmn")}
    for form in sorted((FOLDER / "forms").rglob("*.json")):
        files["forms/" + form.relative_to(FOLDER / "forms").as_posix()] = form.read_text(encoding="utf-8")
    return files


def put_csv(client, users, kind: str, text: str):
    return client.put(f"/api/v1/organization/{kind}.csv", data=text.encode(), content_type="text/csv",
                      headers=users.headers("admin"))


def set_up_the_procedure(client, users) -> None:
    """Regions and units, deploy (creating the two roles its lanes declare), then the users with their grants."""
    assert put_csv(client, users, "regions", REGIONS_CSV).status_code == 200
    assert put_csv(client, users, "units", UNITS_CSV).status_code == 200
    refused = client.post("/api/v1/deploy", json={"files": the_folder()}, headers=users.headers("admin"))
    deployed = client.post("/api/v1/deploy", json={"files": the_folder(), "create_roles": True},
                           headers=users.headers("admin"))
    assert refused.status_code == 422
    assert {f["message"] for f in refused.get_json()["fields"]} == {
        "lajur 'Petugas Loket Reklame' bukan peran yang dikenal sistem",
        "lajur 'Tim Teknis Reklame' bukan peran yang dikenal sistem"}
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json()["roles_created"] == ["Petugas Loket Reklame", "Tim Teknis Reklame"]
    imported = put_csv(client, users, "users", USERS_CSV)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["created"] == 3


def start(client, users, who: str = "loket", **changes):
    return client.post("/api/v1/processes/izin_reklame/instances", json={"data": {**PERMOHONAN, **changes}},
                       headers=users.headers(who))


def inbox(client, users, who: str) -> list[tuple[str, str]]:
    answer = client.get("/api/v1/tasks", headers=users.headers(who))
    assert answer.status_code == 200
    return [(t["name"], t["instance_title"]) for t in answer.get_json()["items"]]


def task_of(client, users, who: str, name: str) -> str:
    [found] = [t["id"] for t in client.get("/api/v1/tasks", headers=users.headers(who)).get_json()["items"]
               if t["name"] == name]
    return found


def complete(client, users, who: str, task_id: str, data: dict):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=users.headers(who))


def reached(app, instance_id: int) -> tuple[str, set[str]]:
    with app.app_context():
        from api.services.versions import runtime

        instance = db.session.get(Instance, instance_id)
        view = runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state)
        return instance.status, {step.name for step in view.completed}


def test_a_new_procedure_runs_from_the_guide_with_per_role_inboxes_routing_and_both_ends(app, client, users):
    users.add("admin", ("Admin", ""))
    set_up_the_procedure(client, users)

    # Start: only the starting lane, and a missing required field is named.
    assert start(client, users, "teknis_dishub").status_code == 403
    without_location = {k: v for k, v in PERMOHONAN.items() if k != "lokasi"}
    missing = client.post("/api/v1/processes/izin_reklame/instances", json={"data": without_location},
                          headers=users.headers("loket"))
    assert missing.status_code == 422 and [f["field"] for f in missing.get_json()["fields"]] == ["lokasi"]
    first = start(client, users)
    assert first.status_code == 201, first.get_json()

    # Per-role inbox: the counter has the check; neither technical team has anything yet.
    assert inbox(client, users, "loket") == [("periksa_berkas", PERMOHONAN["judul"])]
    assert inbox(client, users, "teknis_dishub") == inbox(client, users, "teknis_satpol") == []
    check = task_of(client, users, "loket", "periksa_berkas")
    assert complete(client, users, "teknis_dishub", check, {"berkas_lengkap": True}).status_code == 404
    no_answer = complete(client, users, "loket", check, {})
    assert no_answer.status_code == 422 and [f["field"] for f in no_answer.get_json()["fields"]] == ["berkas_lengkap"]
    assert complete(client, users, "loket", check, {"berkas_lengkap": True}).status_code == 200

    # The review is routed by the data to Dishub: only Dishub's technical team sees it.
    assert inbox(client, users, "teknis_dishub") == [("kajian_teknis", PERMOHONAN["judul"])]
    assert inbox(client, users, "teknis_satpol") == [] and inbox(client, users, "loket") == []
    review = task_of(client, users, "teknis_dishub", "kajian_teknis")
    assert client.get(f"/api/v1/tasks/{review}", headers=users.headers("teknis_satpol")).status_code == 404
    verdict = {"rekomendasi": "setuju", "catatan_teknis": "Tidak mengganggu rambu lalu lintas"}
    assert complete(client, users, "teknis_satpol", review, verdict).status_code == 404
    assert complete(client, users, "teknis_dishub", review, verdict).status_code == 200
    again = complete(client, users, "teknis_dishub", review, verdict)
    assert again.status_code == 409 and again.get_json()["code"] == "task_not_ready"
    assert reached(app, first.get_json()["id"]) == ("complete", {"permohonan_masuk", "periksa_berkas",
                                                                  "gw_berkas_lengkap", "kajian_teknis",
                                                                  "end_rekomendasi_terbit"})

    # The other end: an incomplete file is refused at the counter.
    second = start(client, users, judul="Baliho acara desa")
    refused = task_of(client, users, "loket", "periksa_berkas")
    assert complete(client, users, "loket", refused, {"berkas_lengkap": False}).status_code == 200
    status, steps = reached(app, second.get_json()["id"])
    assert status == "complete" and "end_berkas_ditolak" in steps and "kajian_teknis" not in steps


def test_re_routing_is_a_data_change_the_inbox_follows(app, client, users):
    """The counter sends the review to Satpol PP instead ("alihkan"): the task's row follows the data."""
    users.add("admin", ("Admin", ""))
    set_up_the_procedure(client, users)
    start(client, users)
    check = task_of(client, users, "loket", "periksa_berkas")

    assert complete(client, users, "loket", check, {"berkas_lengkap": True, "unit_teknis": "satpol_pp"}).status_code \
        == 200
    assert inbox(client, users, "teknis_satpol") == [("kajian_teknis", PERMOHONAN["judul"])]
    assert inbox(client, users, "teknis_dishub") == []
    with app.app_context():
        assert db.session.execute(db.select(PendingTask.unit)).scalars().all() == ["satpol_pp"]


def page_login(client, username: str) -> None:
    token = CSRF.search(client.get("/masuk").get_data(as_text=True)).group(1)
    answer = client.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302


def page_post(client, path: str, data: dict, token_page: str):
    token = CSRF.search(client.get(token_page).get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def test_the_same_procedure_over_the_pages(app, client, users):
    users.add("admin", ("Admin", ""))
    set_up_the_procedure(client, users)
    start(client, users)
    check = task_of(client, users, "loket", "periksa_berkas")
    complete(client, users, "loket", check, {"berkas_lengkap": True})
    review = task_of(client, users, "teknis_dishub", "kajian_teknis")

    satpol, dishub = app.test_client(), app.test_client()
    page_login(satpol, "teknis_satpol")
    page_login(dishub, "teknis_dishub")
    assert PERMOHONAN["judul"] not in satpol.get("/tugas").get_data(as_text=True)
    assert satpol.get(f"/tugas/{review}").status_code == 404
    dishub_inbox = dishub.get("/tugas").get_data(as_text=True)
    assert PERMOHONAN["judul"] in dishub_inbox and "unit <code>dishub</code>" in dishub_inbox

    empty = page_post(dishub, f"/tugas/{review}", {"rekomendasi": "setuju"}, f"/tugas/{review}")
    assert empty.status_code == 422 and 'id="galat-catatan_teknis"' in empty.get_data(as_text=True)
    form = {"rekomendasi": "setuju", "catatan_teknis": "Aman bagi pengguna jalan"}
    assert page_post(dishub, f"/tugas/{review}", form, f"/tugas/{review}").status_code == 302
    assert page_post(dishub, f"/tugas/{review}", form, "/tugas").status_code == 409
