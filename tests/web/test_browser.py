"""The Done-when scenarios in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, ROOT
from tests.web.proposal import USULAN

PROPOSAL_TITLE = "Perbaikan talud jalan Dusun Ngemplak (uji peramban)"


def sign_in(page, username: str) -> None:
    page.goto("/masuk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=nama-pengguna]")


def fill_proposal(page, title: str, nik: str = USULAN["nik_pengusul"]) -> None:
    page.goto("/mulai/musrenbang")
    page.fill("[name=tahun_rkpd]", str(USULAN["tahun_rkpd"]))
    page.fill("[name=tanggal_musyawarah_rt]", USULAN["tanggal_musyawarah_rt"])
    page.fill("[name=nik_pengusul]", nik)
    page.fill("[name=nama_pengusul]", USULAN["nama_pengusul"])
    page.fill("[name=alamat_pengusul]", USULAN["alamat_pengusul"])
    page.fill("[name=judul]", title)
    page.fill("[name=permasalahan]", USULAN["permasalahan"])
    page.select_option("[name=bidang_urusan]", USULAN["bidang_urusan"])
    page.select_option("[name=opd_tujuan]", USULAN["opd_tujuan"])
    page.fill("[name=volume]", "300")
    page.fill("[name=satuan]", "meter")
    page.fill("[name=perkiraan_biaya]", "150000000")
    page.fill("[name=penerima_manfaat]", "240")
    page.check("input[name=urgensi][value=tinggi]")
    page.fill("[name='lampiran.0']", "foto-talud-1.jpg")
    page.click("fieldset[data-array=lampiran] .tambah-butir")  # the progressive "add item" button
    page.fill("[name='lampiran.1']", "denah-talud.pdf")


def test_rt_proposes_and_rw_accepts_in_the_inbox(new_page):
    rt = new_page()
    sign_in(rt, "ketua_rt")
    assert "Ketua RT" in rt.inner_text("header")
    fill_proposal(rt, PROPOSAL_TITLE)
    assert rt.input_value("[name=wilayah]") == USULAN["wilayah"]  # the RT's own region, filled in
    rt.click("button.utama")
    rt.wait_for_selector(".kotak.sukses")
    assert "kode lacak ALR-" in rt.inner_text(".kotak.sukses")

    rw = new_page()
    sign_in(rw, "ketua_rw")
    rw.goto("/tugas")
    task = rw.locator("li.tugas", has_text=PROPOSAL_TITLE)
    task.locator("button", has_text="Ambil").click()
    rw.wait_for_selector(".kotak.sukses")
    task = rw.locator("li.tugas", has_text=PROPOSAL_TITLE)
    assert "diambil Anda" in task.inner_text()
    task.locator("a.tombol", has_text="Kerjakan").click()
    rw.wait_for_selector("text=Data kasus")
    assert USULAN["permasalahan"] in rw.inner_text(".kolom-info")
    rw.check("input[name=keputusan_rw][value=terima]")
    rw.fill("[name=nomor_berita_acara_rw]", "BA/RW02/I/2026")
    rw.click("button.utama")
    rw.wait_for_selector(".kotak.sukses")
    assert "selesai" in rw.inner_text(".kotak.sukses")
    rw.goto("/tugas")
    assert rw.locator("li.tugas", has_text=PROPOSAL_TITLE).count() == 0


def test_public_complaint_is_tracked_by_code(new_page):
    citizen = new_page(390, 844)  # phone width
    citizen.goto("/publik")
    citizen.click(".kartu a")
    citizen.fill("[name=perihal]", "Jadwal musrenbang desa tidak diumumkan")
    citizen.fill("[name=isi]", "Jadwal musyawarah desa tidak diumumkan di papan pengumuman kantor desa.")
    citizen.fill("[name=nama_pelapor]", "Warga Uji Peramban")
    citizen.fill("[name=email]", "warga.uji@example.org")
    citizen.click("button.utama")
    code = citizen.inner_text("#kode-lacak").strip()
    assert re.fullmatch(r"ALR-[0-9A-Z]{5}-[0-9A-Z]{5}", code)

    tracker = new_page(390, 844)
    tracker.goto("/lacak")
    tracker.fill("[name=kode]", code.lower())
    tracker.click("form.saring button")
    tracker.wait_for_selector("#hasil-lacak")
    text = tracker.inner_text("#hasil-lacak")
    assert "sedang diproses" in text and "dicatat dan dipilah" in text and "paling lambat" in text
    assert "Warga Uji Peramban" not in text and "warga.uji@example.org" not in text


def test_admin_instance_page_draws_the_diagram_with_the_current_task_marked(new_page):
    rt = new_page()
    sign_in(rt, "ketua_rt")
    fill_proposal(rt, "Usulan untuk diagram (uji peramban)")
    rt.click("button.utama")
    rt.wait_for_selector(".kotak.sukses")

    admin = new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/instance?proses=musrenbang")
    admin.click("text=Usulan untuk diagram (uji peramban)")
    admin.wait_for_selector("#diagram[data-rendered=ok]")
    active = admin.locator("#diagram svg g.djs-element.alur-aktif[data-element-id=verifikasi_rw]")
    assert active.count() == 1
    assert admin.locator("#diagram svg g.djs-element.alur-selesai").count() >= 1


def test_an_invalid_form_shows_the_field_errors_and_keeps_the_input(new_page):
    rt = new_page()
    sign_in(rt, "ketua_rt")
    fill_proposal(rt, "Usulan salah isi", nik="123")
    rt.fill("[name=volume]", "")
    rt.fill("[name=perkiraan_biaya]", "mahal")
    rt.click("button.utama")
    rt.wait_for_selector("#ringkasan-galat")
    assert "NIK 16 angka" in rt.inner_text("#galat-nik_pengusul")
    assert rt.locator("#galat-volume").count() == 1
    assert rt.locator("#galat-perkiraan_biaya").count() == 1
    assert rt.input_value("[name=nik_pengusul]") == "123"
    assert rt.input_value("[name=perkiraan_biaya]") == "mahal"
    assert rt.input_value("[name=judul]") == "Usulan salah isi"
    assert rt.input_value("[name='lampiran.1']") == "denah-talud.pdf"


def test_the_inbox_fits_a_phone_screen_without_sideways_scrolling(new_page):
    rt = new_page()
    sign_in(rt, "ketua_rt")
    fill_proposal(rt, "Usulan dengan judul yang cukup panjang untuk layar ponsel di Dusun Ngemplak (uji peramban)")
    rt.click("button.utama")
    rt.wait_for_selector(".kotak.sukses")

    rw = new_page(390, 844)
    sign_in(rw, "ketua_rw")
    rw.goto("/tugas")
    rw.wait_for_selector("li.tugas")
    widths = rw.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"
    wider = rw.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(el => el.tagName + '.' + el.className)""")
    assert wider == []
    assert rw.locator("li.tugas a.tombol", has_text="Kerjakan").first.is_visible()


def test_the_analyst_uploads_a_diagram_from_the_page(new_page):
    analyst = new_page()
    sign_in(analyst, "analis_proses")
    assert analyst.url.endswith("/analis")
    analyst.click("#tautan-unggah")
    analyst.set_input_files("#i-berkas", str(ROOT / "processes" / "musrenbang.bpmn"))
    analyst.fill("#i-catatan", "unggah ulang tanpa perubahan")
    analyst.click("button.utama")
    analyst.wait_for_selector("#hasil-unggah")
    assert analyst.get_attribute("#hasil-unggah", "data-hasil") == "sama"
    assert "Tidak ada perubahan" in analyst.inner_text("#hasil-unggah")


def test_every_diagram_opens_in_bpmn_js_without_warnings(new_page):
    page = new_page()
    page.set_content('<div id="leinwand" style="width:1200px;height:800px"></div>')
    page.add_script_tag(path=str(ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"))
    for diagram in sorted((ROOT / "processes").glob("*.bpmn")):
        warnings = page.evaluate(
            """async (xml) => {
                const viewer = new BpmnJS({container: '#leinwand'});
                try { return (await viewer.importXML(xml)).warnings.map(w => w.message); }
                catch (error) { return ['tidak dapat dibuka: ' + error.message]; }
            }""",
            diagram.read_text(encoding="utf-8"),
        )
        assert warnings == [], (diagram.name, warnings)


def test_the_inbox_search_box_lines_up_with_the_selects_and_its_hint_fits(new_page):
    page = new_page()
    sign_in(page, "ketua_rw")
    page.goto("/tugas")
    search = page.locator("form.saring input[name=cari]").bounding_box()
    select = page.locator("form.saring select[name=proses]").bounding_box()
    assert abs(search["y"] - select["y"]) < 1 and abs(search["height"] - select["height"]) < 1
    room, needed = page.evaluate("""() => {
        const box = document.querySelector("form.saring input[name=cari]");
        const style = getComputedStyle(box);
        const ruler = document.createElement("canvas").getContext("2d");
        ruler.font = style.font;
        const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return [inner, ruler.measureText(box.placeholder).width];
    }""")
    assert needed <= room, f"the hint needs {needed:.0f}px, the box has {room:.0f}px"
