"""The version diff page in a real browser: both diagrams side by side, the changes marked on them."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import ROOT
from tests.web.test_browser import sign_in

OLD_ID, NEW_ID = "eskalasi_batas_rkpd", "tindak_lanjut_rkpd"


def edited_musrenbang() -> str:
    """v2: the RW step renamed (changed) and the escalation step given a new id (removed, and added anew)."""
    text = (ROOT / "processes" / "musrenbang.bpmn").read_text(encoding="utf-8")
    text = text.replace('name="Bahas usulan di musyawarah RW"', 'name="Bahas usulan di rapat RW"')
    for pattern in ('id="{}"', 'bpmnElement="{}"', 'sourceRef="{}"', 'targetRef="{}"',
                    "<bpmn:flowNodeRef>{}</bpmn:flowNodeRef>"):
        text = text.replace(pattern.format(OLD_ID), pattern.format(NEW_ID))
    return text


def marked(page, box: str, kind: str) -> set[str]:
    found = page.locator(f"#{box} svg g.djs-element.alur-{kind}")
    return {found.nth(i).get_attribute("data-element-id") for i in range(found.count())}


def test_the_diff_page_draws_both_versions_side_by_side_with_the_changes_marked(new_page, tmp_path: Path):
    edited = tmp_path / "musrenbang.bpmn"
    edited.write_text(edited_musrenbang(), encoding="utf-8")
    analyst = new_page(1400, 900)
    sign_in(analyst, "analis_proses")
    analyst.goto("/analis/unggah")
    analyst.set_input_files("#i-berkas", str(edited))
    analyst.fill("#i-catatan", "langkah RW diganti nama; eskalasi diberi id baru")
    analyst.click("button.utama")
    analyst.wait_for_selector("#hasil-unggah")

    analyst.goto("/analis/musrenbang/beda?dari=1&ke=2")
    analyst.wait_for_selector("#diagram-lama[data-rendered=ok]")
    analyst.wait_for_selector("#diagram-baru[data-rendered=ok]")

    assert OLD_ID in marked(analyst, "diagram-lama", "hapus")
    assert NEW_ID in marked(analyst, "diagram-baru", "tambah")
    assert "verifikasi_rw" in marked(analyst, "diagram-lama", "ubah") & marked(analyst, "diagram-baru", "ubah")
    assert marked(analyst, "diagram-baru", "hapus") == set() and marked(analyst, "diagram-lama", "tambah") == set()
    old_box = analyst.locator("#diagram-lama").bounding_box()
    new_box = analyst.locator("#diagram-baru").bounding_box()
    assert old_box["x"] + old_box["width"] <= new_box["x"] and abs(old_box["y"] - new_box["y"]) < 1  # side by side
    assert "ditambahkan" in analyst.inner_text(".legenda") and "dihapus" in analyst.inner_text(".legenda")
    analyst.screenshot(path=str(tmp_path / "beda.png"), full_page=True)
