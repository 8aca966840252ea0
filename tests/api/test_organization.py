"""The organization is data: units route tasks, roles and units that running work needs cannot go,
and every kind goes out and comes back as CSV (API, pages and `alur` commands)."""

from __future__ import annotations

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
    put_csv,
    set_up_the_procedure,
    start,
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
        "unit 'dishub' masih menjadi tujuan 1 tugas yang menunggu; alihkan dulu ke unit lain")
    assert parent.status_code == 200  # nothing is routed to the bidang and nothing sits below it
    with app.app_context():
        assert db.session.get(Unit, "dishub") is not None
        assert db.session.get(Unit, "dishub_lalu_lintas") is None
        assert db.session.execute(db.select(RoleGrant).filter_by(unit="dishub_lalu_lintas")).first() is None


def test_a_role_that_is_a_lane_of_a_current_version_stays_even_with_nothing_waiting(client, users):
    organized(client, users)
    answer = client.delete("/api/v1/organization/roles/Petugas Loket Reklame", headers=users.headers("admin"))
    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "peran 'Petugas Loket Reklame' adalah lane versi yang berlaku dari proses izin_reklame")


def test_a_unit_with_units_below_it_is_kept(client, users):
    organized(client, users)
    answer = client.delete("/api/v1/organization/units/dishub", headers=users.headers("admin"))
    assert answer.status_code == 409
    assert answer.get_json()["message"] == "unit 'dishub' masih menjadi induk dari dishub_lalu_lintas"


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
    text = f"username,kata_sandi,peran,wilayah,unit\nbaru,{PASSWORD},Tidak Ada,33.13,unit_hilang\n"
    answer = put_csv(client, users, "users", text)
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "baris 2, kolom peran", "message": "peran 'Tidak Ada' tidak ada; buat dulu di halaman Peran"},
        {"field": "baris 2, kolom unit", "message": "unit 'unit_hilang' tidak ada"}]


# -- pages and commands -------------------------------------------------------------------


def test_the_admin_pages_list_add_and_refuse_in_indonesian(app, client, users):
    organized(client, users)
    routed_review(client, users, "dishub")
    page = app.test_client()
    token = CSRF.search(page.get("/masuk").get_data(as_text=True)).group(1)
    page.post("/masuk", data={"username": "admin", "password": PASSWORD, "csrf_token": token})

    listing = page.get("/admin/organisasi/unit").get_data(as_text=True)
    assert 'data-kunci="dishub_lalu_lintas"' in listing and "Bidang Lalu Lintas Dishub" in listing
    token = CSRF.search(listing).group(1)
    added = page.post("/admin/organisasi/unit", data={"kode": "dlh", "nama": "Dinas Lingkungan Hidup", "jenis": "opd",
                                                       "wilayah": "33.13", "csrf_token": token})
    assert added.status_code == 302
    refused = page.post("/admin/organisasi/unit/hapus", data={"kunci": "dishub", "csrf_token": token})
    assert refused.status_code == 409 and "masih menjadi tujuan 1 tugas yang menunggu" in refused.get_data(as_text=True)
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
    assert "lane 'Petugas Loket Reklame' bukan peran yang dikenal sistem" in refused.output
    assert "lane 'Tim Teknis Reklame' bukan peran yang dikenal sistem" in refused.output
    assert "lane tanpa peran: Petugas Loket Reklame, Tim Teknis Reklame" in refused.output
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
