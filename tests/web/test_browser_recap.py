"""The recap in a real browser, over the demo cases: filters survive sorting and exporting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.db import db
from tests.web.conftest import fresh_db, make_app, require_browser, serving
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
