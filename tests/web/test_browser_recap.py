"""The recap in a real browser, over the demo cases: filters survive sorting and exporting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from api.db import db
from tests.web.conftest import PASSWORD, fresh_db, make_app, require_browser, serving
from tests.web.proposal import TERIMA_RW, USULAN
from tests.web.test_browser import sign_in


@pytest.fixture(scope="module")
def live_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo cases of the seed file, as `make run` serves it."""
    from api.seed import seed_demo_cases

    require_browser()
    app = make_app(fresh_db(seeded_db, tmp_path_factory.mktemp("live-recap") / "alur.db"))
    with app.app_context():
        seed_demo_cases()
        db.session.remove()
    with serving(app) as url:
        yield url


def _table_codes(page) -> list[str]:
    return page.locator("#tabel-rekap tbody td[data-col=kode_lacak]").all_inner_texts()


def test_a_sorted_filtered_recap_downloads_as_csv_with_the_same_rows(new_page):
    desa = new_page()
    sign_in(desa, "kepala_desa")
    desa.goto("/rekap")
    # The village head takes part in musrenbang and the desa's musyawarah (its forum, first by name): the recap
    # opens on a process of theirs, with the village's cases; they choose the proposals.
    assert desa.locator("select[name=proses] option:checked").get_attribute("value") == "forum_musrenbang_desa"
    desa.goto("/rekap?proses=musrenbang")
    assert desa.locator("select[name=proses] option:checked").get_attribute("value") == "musrenbang"
    desa.select_option("select[name=langkah]", "verifikasi_rw")
    desa.click("details.kolom-pilih summary")
    for name in [box.get_attribute("value") for box in desa.locator("input[name=kolom]:checked").all()]:
        desa.uncheck(f"input[name=kolom][value={name}]")
    desa.check("input[name=kolom][value=keputusan_rw]")
    desa.check("input[name=kolom][value=perkiraan_biaya]")
    desa.click("details.kolom-pilih button[type=submit]")
    desa.wait_for_selector("#tabel-rekap")
    shown = _table_codes(desa)
    assert len(shown) >= 5

    desa.click("#tabel-rekap th a:has-text('Judul')")
    desa.wait_for_selector("#tabel-rekap th a:has-text('Judul ▲')")
    assert desa.locator("select[name=langkah] option:checked").get_attribute("value") == "verifikasi_rw"
    titles = desa.locator("#tabel-rekap tbody td[data-col=judul]").all_inner_texts()
    assert titles == sorted(titles, key=str.lower) and sorted(_table_codes(desa)) == sorted(shown)
    columns = desa.locator("#tabel-rekap thead th").all_inner_texts()
    assert sorted(columns[-2:]) == ["Keputusan musyawarah RW", "Perkiraan biaya (Rp)"]

    with desa.expect_download() as download:
        desa.click("a.tombol:has-text('Unduh CSV')")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [c.rstrip(" ▲") for c in columns]
    assert len(rows) - 1 == len(shown)
    assert [r[0] for r in rows[1:]] == _table_codes(desa)  # the same order as the sorted table


def test_given_a_forums_decision_list_then_rows_cannot_be_added_and_shared_columns_look_read_only(new_page):
    team = new_page()
    sign_in(team, "tim_musrenbang_kecamatan")
    team.goto("/tugas")
    task = team.locator("li.tugas[data-name=putuskan_usulan_kecamatan]").first.get_attribute("data-task")
    team.goto(f"/tugas/{task}")
    listing = team.locator("fieldset[data-array=usulan]")
    listing.wait_for()

    assert listing.locator(".tambah-butir").count() == 0  # the rows are the proposals waiting, nothing else
    assert listing.locator(".butir").count() == 1
    assert listing.locator(".keluarkan-butir").is_hidden()  # the only row stays: a decision needs one

    def look(name: str) -> tuple[str, str]:
        return listing.locator(f"[name='usulan.0.{name}']").evaluate(
            "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderTopStyle]")

    assert look("kode_lacak") == look("judul") != look("skor_prioritas")
    assert look("kode_lacak")[1] == "dashed" and look("skor_prioritas")[1] == "solid"
    code = listing.locator("[name='usulan.0.kode_lacak']")
    before = code.input_value()
    code.press("End")
    code.type("X")
    assert code.input_value() == before


def test_given_a_musyawarah_listing_several_proposals_then_one_can_be_left_out_but_not_the_last(new_page):
    desa = new_page()
    # Given one more proposal of the desa accepted by its RW for the year of the demo's waiting musyawarah.
    headers = {role: {"Authorization": "Bearer " + desa.request.post("/api/v1/auth/login", data={
        "username": role, "password": PASSWORD}).json()["token"]} for role in ("ketua_rt", "ketua_rw")}
    started = desa.request.post("/api/v1/processes/musrenbang/instances", headers=headers["ketua_rt"], data={
        "data": {**USULAN, "judul": "Talud saluran Dusun Ngemplak", "tahun_rkpd": date.today().year + 2}})
    assert started.status == 201, started.json()
    [rw] = [t for t in desa.request.get("/api/v1/tasks", headers=headers["ketua_rw"]).json()["items"]
            if t["instance_id"] == started.json()["id"]]
    assert desa.request.post(f"/api/v1/tasks/{rw['id']}/complete", headers=headers["ketua_rw"],
                             data={"data": TERIMA_RW}).status == 200
    desa.context.clear_cookies()  # the API's login signed this browser in as the RW chair too
    sign_in(desa, "kepala_desa")
    desa.goto("/tugas")
    task = desa.locator("li.tugas[data-name=putuskan_usulan_desa]").first.get_attribute("data-task")
    desa.goto(f"/tugas/{task}")
    listing = desa.locator("fieldset[data-array=usulan]")
    rows = listing.locator(".butir")
    listed = rows.count()
    assert listed >= 2, "the demo's second musyawarah lists several proposals"

    left_out = rows.first.locator("[name$='.kode_lacak']").input_value()
    rows.first.locator(".keluarkan-butir").click()  # not decided now: it keeps waiting for a later musyawarah
    assert rows.count() == listed - 1
    assert left_out not in [r.input_value() for r in listing.locator("[name$='.kode_lacak']").all()]
    while rows.count() > 1:
        rows.first.locator(".keluarkan-butir").click()
    assert rows.count() == 1 and listing.locator(".keluarkan-butir").is_hidden()
    assert listing.locator("[name$='.kode_lacak']").input_value().startswith("ALR-")  # never emptied
