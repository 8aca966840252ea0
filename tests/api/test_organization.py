"""The organization is data: units route tasks, roles and units that running work needs cannot go,
and every kind goes out and comes back as CSV (API, pages and `alur` commands)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from click.testing import CliRunner
from flask.cli import ScriptInfo

from api.cli import cli
from api.db import db
from api.models import PendingTask, Role, RoleGrant, Unit
from api.services import organization as org
from tests.api.conftest import PASSWORD
from tests.api.test_new_procedure_guide import (
    PERMOHONAN,
    complete,
    inbox,
    page_login,
    put_csv,
    set_up_the_procedure,
    start,
    task_of,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def routed_review(client, users, unit: str, **changes) -> str:
    """A permit whose counter check is done, so its review waits, routed to `unit`."""
    assert start(client, users, unit_teknis=unit, **changes).status_code == 201
    check = [t for t in client.get("/api/v1/tasks", headers=users.headers("loket")).get_json()["items"]
             if t["name"] == "periksa_berkas"][0]["id"]
    assert complete(client, users, "loket", check, {"berkas_lengkap": True}).status_code == 200
    return changes.get("judul", PERMOHONAN["judul"])


def organized(client, users) -> None:
    users.add("admin", ("Admin", ""))
    set_up_the_procedure(client, users)
    matesih = "kode,nama,tingkat,induk\n33.13.05,Kecamatan Matesih,kecamatan,33.13\n"
    assert put_csv(client, users, "regions", matesih).status_code == 200
    lalin = "dishub_lalu_lintas,Bidang Lalu Lintas Dishub,bidang,dishub,33.13\n"
    assert put_csv(client, users, "units", "kode,nama,jenis,induk,wilayah\n" + lalin).status_code == 200
    more = ("username,kata_sandi,peran,wilayah,unit\n"
            f"teknis_lalin,{PASSWORD},Tim Teknis Reklame,33.13,dishub_lalu_lintas\n"
            f"koordinator,{PASSWORD},Tim Teknis Reklame,33.13,\n"
            f"dishub_matesih,{PASSWORD},Tim Teknis Reklame,33.13.05,dishub\n")
    assert put_csv(client, users, "users", more).status_code == 200


# -- routing --------------------------------------------------------------------------------


def test_a_grant_at_a_unit_sees_its_tasks_and_those_of_units_below_it_not_those_above_or_beside(client, users):
    organized(client, users)
    to_bidang = routed_review(client, users, "dishub_lalu_lintas", judul="Reklame di simpang empat")
    to_dinas = routed_review(client, users, "dishub", judul="Reklame di alun-alun")
    to_satpol = routed_review(client, users, "satpol_pp", judul="Reklame di trotoar")

    assert {t for _, t in inbox(client, users, "teknis_dishub")} == {to_bidang, to_dinas}  # the dinas sees its bidang
    assert {t for _, t in inbox(client, users, "teknis_lalin")} == {to_bidang}  # not the dinas's own tasks
    assert {t for _, t in inbox(client, users, "teknis_satpol")} == {to_satpol}
    assert {t for _, t in inbox(client, users, "koordinator")} == {to_bidang, to_dinas, to_satpol}  # no unit: all
    assert inbox(client, users, "dishub_matesih") == []  # the right unit, but another kecamatan's region


def test_the_login_answer_lists_the_units_a_grant_covers(client, users):
    organized(client, users)
    answer = client.post("/api/v1/auth/login", json={"username": "teknis_dishub", "password": PASSWORD}).get_json()
    assert answer["user"]["roles"] == [{"role": "Tim Teknis Reklame", "region_prefix": "33.13",
                                        "units": ["dishub", "dishub_lalu_lintas"]}]


def test_the_inbox_query_reads_only_pending_tasks_with_the_unit_set_known_beforehand(app, client, users):
    organized(client, users)
    routed_review(client, users, "dishub")
    with app.app_context():
        from api.auth import principal_of
        from api.models import User
        from api.services.inbox import inbox_query

        who = principal_of(db.session.execute(db.select(User).filter_by(username="teknis_dishub")).scalar_one())
        sql = str(inbox_query(who, {}).compile(db.engine))
    assert "pending_tasks.unit IS NULL OR pending_tasks.unit IN" in sql
    assert "instances" not in sql and "units" not in sql


def test_a_user_granted_twice_on_one_role_and_region_sees_the_tasks_of_both_units(client, users):
    organized(client, users)
    routed_review(client, users, "dishub", judul="Reklame di alun-alun")
    routed_review(client, users, "satpol_pp", judul="Reklame di trotoar")
    both = f"username,kata_sandi,peran,wilayah,unit\ndua,{PASSWORD},Tim Teknis Reklame,33.13,dishub\n" \
           "dua,,Tim Teknis Reklame,33.13,satpol_pp\n"
    assert put_csv(client, users, "users", both).status_code == 200
    assert {t for _, t in inbox(client, users, "dua")} == {"Reklame di alun-alun", "Reklame di trotoar"}


RECAP = "proses=izin_reklame&langkah=periksa_berkas&pilih=1&kolom=nama_pemohon"


def recap_titles(client, username: str) -> dict[str, list[str]]:
    """The case titles the user's recap of the counter check lists: on the page, in the CSV and in the XLSX."""
    from openpyxl import load_workbook

    page_login(client, username)
    page = client.get(f"/rekap?{RECAP}")
    assert page.status_code == 200
    rows = list(csv.reader(io.StringIO(client.get(f"/rekap.csv?{RECAP}").get_data(as_text=True).lstrip("\ufeff"))))
    sheet = load_workbook(io.BytesIO(client.get(f"/rekap.xlsx?{RECAP}").data)).active
    return {"page": re.findall(r"Reklame di [a-z -]+", page.get_data(as_text=True)),
            "csv": [(row[1], row[-1]) for row in rows[1:]],
            "xlsx": [(row[1], row[-1]) for row in sheet.iter_rows(min_row=2, values_only=True)]}


def test_given_cases_routed_to_two_units_when_a_unit_user_opens_the_recap_then_it_and_its_exports_list_only_its_own(
        client, users):
    organized(client, users)
    to_dinas = routed_review(client, users, "dishub", judul="Reklame di alun-alun", nama_pemohon="Pak Darto")
    to_satpol = routed_review(client, users, "satpol_pp", judul="Reklame di trotoar", nama_pemohon="Bu Warsi")
    # Dishub has done its review: no task waits for Dishub, yet the case was routed there and stays its own.
    review = task_of(client, users, "teknis_dishub", "kajian_teknis")
    verdict = {"rekomendasi": "setuju", "catatan_teknis": "Tidak mengganggu rambu lalu lintas"}
    assert complete(client, users, "teknis_dishub", review, verdict).status_code == 200

    dinas = recap_titles(client, "teknis_dishub")
    assert dinas == {"page": [to_dinas], "csv": [(to_dinas, "Pak Darto")], "xlsx": [(to_dinas, "Pak Darto")]}
    satpol = recap_titles(client, "teknis_satpol")
    assert satpol == {"page": [to_satpol], "csv": [(to_satpol, "Bu Warsi")], "xlsx": [(to_satpol, "Bu Warsi")]}
    assert recap_titles(client, "teknis_lalin")["csv"] == []  # a bidang does not read its dinas's own cases
    # A grant without a unit reads every unit's cases; the right unit in another kecamatan reads none.
    assert sorted(recap_titles(client, "koordinator")["csv"]) == [(to_dinas, "Pak Darto"), (to_satpol, "Bu Warsi")]
    assert recap_titles(client, "dishub_matesih") == {"page": [], "csv": [], "xlsx": []}


# -- removal refused while needed -------------------------------------------------------------


def test_a_role_or_unit_still_needed_is_not_deleted_and_the_409_says_why(app, client, users):
    organized(client, users)
    routed_review(client, users, "dishub")
    admin = users.headers("admin")

    lane = client.delete("/api/v1/organization/roles/Tim Teknis Reklame", headers=admin)
    special = client.delete("/api/v1/organization/roles/Admin", headers=admin)
    unit = client.delete("/api/v1/organization/units/dishub", headers=admin)
    parent = client.delete("/api/v1/organization/units/dishub_lalu_lintas", headers=admin)

    assert lane.status_code == 409 and lane.get_json()["message"] == (
        "peran 'Tim Teknis Reklame' masih dipakai 1 tugas yang menunggu; selesaikan atau alihkan dulu")
    assert special.status_code == 409 and "peran khusus sistem" in special.get_json()["message"]
    assert unit.status_code == 409 and unit.get_json()["message"] == (
        "unit 'dishub' masih menjadi tujuan 1 tugas yang menunggu (alihkan dulu ke unit lain); masih menjadi unit hak "
        "akses pengguna dishub_matesih, teknis_dishub (ubah dulu hak mereka); masih menjadi induk dari "
        "dishub_lalu_lintas")
    # Nothing is routed to the bidang and nothing sits below it, but a user works there.
    assert parent.status_code == 409 and parent.get_json()["message"] == (
        "unit 'dishub_lalu_lintas' masih menjadi unit hak akses pengguna teknis_lalin (ubah dulu hak mereka)")
    with app.app_context():
        assert db.session.get(Unit, "dishub") is not None
        assert db.session.get(Unit, "dishub_lalu_lintas") is not None
        assert db.session.execute(db.select(RoleGrant).filter_by(unit="dishub_lalu_lintas")).first() is not None
        assert db.session.execute(db.select(PendingTask.unit)).scalars().all() == ["dishub"]


def test_a_unit_nobody_holds_and_nothing_is_routed_to_goes(app, client, users):
    organized(client, users)
    admin = users.headers("admin")
    moved = "username,peran,wilayah,unit\nteknis_lalin,Tim Teknis Reklame,33.13,dishub\n"
    assert put_csv(client, users, "users", moved).status_code == 200

    assert client.delete("/api/v1/organization/units/dishub_lalu_lintas", headers=admin).status_code == 200
    assert client.delete("/api/v1/organization/units/dishub_lalu_lintas", headers=admin).status_code == 404
    with app.app_context():
        assert db.session.get(Unit, "dishub_lalu_lintas") is None


def test_a_role_that_is_a_lane_of_a_current_version_stays_even_with_nothing_waiting(client, users):
    organized(client, users)
    answer = client.delete("/api/v1/organization/roles/Petugas Loket Reklame", headers=users.headers("admin"))
    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "peran 'Petugas Loket Reklame' dipakai diagram versi yang berlaku dari proses izin_reklame")


def test_a_unit_with_units_below_it_is_kept(client, users):
    organized(client, users)
    answer = client.delete("/api/v1/organization/units/dishub", headers=users.headers("admin"))
    assert answer.status_code == 409
    assert answer.get_json()["message"].endswith("; masih menjadi induk dari dishub_lalu_lintas")


def test_an_unused_role_goes_with_its_grants(app, client, users):
    users.add("admin", ("Admin", ""))
    users.add("tamu", ("Peran Sementara", "33.13"))
    assert client.delete("/api/v1/organization/roles/Peran Sementara", headers=users.headers("admin")).status_code \
        == 200
    with app.app_context():
        assert db.session.get(Role, "Peran Sementara") is None
        assert db.session.execute(db.select(RoleGrant).filter_by(role="Peran Sementara")).first() is None


def test_only_an_admin_of_every_region_manages_the_organization(client, users):
    users.add("admin_kec", ("Admin", "33.13.05"))
    assert client.get("/api/v1/organization/roles", headers=users.headers("admin_kec")).status_code == 403
    assert client.get("/api/v1/organization/roles", headers=users.headers("petugas")).status_code == 403



# -- the last admin of every region ------------------------------------------------------------

USERS_HEADER = "username,nama_lengkap,email,aktif,kata_sandi,peran,wilayah,unit\n"


def signed_in(app, username: str = "admin"):
    page = app.test_client()
    token = CSRF.search(page.get("/masuk").get_data(as_text=True)).group(1)
    page.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return page


def admin_state(app, username: str = "admin") -> tuple[bool, list[tuple[str, str]]]:
    with app.app_context():
        user = db.session.execute(db.select(org.User).filter_by(username=username)).scalar_one()
        grants = db.session.execute(db.select(RoleGrant.role, RoleGrant.region_prefix)
                                    .filter_by(user_id=user.id)).all()
        return user.active, [tuple(g) for g in grants]


def test_the_last_admin_of_every_region_cannot_lock_everyone_out(app, client, users):
    """Given one active Admin at '', when a change would deactivate them or take that grant away (API, CSV, page,
    removal), then it is refused with 409 and the reason, and the admin keeps the account and the grant."""
    admin = users.headers("admin")
    page = signed_in(app)
    token = CSRF.search(page.get("/admin/organisasi/pengguna").get_data(as_text=True)).group(1)

    answers = [
        client.post("/api/v1/organization/users", json={"username": "admin", "active": False}, headers=admin),
        client.post("/api/v1/organization/users", json={"username": "admin", "grants": []}, headers=admin),
        client.post("/api/v1/organization/users", headers=admin, json={
            "username": "admin", "grants": [{"role": "Pemantau", "region_prefix": ""}]}),
        client.delete("/api/v1/organization/users/admin", headers=admin),
        put_csv(client, users, "users", USERS_HEADER + "admin,Admin Alur,,tidak,,Admin,,\n"),
        put_csv(client, users, "users", USERS_HEADER + "admin,Admin Alur,,ya,,Pemantau,,\n"),
    ]
    page_save = page.post("/admin/organisasi/pengguna", data={"username": "admin", "hak": "Admin@", "csrf_token": token})
    page_remove = page.post("/admin/organisasi/pengguna/hapus", data={"kunci": "admin", "csrf_token": token})

    for answer in answers:
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["code"] == "last_admin"
        assert "tidak akan ada lagi pengguna aktif dengan peran 'Admin' di seluruh wilayah" in \
            answer.get_json()["message"]
    for answer in (page_save, page_remove):
        assert answer.status_code == 409
        assert "tidak akan ada lagi pengguna aktif dengan peran &#39;Admin&#39; di seluruh wilayah" in \
            answer.get_data(as_text=True)
    assert admin_state(app) == (True, [("Admin", "")])
    assert client.get("/api/v1/organization/users", headers=admin).status_code == 200


def test_an_admin_may_step_down_once_another_admin_of_every_region_is_active(app, client, users):
    """Given a second active Admin at '' (added in the same file), when the first deactivates themselves,
    then that is accepted."""
    handover = USERS_HEADER + f"admin2,Admin Kedua,,ya,{PASSWORD},Admin,,\nadmin,Admin Alur,,tidak,,Admin,,\n"
    answer = put_csv(client, users, "users", handover)
    assert answer.status_code == 200, answer.get_json()
    assert admin_state(app) == (False, [("Admin", "")])
    assert admin_state(app, "admin2") == (True, [("Admin", "")])
    assert client.delete("/api/v1/organization/users/admin2", headers=users.headers("admin2")).status_code == 409


# -- the region tree ----------------------------------------------------------------------------

KARANGANYAR = ("kode,nama,tingkat,induk\n33,Jawa Tengah,provinsi,\n33.13,Kabupaten Karanganyar,kabupaten,33\n"
               "33.13.05,Kecamatan Matesih,kecamatan,33.13\n63,Kalimantan Selatan,provinsi,\n"
               "63.10,Kabupaten Tanah Bumbu,kabupaten,63\n")


def region(client, users, code: str, level: str, parent: str | None):
    return client.post("/api/v1/organization/regions", headers=users.headers("admin"),
                       json={"code": code, "name": f"Wilayah {code}", "level": level, "parent": parent})


def test_a_region_under_its_own_descendant_a_code_off_its_parent_or_a_skipped_level_is_refused(app, client, users):
    """Given Karanganyar with a kecamatan, when a region is put under its own kecamatan, or its code does not
    continue its parent's, or its level does not follow its parent's, then 422 names the field and the tree
    is as it was."""
    assert put_csv(client, users, "regions", KARANGANYAR).status_code == 200

    cycle = region(client, users, "33.13", "kabupaten", "33.13.05")
    elsewhere = region(client, users, "33.13.99", "kecamatan", "63.10")
    skipped = region(client, users, "33.13.06", "rt", "33.13")
    in_file = put_csv(client, users, "regions", "kode,nama,tingkat,induk\n33.13,Kabupaten Karanganyar,kabupaten,"
                                                 "33.13.05\n")
    demoted = region(client, users, "33.13", "kecamatan", "33")

    assert cycle.status_code == 422 and cycle.get_json()["fields"] == [
        {"field": "parent", "message": "induk membentuk lingkaran: '33.13' sudah berada di atas '33.13.05'"}]
    assert elsewhere.status_code == 422 and elsewhere.get_json()["fields"] == [
        {"field": "code", "message": "kode wilayah harus melanjutkan kode induknya: '63.10.…' atau '63.10/…'"}]
    assert skipped.status_code == 422 and skipped.get_json()["fields"] == [
        {"field": "level", "message": "tingkat rt tidak dapat langsung di bawah kabupaten '33.13'; "
                                        "di bawah kabupaten hanya kecamatan"}]
    assert in_file.status_code == 422 and [f["field"] for f in in_file.get_json()["fields"]] == ["baris 2, kolom induk"]
    assert demoted.status_code == 422 and [f["field"] for f in demoted.get_json()["fields"]] == ["level", "level"]
    assert region(client, users, "33.13.06", "kecamatan", "33.13").status_code == 200
    with app.app_context():
        assert org.region_tree()["33.13"] == ("kabupaten", "33")
        assert "33.13.99" not in org.region_tree()

# -- CSV ----------------------------------------------------------------------------------


def test_every_kind_exports_as_csv_and_imports_back_unchanged(client, users):
    organized(client, users)
    admin = users.headers("admin")
    for kind in ("roles", "units", "regions", "users"):
        exported = client.get(f"/api/v1/organization/{kind}.csv", headers=admin)
        assert exported.status_code == 200 and exported.mimetype == "text/csv"
        again = put_csv(client, users, kind, exported.get_data(as_text=True))
        assert again.status_code == 200, (kind, again.get_json())
        assert again.get_json()["created"] == 0
        assert client.get(f"/api/v1/organization/{kind}.csv", headers=admin).get_data() == exported.get_data()
    lines = client.get("/api/v1/organization/users.csv", headers=admin).get_data(as_text=True).splitlines()
    assert lines[0] == "username,nama_lengkap,email,aktif,kata_sandi,peran,wilayah,unit"
    assert "teknis_dishub,Tim teknis Dishub,,ya,,Tim Teknis Reklame,33.13,dishub" in lines


def test_a_csv_with_wrong_lines_names_each_line_and_column_and_stores_nothing(app, client, users):
    users.add("admin", ("Admin", ""))
    text = ("kode,nama,jenis,induk,wilayah\n"
            "dinas_baru,Dinas Baru,opd,,\n"
            "Bukan Slug,Nama,opd,,\n"
            "anak,Anak,bidang,tidak_ada,\n"
            "jenis_salah,Nama,kementerian,,\n")
    answer = put_csv(client, users, "units", text)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.get_json()["fields"]] == [
        "baris 3, kolom kode", "baris 4, kolom induk", "baris 5, kolom jenis"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Unit)).scalar() == 0


def test_a_csv_saved_with_semicolons_imports_as_one_with_commas(app, client, users):
    """Given a file as a spreadsheet with Indonesian settings saves it (';' between values), when it is imported,
    then every row is stored as from the comma file."""
    users.add("admin", ("Admin", ""))
    text = "\ufeffnama;keterangan\r\nPetugas Loket;Menerima berkas, di loket\r\n\"Tim Teknis\";\"Kajian; lapangan\"\r\n"
    answer = put_csv(client, users, "roles", text)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["created"] == 2
    with app.app_context():
        assert db.session.get(Role, "Petugas Loket").description == "Menerima berkas, di loket"
        assert db.session.get(Role, "Tim Teknis").description == "Kajian; lapangan"


def test_a_line_with_more_values_than_the_header_or_an_open_quote_is_refused_by_line(app, client, users):
    """Given a file with a line that has one value too many, or a quote never closed, when it is imported,
    then 422 names that line (the open quote as a CSV syntax error) and nothing is stored."""
    users.add("admin", ("Admin", ""))
    extra = put_csv(client, users, "roles", "nama,keterangan\nSatu,a\nDua,b,c\nTiga,c\n")
    open_quote = put_csv(client, users, "roles", "nama,keterangan\nSatu,a\n\"Dua,b\nTiga,c\n")

    assert extra.status_code == 422 and extra.get_json()["fields"] == [
        {"field": "baris 3", "message": "3 isian, padahal kepala kolom hanya 2; periksa pemisah dan tanda kutip"}]
    assert open_quote.status_code == 422 and open_quote.get_json()["fields"] == [
        {"field": "baris 3", "message": "sintaks CSV salah: tanda kutip (\") dibuka tetapi tidak ditutup"}]
    with app.app_context():
        assert db.session.get(Role, "Satu") is None


def test_a_users_csv_replaces_the_grants_of_the_users_it_names(app, client, users):
    organized(client, users)
    moved = "username,peran,wilayah,unit\nteknis_dishub,Tim Teknis Reklame,33.13,satpol_pp\n"
    assert put_csv(client, users, "users", moved).status_code == 200
    with app.app_context():
        grants = db.session.execute(db.select(RoleGrant.unit).join(org.User, org.User.id == RoleGrant.user_id)
                                    .where(org.User.username == "teknis_dishub")).scalars().all()
    assert grants == ["satpol_pp"]


def test_a_grant_on_an_unknown_role_or_unit_is_refused_by_name(client, users):
    users.add("admin", ("Admin", ""))
    assert put_csv(client, users, "regions", KARANGANYAR).status_code == 200
    text = f"username,kata_sandi,peran,wilayah,unit\nbaru,{PASSWORD},Tidak Ada,33.13,unit_hilang\n"
    answer = put_csv(client, users, "users", text)
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "baris 2, kolom peran", "message": "peran 'Tidak Ada' tidak ada; buat dulu di halaman Peran"},
        {"field": "baris 2, kolom unit", "message": "unit 'unit_hilang' tidak ada"}]



def test_a_grant_on_an_unknown_region_or_a_unit_of_another_region_and_a_bad_email_are_refused(app, client, users):
    """Given the units of Karanganyar (33.13), when a user is saved with a grant at an unknown region, a grant on
    a Karanganyar unit in Tanah Bumbu, or a malformed e-mail, then 422 names the field (API) or the line and
    column (CSV), and nothing is stored."""
    organized(client, users)
    tanah_bumbu = "kode,nama,tingkat,induk\n63,Kalimantan Selatan,provinsi,\n63.10,Kabupaten Tanah Bumbu,kabupaten,63\n"
    assert put_csv(client, users, "regions", tanah_bumbu).status_code == 200
    admin = users.headers("admin")

    def save(**changes):
        return client.post("/api/v1/organization/users", headers=admin,
                           json={"username": "baru", "password": PASSWORD, **changes})

    unknown = save(grants=[{"role": "Tim Teknis Reklame", "region_prefix": "99.99"}])
    elsewhere = save(grants=[{"role": "Tim Teknis Reklame", "region_prefix": "63.10", "unit": "dishub"}])
    email = save(email="bukan-email")
    in_file = put_csv(client, users, "users", "username,email,kata_sandi,peran,wilayah,unit\n"
                      f"baru,baru@karanganyarkab.go.id,{PASSWORD},Tim Teknis Reklame,99.99,\n"
                      f"lain,bukan-email,{PASSWORD},Tim Teknis Reklame,63.10,dishub\n")

    assert unknown.status_code == 422 and [f["message"] for f in unknown.get_json()["fields"]] == [
        "wilayah '99.99' tidak ada; buat dulu di halaman Wilayah"]
    assert elsewhere.status_code == 422 and [f["message"] for f in elsewhere.get_json()["fields"]] == [
        "unit 'dishub' berada di wilayah '33.13', di luar wilayah hak '63.10'"]
    assert email.status_code == 422 and email.get_json()["fields"] == [
        {"field": "email", "message": "alamat email tidak sah (mis. nama@karanganyarkab.go.id)"}]
    assert in_file.status_code == 422 and [f["field"] for f in in_file.get_json()["fields"]] == [
        "baris 2, kolom wilayah", "baris 3, kolom email", "baris 3, kolom unit"]
    # A kecamatan inside the unit's regency, and a grant of every region, stay allowed.
    assert save(email="baru@karanganyarkab.go.id", grants=[
        {"role": "Tim Teknis Reklame", "region_prefix": "33.13.05", "unit": "dishub"},
        {"role": "Tim Teknis Reklame", "region_prefix": "", "unit": "satpol_pp"}]).status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(org.User).filter_by(username="lain")).first() is None


def test_refusals_name_the_fields_as_the_request_sent_them_and_patterns_say_why_in_words(app, client, users):
    """Given an admin, when a unit, region or user is refused, then each error names the request's own field
    (grants by their place in the list) and a malformed value is explained, not shown as a regex."""
    users.add("admin", ("Admin", ""))
    admin = users.headers("admin")

    unit = client.post("/api/v1/organization/units", headers=admin,
                       json={"code": "bidang", "name": "Bidang", "kind": "bidang", "parent": "tidak_ada",
                             "region": "99"})
    region = client.post("/api/v1/organization/regions", headers=admin,
                         json={"code": "33.13", "name": "Karanganyar", "level": "kabupaten", "parent": "33"})
    user = client.post("/api/v1/organization/users", headers=admin,
                       json={"username": "baru", "grants": [{"role": "Admin"}, {"role": "Tidak Ada"}]})
    patterns = client.post("/api/v1/organization/units", headers=admin,
                           json={"code": "Bukan Slug", "name": "   ", "kind": "opd"})
    role = client.post("/api/v1/organization/roles", headers=admin, json={"name": " Admin@33"})
    page = signed_in(app)
    token = CSRF.search(page.get("/admin/organisasi/pengguna").get_data(as_text=True)).group(1)
    on_page = page.post("/admin/organisasi/pengguna", data={"username": "baru", "kata_sandi": PASSWORD,
                                                           "hak": "Admin@\nTidak Ada@33.13", "csrf_token": token})

    assert [f["field"] for f in unit.get_json()["fields"]] == ["parent", "region"]
    assert region.get_json()["fields"] == [{"field": "parent", "message": "wilayah induk '33' tidak ada"}]
    assert user.get_json()["fields"] == [
        {"field": "password", "message": "wajib untuk pengguna baru"},
        {"field": "grants.1.role", "message": "peran 'Tidak Ada' tidak ada; buat dulu di halaman Peran"}]
    assert patterns.get_json()["fields"] == [
        {"field": "code", "message": "kode unit: huruf kecil ASCII, angka, _ . -; diawali huruf atau angka"},
        {"field": "name", "message": "wajib diisi, tidak hanya spasi"}]
    assert role.get_json()["fields"] == [
        {"field": "name", "message": "nama peran 1-100 karakter, tanpa spasi di tepi, tanpa @ , ; dan karakter kendali"}]
    # The page shows the form again as typed (but the password), each refusal beside its input.
    shown = on_page.get_data(as_text=True)
    assert on_page.status_code == 422
    assert ('<p class="galat-isian" id="galat-hak">baris 2, peran: peran &#39;Tidak Ada&#39; tidak ada; buat dulu '
            'di halaman Peran</p>') in shown
    assert 'name="username" required maxlength="80" value="baru"' in shown
    assert ">Admin@\nTidak Ada@33.13</textarea>" in shown and PASSWORD not in shown

# -- pages and commands -------------------------------------------------------------------


def test_the_admin_pages_list_add_and_refuse_in_indonesian(app, client, users):
    organized(client, users)
    routed_review(client, users, "dishub")
    page = app.test_client()
    token = CSRF.search(page.get("/masuk").get_data(as_text=True)).group(1)
    page.post("/masuk", data={"username": "admin", "password": PASSWORD, "csrf_token": token})

    listing = page.get("/admin/organisasi/unit").get_data(as_text=True)
    assert 'data-kunci="dishub_lalu_lintas"' in listing and "Bidang Lalu Lintas Dishub" in listing
    # Every removal asks first, as the case page's Batalkan does.
    assert listing.count('data-konfirmasi="Hapus unit organisasi ') == listing.count('class="bahaya"') == 3
    assert 'data-konfirmasi="Nonaktifkan pengguna teknis_dishub? Hak aksesnya dicabut."' in \
        page.get("/admin/organisasi/pengguna").get_data(as_text=True)
    token = CSRF.search(listing).group(1)
    added = page.post("/admin/organisasi/unit", data={"kode": "dlh", "nama": "Dinas Lingkungan Hidup", "jenis": "opd",
                                                       "wilayah": "33.13", "csrf_token": token})
    assert added.status_code == 302
    refused = page.post("/admin/organisasi/unit/hapus", data={"kunci": "dishub", "csrf_token": token})
    assert refused.status_code == 409 and "masih menjadi tujuan 1 tugas yang menunggu" in refused.get_data(as_text=True)
    assert "masih menjadi unit hak akses pengguna dishub_matesih, teknis_dishub" in refused.get_data(as_text=True)
    exported = page.get("/admin/organisasi/unit.csv").get_data(as_text=True)
    assert "dlh,Dinas Lingkungan Hidup,opd,,33.13" in exported
    assert page.get("/admin/organisasi/pengguna").status_code == 200
    other = app.test_client()
    token = CSRF.search(other.get("/masuk").get_data(as_text=True)).group(1)
    other.post("/masuk", data={"username": "loket", "password": PASSWORD, "csrf_token": token})
    assert other.get("/admin/organisasi/peran").status_code == 403


def test_the_alur_commands_add_list_and_refuse(app, client, users):
    organized(client, users)
    routed_review(client, users, "dishub")
    runner, info = CliRunner(), ScriptInfo(create_app=lambda: app)

    def run(*args: str):
        return runner.invoke(cli, list(args), obj=info)

    assert run("units", "add", "dlh", "--name", "Dinas Lingkungan Hidup", "--kind", "opd", "--region", "33.13"
               ).output == "unit dlh dibuat\n"
    assert run("users", "add", "petugas_dlh", "--password", "rahasia-dlh", "--grant", "Tim Teknis Reklame@33.13#dlh"
               ).output == "pengguna petugas_dlh dibuat\n"
    assert "petugas_dlh" in run("users", "list").output and "Tim Teknis Reklame@33.13#dlh" in run("users", "list").output
    refused = run("units", "remove", "dishub")
    assert refused.exit_code == 1 and "masih menjadi tujuan 1 tugas yang menunggu" in refused.output
    assert "dlh,Dinas Lingkungan Hidup,opd,,33.13" in run("units", "export").output
    with app.app_context():
        assert db.session.execute(db.select(PendingTask.unit)).scalars().all() == ["dishub"]


# -- deploy creates the roles its lanes declare --------------------------------------------------

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "izin_reklame"


def test_alur_deploy_names_each_lane_without_a_role_and_creates_them_when_asked(app, users):
    runner, info = CliRunner(), ScriptInfo(create_app=lambda: app)
    args = ["deploy", f"{FIXTURE}/processes/izin_reklame.bpmn", "--forms", f"{FIXTURE}/forms", "--by", "analis"]

    refused = runner.invoke(cli, args, obj=info)
    done = runner.invoke(cli, [*args, "--create-roles"], obj=info)

    assert refused.exit_code == 1
    assert "lajur 'Petugas Loket Reklame' bukan peran yang dikenal sistem" in refused.output
    assert "lajur 'Tim Teknis Reklame' bukan peran yang dikenal sistem" in refused.output
    assert "peran yang belum ada: Petugas Loket Reklame, Tim Teknis Reklame" in refused.output
    assert done.exit_code == 0, done.output
    assert done.output.strip().endswith("izin_reklame: v1 dibuat; peran baru: Petugas Loket Reklame, Tim Teknis Reklame")
    with app.app_context():
        made = db.session.get(Role, "Tim Teknis Reklame")
        assert made is not None and made.description == "dibuat saat pemasangan oleh analis"


def test_the_upload_page_offers_to_create_the_missing_roles(app, users):
    users.add("analis_proses", ("Analis Proses", ""))
    page = app.test_client()
    token = CSRF.search(page.get("/masuk").get_data(as_text=True)).group(1)
    page.post("/masuk", data={"username": "analis_proses", "password": PASSWORD, "csrf_token": token})

    def upload(**extra):
        token = CSRF.search(page.get("/analis/unggah").get_data(as_text=True)).group(1)
        files = [(io.BytesIO(Path(f"{FIXTURE}/processes/izin_reklame.bpmn").read_bytes()), "izin_reklame.bpmn")]
        for name in ("permohonan_masuk", "periksa_berkas", "kajian_teknis"):
            form = Path(f"{FIXTURE}/forms/izin_reklame/{name}.schema.json").read_bytes()
            files.append((io.BytesIO(form), f"{name}.schema.json"))
        return page.post("/analis/unggah", data={"csrf_token": token, "berkas": files, "folder": "izin_reklame", **extra},
                         content_type="multipart/form-data")

    refused, done = upload(), upload(buat_peran="1")
    assert refused.status_code == 422 and 'id="peran-belum-ada"' in refused.get_data(as_text=True)
    assert done.status_code == 201
    assert 'id="peran-baru"' in done.get_data(as_text=True) and "Tim Teknis Reklame" in done.get_data(as_text=True)


# -- time zones of regions -------------------------------------------------------------------------


def test_a_region_carries_its_offices_time_zone_and_the_regions_below_without_one_inherit_it(app, client, users):
    users.add("admin", ("Admin", ""))
    admin = users.headers("admin")
    text = ("kode,nama,tingkat,induk,zona_waktu\n"
            "63,Kalimantan Selatan,provinsi,,Asia/Makassar\n"
            "63.10,Kabupaten Tanah Bumbu,kabupaten,63,\n"
            "33,Jawa Tengah,provinsi,,\n")
    assert put_csv(client, users, "regions", text).status_code == 200
    listed = {r["code"]: r["time_zone"] for r in
              client.get("/api/v1/organization/regions", headers=admin).get_json()["items"]}
    assert listed == {"63": "Asia/Makassar", "63.10": None, "33": None}
    with app.test_request_context():
        from api.zones import zone_of

        # The kabupaten and a desa's RT the table does not hold follow the province; elsewhere WIB.
        assert zone_of("63.10") == zone_of("63.10.05.2001/RW01/RT002") == "Asia/Makassar"
        assert zone_of("33.13.05") == zone_of("") == zone_of("99") == "Asia/Jakarta"

    changed = client.post("/api/v1/organization/regions", headers=admin, json={
        "code": "63.10", "name": "Kabupaten Tanah Bumbu", "level": "kabupaten", "parent": "63",
        "time_zone": "Asia/Jayapura"})
    assert changed.status_code == 200
    renamed = client.post("/api/v1/organization/regions", headers=admin, json={  # no time_zone: kept as stored
        "code": "63.10", "name": "Kab. Tanah Bumbu", "level": "kabupaten", "parent": "63"})
    assert renamed.status_code == 200
    exported = client.get("/api/v1/organization/regions.csv", headers=admin).get_data(as_text=True).splitlines()
    assert exported[0] == "kode,nama,tingkat,induk,zona_waktu"
    assert "63.10,Kab. Tanah Bumbu,kabupaten,63,Asia/Jayapura" in exported

    runner, info = CliRunner(), ScriptInfo(create_app=lambda: app)
    added = runner.invoke(cli, ["regions", "add", "63.10.05", "--name", "Kecamatan Kusan Hulu", "--level", "kecamatan",
                                "--parent", "63.10", "--zone", "Asia/Makassar"], obj=info)
    assert added.output == "wilayah 63.10.05 dibuat\n"
    assert re.search(r"^63\.10\.05 +kecamatan +Asia/Makassar +Kecamatan Kusan Hulu$",
                     runner.invoke(cli, ["regions", "list"], obj=info).output, re.M)
    wrong = runner.invoke(cli, ["regions", "add", "63.10.06", "--name", "Satui", "--level", "kecamatan",
                                "--parent", "63.10", "--zone", "UTC"], obj=info)
    assert wrong.exit_code == 1 and "zona_waktu" in wrong.output


def test_a_time_zone_outside_indonesias_three_is_refused_by_field_and_nothing_is_stored(app, client, users):
    users.add("admin", ("Admin", ""))
    admin = users.headers("admin")
    answer = client.post("/api/v1/organization/regions", headers=admin, json={
        "code": "63", "name": "Kalimantan Selatan", "level": "provinsi", "time_zone": "WITA"})
    assert answer.status_code == 422 and [f["field"] for f in answer.get_json()["fields"]] == ["time_zone"]
    text = "kode,nama,tingkat,induk,zona_waktu\n63,Kalimantan Selatan,provinsi,,Europe/Berlin\n"
    refused = put_csv(client, users, "regions", text)
    assert refused.status_code == 422
    assert refused.get_json()["fields"][0]["field"] == "baris 2, kolom zona_waktu"
    assert "Asia/Makassar (WITA)" in refused.get_json()["fields"][0]["message"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(org.Region)).scalar() == 0
