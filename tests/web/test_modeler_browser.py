"""The analyst edits a procedure in the browser modeler (Chromium through Playwright): changes a deadline and a
label, sees a lint error appear and go, deploys through the dry run, and the versions behave as planned."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from api.db import db
from api.models import Instance, ProcessVersionRow, Role
from api.services import migration
from api.services.versions import runtime
from engine import diff_versions, lint_text
from tests.web.conftest import fresh_db, login, make_app, require_browser, serving
from tests.web.test_browser import sign_in
from tests.web.test_pages import start_proposal

NEW_DEADLINE = "end_of_office_day(add_working_days(batas_rkpd, 10))"
NEW_LABEL = "Batas 6 bulan ditambah 10 hari kerja"
PROCESSES = Path(__file__).resolve().parents[2] / "processes"
# every diagram in processes/ (the forum ones too), by the id of its executable process
DIAGRAMS = sorted(re.search(r'<bpmn:process id="([^"]+)"[^>]*isExecutable="true"', p.read_text()).group(1)
                  for p in PROCESSES.glob("*.bpmn"))
DI = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}


@pytest.fixture(scope="module")
def served(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """The app on 127.0.0.1 (as conftest's live_server) and the same app object, to read and seed its database."""
    require_browser()
    app = make_app(fresh_db(seeded_db, tmp_path_factory.mktemp("modeler") / "alur.db"))
    with serving(app) as url:
        yield url, app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(served) -> str:  # the conftest's browser fixtures start on this server
    return served[0]


def version_of(app, instance_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(ProcessVersionRow.number).join(Instance, Instance.version_id == ProcessVersionRow.id)
            .where(Instance.id == instance_id)
        ).scalar_one()


def select(page, element_id: str) -> None:
    """Select a diagram element the way a click does (through bpmn-js's selection service).

    The panel writes a typed value after its input debounce (300 ms); blur and let it land first, as a
    person moving the mouse to the diagram does, so the write goes to the element it was typed for.
    """
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.wait_for_timeout(400)
    page.evaluate("id => { const m = window.alurModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }",
                  element_id)


# A spiffworkflow:property of a diagram element as the modeler holds it now (None when the element has none).
PROPERTY_OF = """([id, name]) => {
  const bo = window.alurModeler.get('elementRegistry').get(id).businessObject;
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  const props = values.find((v) => v.$type === 'spiffworkflow:Properties');
  const prop = props && props.properties.find((p) => p.name === name);
  return prop ? prop.value : null;
}"""
# Selects each element in turn, as a click does, and reads its Alur group: [entry id, label, value] per entry. The
# panel renders a selection a moment later: an element's entries are read once the general group shows its id.
PANEL_ENTRIES = """async (ids) => {
  const m = window.alurModeler;
  const shown = (id) => { const field = document.getElementById('bio-properties-panel-id'); return field && field.value === id; };
  const found = {};
  for (const id of ids) {
    m.get('selection').select(m.get('elementRegistry').get(id));
    for (let i = 0; i < 200 && !shown(id); i++) { await new Promise((r) => setTimeout(r, 10)); }
    if (!shown(id)) { throw new Error(`the panel did not show ${id}`); }
    found[id] = [ ...document.querySelectorAll("[data-group-id=group-alur] [id^='bio-properties-panel-alur-']") ]
      .filter((e) => e.matches('input, select, textarea'))
      .map((e) => [ e.id.replace('bio-properties-panel-', ''),
        (document.querySelector(`label[for='${e.id}']`) || {}).textContent || '', e.value ]);
  }
  return found;
}"""


def alur_entries(page, element_ids: list[str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The Alur group of each element, as the analyst sees it on selecting it: entry id -> (label, value)."""
    found = page.evaluate(PANEL_ENTRIES, element_ids)
    return {element: {entry: (label, value) for entry, label, value in rows} for element, rows in found.items()}


def analyst_page(new_page):
    page = new_page(1400, 1000)
    sign_in(page, "analis_proses")
    return page


def current_xml(app, process_id: str) -> str:
    with app.app_context():
        return runtime().current(process_id).version.bpmn_source()


def open_modeler(page, process_id: str) -> None:
    page.goto(f"/analis/{process_id}/ubah")
    page.wait_for_selector("#modeler[data-siap=ok]")


SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
FORM_ENTRIES = {"formJsonSchemaFilename": "alur-form", "formUiSchemaFilename": "alur-ui-form"}  # labelled in words


def spiff_properties(xml: str) -> dict[str, dict[str, str]]:
    """The spiffworkflow:property values of a diagram, by the id of the element carrying them."""
    root = etree.fromstring(xml.encode())
    return {group.getparent().getparent().get("id"): {p.get("name"): p.get("value") for p in group}
            for group in root.iter(f"{SPIFF}properties")}


def shown_value(entries: dict[str, tuple[str, str]], name: str) -> str | None:
    """The value the Alur group shows for a property: its form entry, or the entry labelled with its name."""
    if name in FORM_ENTRIES:
        return entries.get(FORM_ENTRIES[name], (None, None))[1]
    return next((value for label, value in entries.values() if label.endswith(f"({name})")), None)


def shape_bounds(xml: str) -> dict[str, tuple[str, ...]]:
    root = etree.fromstring(xml.encode())
    shapes = {s.get("bpmnElement"): tuple(s.find("dc:Bounds", DI).attrib.values())
              for s in root.iterfind(".//bpmndi:BPMNShape", DI)}
    edges = {e.get("bpmnElement"): tuple(f"{w.get('x')},{w.get('y')}" for w in e.iterfind("di:waypoint", DI))
             for e in root.iterfind(".//bpmndi:BPMNEdge", DI)}
    return {**shapes, **edges}


def label_bounds(xml: str) -> dict[str, tuple[str, ...]]:
    root = etree.fromstring(xml.encode())
    return {d.get("bpmnElement"): tuple(d.find("bpmndi:BPMNLabel/dc:Bounds", DI).attrib.values())
            for d in [*root.iterfind(".//bpmndi:BPMNShape", DI), *root.iterfind(".//bpmndi:BPMNEdge", DI)]
            if d.find("bpmndi:BPMNLabel/dc:Bounds", DI) is not None}


def test_analyst_edits_a_deadline_and_a_label_fixes_a_lint_error_and_deploys_with_the_dry_run(served, new_page):
    _url, app = served
    client = app.test_client()
    login(client, "ketua_rt")
    for _ in range(2):
        assert start_proposal(client).status_code in (200, 201, 302)
    with app.app_context():
        running = list(db.session.execute(db.select(Instance.id, Instance.next_timer_at)
                                          .filter_by(process_id="musrenbang").order_by(Instance.id)).all())
        old_xml = runtime().current("musrenbang").version.bpmn_source()
    first, second = running[-2].id, running[-1].id
    with app.app_context():  # the second one is suspended by an admin: the plan must leave it where it is
        from api.services.admin import suspend
        from api.services.instances import system_actor

        suspend(second, "uji: ditangguhkan", system_actor())
    assert version_of(app, first) == 1

    page = analyst_page(new_page)
    page.goto("/analis")
    page.click("a[data-ubah=musrenbang]")
    page.wait_for_selector("#modeler[data-siap=ok]")
    page.wait_for_selector("#modeler[data-lint=selesai]")
    assert page.get_attribute("#daftar-temuan", "data-galat") == "0"  # the current version opens clean
    assert "Tidak ada temuan pemeriksaan" in page.inner_text("#ringkas-temuan")

    # the deadline and the label of the 6-month timer, in Alur's properties group and the general one
    select(page, "timer_batas_rkpd")
    page.wait_for_selector("#bio-properties-panel-alur-timer")
    assert page.input_value("#bio-properties-panel-alur-timer") == "batas_rkpd"
    assert page.inner_text(".bio-properties-panel-header-type").lower() == "event antara timer"  # not English
    assert "add_working_days" in page.inner_text("[data-group-id=group-alur]")  # the working-day helper example
    page.fill("#alur-hari-kerja-n", "10")  # the working-day helper writes the expression
    page.fill("#alur-hari-kerja-dari", "batas_rkpd")
    page.click("#alur-hari-kerja-pakai")
    page.wait_for_function("v => document.getElementById('bio-properties-panel-alur-timer').value === v", arg=NEW_DEADLINE)
    page.fill("#bio-properties-panel-name", NEW_LABEL)
    page.wait_for_function(  # the panel writes after its input debounce
        "label => window.alurModeler.get('elementRegistry').get('timer_batas_rkpd').businessObject.name === label",
        arg=NEW_LABEL)

    # a lint error appears on the gateway when its default flow goes, and goes when it comes back
    select(page, "gw_keputusan_rw")
    page.select_option("#bio-properties-panel-alur-default", "")
    page.wait_for_function("() => document.getElementById('daftar-temuan').dataset.galat !== '0'")
    assert "gateway eksklusif dengan kondisi tanpa alur default" in page.inner_text("#tabel-temuan")  # the server's
    assert "Alur (sequence flow) tidak punya kondisi" in page.inner_text("#tabel-temuan")  # bpmnlint's, in Indonesian
    assert page.locator(".lencana-temuan[data-element=gw_keputusan_rw]").count() == 1
    assert "tanpa alur default" in page.inner_text("#temuan-elemen")
    page.select_option("#bio-properties-panel-alur-default", "flow_rw_terima")
    page.wait_for_selector("#daftar-temuan[data-galat='0']")
    assert page.locator(".lencana-temuan").count() == 0

    # save: lint, then the dry run of the running instances, then the confirmation
    page.click("#tombol-periksa")
    page.wait_for_selector("#hasil-periksa[data-hasil=lulus]")
    assert page.locator("#rencana-perubahan li").evaluate_all("items => items.map(i => i.dataset.element)") == [
        "timer_batas_rkpd"]  # the gate shows what the edit changes: only the timer
    assert "nama, ekspresi timer" in page.inner_text("#rencana-perubahan")
    plan = page.locator("#rencana-ringkas")
    assert plan.get_attribute("data-movable") == "1" and plan.get_attribute("data-refused") == "1"
    assert page.get_attribute(f"#rencana-instance tr[data-instance='{first}']", "data-hasil") == "can_migrate"
    assert "dihitung ulang" in page.inner_text(f"#rencana-instance tr[data-instance='{first}']")
    assert "ditangguhkan" in page.inner_text(f"#rencana-instance tr[data-instance='{second}']")
    page.fill("#i-catatan", "batas RKPD ditambah 10 hari kerja")
    page.click("#tombol-pasang")
    page.wait_for_selector("#hasil-periksa[data-hasil=dipasang]")
    assert page.get_attribute("#hasil-pindah", "data-moved") == "1"
    assert "v2" in page.inner_text("#hasil-periksa")
    assert page.inner_text("h1").endswith("(dari v2)")  # the page now edits the version it deployed

    # running instances followed the plan: the movable one is on v2 with its deadline computed again
    assert version_of(app, first) == 2 and version_of(app, second) == 1
    with app.app_context():
        moved = db.session.get(Instance, first)
        before = next(r.next_timer_at for r in running if r.id == first)
        assert moved.next_timer_at is not None and moved.next_timer_at > before
        new = runtime().current("musrenbang")
        assert new.number == 2
        new_xml = new.version.bpmn_source()
        diff = migration.diff_json("musrenbang", 1, 2)
        forms = {k.removeprefix("forms/"): v for k, v in new.version.sources.items() if k.startswith("forms/")}
        problems = lint_text(new_xml, "musrenbang.bpmn", forms.get)
    # the diff lists only what was edited; every id, shape and edge kept its place; the file lints clean
    assert [t["id"] for t in diff["tasks_changed"]] == ["timer_batas_rkpd"]
    assert set(diff["tasks_changed"][0]["changes"]) == {"name", "timer"}
    assert not (diff["tasks_added"] or diff["tasks_removed"] or diff["flows_added"] or diff["flows_removed"]
                or diff["flows_changed"])
    assert shape_bounds(new_xml) == shape_bounds(old_xml)
    # and a text diff of the two files: the two edited lines and the label boxes bpmn-js measured again for the
    # elements touched (the renamed timer; the gateway and flow whose default went and came back), besides the
    # XML comments bpmn-js drops
    lines = list(difflib.unified_diff(old_xml.splitlines(), new_xml.splitlines(), lineterm="", n=0))
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    assert [line for line in added if not line.startswith("<dc:Bounds")] == [
        f'<bpmn:intermediateCatchEvent id="timer_batas_rkpd" name="{NEW_LABEL}">',
        f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{NEW_DEADLINE}</bpmn:timeDate>']
    assert set(label_bounds(old_xml).items()) ^ set(label_bounds(new_xml).items()) <= {
        (e, b) for e in ("timer_batas_rkpd", "gw_keputusan_rw", "flow_rw_terima")
        for b in (label_bounds(old_xml)[e], label_bounds(new_xml)[e])}
    assert all(line == "" or line.startswith(("<!--", "<dc:Bounds")) or "timer_batas_rkpd" in line
               or "<bpmn:timeDate" in line for line in removed), removed
    assert new_xml.count("<spiffworkflow:property ") == old_xml.count("<spiffworkflow:property ")
    assert new_xml.count("spiffworkflow:postScript>") == old_xml.count("spiffworkflow:postScript>")
    assert problems == []

    # the next started instance runs on the new version
    assert start_proposal(client).status_code in (200, 201, 302)
    with app.app_context():
        newest = db.session.execute(db.select(db.func.max(Instance.id))).scalar_one()
    assert version_of(app, newest) == 2


@pytest.mark.parametrize("process_id", DIAGRAMS)
def test_a_diagram_shows_each_property_in_the_panel_and_saved_without_edits_keeps_everything_and_lints_clean(
        served, new_page, process_id):
    _url, app = served
    with app.app_context():
        ref = runtime().current(process_id)
        old_xml = ref.version.bpmn_source()
        forms = {k.removeprefix("forms/"): v for k, v in ref.version.sources.items() if k.startswith("forms/")}
    page = new_page()
    sign_in(page, "analis_proses")
    page.goto(f"/analis/{process_id}/ubah")
    page.wait_for_selector("#modeler[data-siap=ok]")
    saved = page.evaluate("() => window.alurXml()")  # the XML the modeler would save
    assert page.evaluate("() => window.alurImportWarnings") == []  # bpmn-js read everything in the file
    # the modeler's own live lint (bpmnlint's recommended rules and the server's) finds nothing in the file
    page.wait_for_selector("#modeler[data-lint=selesai]")
    findings = page.inner_text("#tabel-temuan")
    assert page.get_attribute("#daftar-temuan", "data-jumlah") == "0", findings
    # every spiffworkflow:property in the file is in the Alur group of its element, with its value: an analyst
    # never has to open the XML to read or change one
    declared = spiff_properties(old_xml)
    panel = alur_entries(page, sorted(declared))
    assert {(element, name): shown_value(panel[element], name) for element, props in declared.items()
            for name in props} == {(element, name): value for element, props in declared.items()
                                   for name, value in props.items()}

    for tag in ("spiffworkflow:property ", "spiffworkflow:postScript>", "spiffworkflow:messagePayload>",
                "bpmn:loopDataInputRef>", "bpmn:loopDataOutputRef>", "bpmn:inputDataItem ", "bpmn:outputDataItem ",
                "bpmn:timeDate", "bpmn:conditionExpression", "bpmn:script>", "bpmn:documentation>"):
        assert saved.count(f"<{tag}") == old_xml.count(f"<{tag}"), tag
    assert shape_bounds(saved) == shape_bounds(old_xml) and label_bounds(saved) == label_bounds(old_xml)
    # the text is the file's, line for line, but for the XML comments and blank lines bpmn-js drops
    without_comments = re.sub(r"[ \t]*<!--.*?-->[ \t]*\n?", "", old_xml, flags=re.S)
    assert saved.splitlines() == [line for line in without_comments.splitlines() if line.strip()]
    assert lint_text(saved, f"{process_id}.bpmn", forms.get) == []  # XSD-valid, every element drawn: Camunda opens it
    with app.app_context():
        bpmn_name = next(k for k in ref.version.sources if k.startswith("bpmn/"))
        built = runtime().build(process_id, {**ref.version.sources, bpmn_name: saved})
        assert diff_versions(ref.version, built).empty  # nothing the engine reads changed


def test_the_loop_input_of_a_multi_instance_is_edited_as_text_and_only_that_text_changes_in_the_saved_xml(
        served, new_page):
    _url, app = served
    old_xml = current_xml(app, "aspirasi")
    page = analyst_page(new_page)
    page.goto("/analis/aspirasi/ubah")
    page.wait_for_selector("#modeler[data-siap=ok]")
    select(page, "tindak_lanjut_alat_kelengkapan")
    page.wait_for_selector("#bio-properties-panel-alur-loop-input")
    assert page.input_value("#bio-properties-panel-alur-loop-input") == "disposisi_ke"
    assert page.input_value("#bio-properties-panel-alur-loop-output") == "tindak_lanjut_akd"
    page.fill("#bio-properties-panel-alur-loop-input", "disposisi_akd")
    page.wait_for_selector("#modeler[data-diubah='1']")  # the panel writes after its input debounce, as an edit
    saved = page.evaluate("() => window.alurXml()")
    lines = list(difflib.unified_diff(old_xml.splitlines(), saved.splitlines(), lineterm="", n=0))
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    assert added == ["<bpmn:loopDataInputRef>disposisi_akd</bpmn:loopDataInputRef>"]
    assert [line for line in removed if line and not line.startswith("<!--")] == [
        "<bpmn:loopDataInputRef>disposisi_ke</bpmn:loopDataInputRef>"]
    page.evaluate("() => window.alurModeler.get('commandStack').undo()")  # undoable like any other edit
    assert "<bpmn:loopDataInputRef>disposisi_ke</bpmn:loopDataInputRef>" in page.evaluate("() => window.alurXml()")


def test_the_alur_group_shows_the_tracking_message_and_batch_properties_where_the_engine_reads_them(
        served, new_page):
    _url, app = served
    old_xml = current_xml(app, "forum_musrenbang_desa")
    page = analyst_page(new_page)

    # the complaint's start event: the field holding when the case was received (shown on the tracking page)
    open_modeler(page, "pengaduan")
    shown = alur_entries(page, ["respon_akhir", "pengaduan_masuk"])
    start, step = shown["pengaduan_masuk"], shown["respon_akhir"]
    assert start["alur-received"] == ("Isian waktu diterima (receivedField)", "diterima_pada")
    assert start["alur-title"] == ("Isian judul (titleField)", "perihal")
    group = page.inner_text("[data-group-id=group-alur]")  # the start event's, selected last
    assert "judul kasus di kotak tugas" in group and "instance" not in group
    # a human step: the plain words the public reads while it waits; no message or start-event entries
    assert step["alur-public-status"] == ("Status untuk publik (publicStatus)",
                                          "Petugas sedang menyiapkan jawaban akhir untuk Anda")
    assert "alur-correlation" not in step and "alur-received" not in step

    # a proposal's wait for the desa forum: the field a message must carry, the fields the forum sees, the
    # public words with their placeholder; a wait is not a human step, so no unit or batch entries
    open_modeler(page, "musrenbang")
    wait = alur_entries(page, ["tunggu_musyawarah_desa"])["tunggu_musyawarah_desa"]
    assert wait["alur-correlation"] == ("Isian korelasi (correlationField)", "kode_lacak")
    assert wait["alur-batch-fields"] == ("Isian yang ditampilkan (batchFields)", "judul,wilayah,tahun_rkpd,opd_tujuan,"
                                         "perkiraan_biaya,peringatan_kependudukan,skor_prioritas")
    assert wait["alur-public-status"][1] == "Usulan menunggu musyawarah desa/kelurahan untuk RKPD tahun {tahun_rkpd}"
    assert not {"alur-unit", "alur-batch-of"} & set(wait)

    # the desa forum's batch step: whose waiting cases it decides, in which list, matched, scored and ranked how
    open_modeler(page, "forum_musrenbang_desa")
    batch = alur_entries(page, ["putuskan_usulan_desa"])["putuskan_usulan_desa"]
    assert {k: v for k, v in batch.items() if k.startswith("alur-batch-")} == {
        "alur-batch-of": ("Kasus yang diputuskan (batchOf)", "musrenbang.tunggu_musyawarah_desa"),
        "alur-batch-field": ("Isian daftar (batchField)", "usulan"),
        "alur-batch-match": ("Isian yang harus sama (batchMatch)", "tahun_rkpd"),
        "alur-batch-score": ("Kolom skor (batchScore)", "skor_prioritas"),
        "alur-batch-rank": ("Kolom peringkat (batchRank)", "peringkat")}
    assert batch["alur-public-status"][1] == ""  # the forum's own decision is internal

    # editing a value rewrites that property; filling an empty entry adds one: the saved XML has just those
    page.fill("#bio-properties-panel-alur-batch-match", "tahun_rkpd,opd_tujuan")
    page.wait_for_function(f"() => ({PROPERTY_OF})(['putuskan_usulan_desa', 'batchMatch']) === 'tahun_rkpd,opd_tujuan'")
    page.fill("#bio-properties-panel-alur-public-status", "Usulan sedang diputuskan musyawarah desa")
    page.wait_for_function(f"() => ({PROPERTY_OF})(['putuskan_usulan_desa', 'publicStatus']) !== null")
    saved = page.evaluate("() => window.alurXml()")
    lines = list(difflib.unified_diff(old_xml.splitlines(), saved.splitlines(), lineterm="", n=0))
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    assert added == ['<spiffworkflow:property name="batchMatch" value="tahun_rkpd,opd_tujuan"/>',
                     '<spiffworkflow:property name="publicStatus" value="Usulan sedang diputuskan musyawarah desa"/>']
    assert [line for line in removed if line and not line.startswith("<!--")] == [
        '<spiffworkflow:property name="batchMatch" value="tahun_rkpd"/>']


def test_the_form_editor_previews_the_schema_as_staff_see_it_and_a_new_form_can_be_made(served, new_page):
    page = analyst_page(new_page)
    page.goto("/analis/musrenbang/ubah")
    page.wait_for_selector("#modeler[data-siap=ok]")
    select(page, "verifikasi_rw")
    page.wait_for_selector("#editor-formulir:not([hidden])")
    assert "forms/musrenbang/verifikasi_rw.schema.json" in page.inner_text("#nama-formulir")
    page.wait_for_selector("#pratinjau-formulir[data-status=ok] [name=keputusan_rw]")
    schema = page.input_value("#isi-formulir")
    edited = schema.replace('"Keputusan musyawarah RW"', '"Keputusan rapat RW"', 1)
    assert edited != schema
    page.fill("#isi-formulir", edited)
    page.wait_for_selector("#pratinjau-formulir :has-text('Keputusan rapat RW')")
    page.fill("#isi-formulir", "{ bukan json")
    page.wait_for_selector("#pratinjau-formulir[data-status=galat]")
    page.wait_for_function("() => document.getElementById('daftar-temuan').dataset.galat !== '0'")
    assert page.locator("#tabel-temuan tr[data-element=verifikasi_rw]").count() >= 1  # the server lint saw the form



def test_a_new_procedure_gets_a_role_a_step_and_a_new_form_and_deploys_as_version_1(served, new_page):
    _url, app = served
    page = analyst_page(new_page)
    page.goto("/analis")
    page.click("#tautan-baru")
    page.wait_for_selector("#modeler[data-siap=ok]")
    page.wait_for_selector("#tabel-temuan tr[data-element=lane_pemohon]")  # a lane without a role is an error
    page.fill("#i-nama-berkas", "izin_keramaian.bpmn")
    select(page, "pool_proses_baru")
    page.fill("#bio-properties-panel-processId", "izin_keramaian")
    select(page, "lane_pemohon")
    page.wait_for_selector("#bio-properties-panel-alur-lane-role option[value='Ketua RT']", state="attached")
    assert "Ketua RW" in page.locator("#bio-properties-panel-alur-lane-role option").all_inner_texts()  # the known roles
    page.select_option("#bio-properties-panel-alur-lane-role", "Ketua RT")
    page.evaluate("""() => { const m = window.alurModeler; const start = m.get('elementRegistry').get('mulai');
        const task = m.get('modeling').appendShape(start, { type: 'bpmn:UserTask' }, { x: start.x + 160, y: start.y + 18 });
        m.get('modeling').updateProperties(task, { id: 'periksa_permohonan', name: 'Periksa permohonan' }); }""")
    select(page, "periksa_permohonan")
    page.wait_for_selector("#editor-formulir:not([hidden]) #buat-formulir:not([hidden])")
    page.click("#buat-formulir")
    page.wait_for_selector("#pratinjau-formulir[data-status=ok] [name=catatan]")
    assert page.input_value("#bio-properties-panel-alur-form") == "izin_keramaian/periksa_permohonan.schema.json"
    page.wait_for_selector("#modeler[data-lint=selesai]")
    page.wait_for_function("() => !document.querySelector('#tabel-temuan tr[data-element=lane_pemohon]')")

    page.click("#tombol-periksa")
    page.wait_for_selector("#hasil-periksa[data-hasil=lulus]")
    page.click("#tombol-pasang")
    page.wait_for_selector("#hasil-periksa[data-hasil=dipasang]")
    with app.app_context():
        ref = runtime().current("izin_keramaian")
        assert ref.number == 1 and "forms/izin_keramaian/periksa_permohonan.schema.json" in ref.version.sources
        assert "bpmn/izin_keramaian.bpmn" in ref.version.sources and ref.version.lanes == ["Ketua RT"]


def test_a_lane_naming_a_new_role_is_refused_until_the_analyst_ticks_create_roles_then_deploys(served, new_page):
    _url, app = served
    page = analyst_page(new_page)
    page.goto("/analis/baru")
    page.wait_for_selector("#modeler[data-siap=ok]")
    page.fill("#i-nama-berkas", "izin_peran_baru.bpmn")
    select(page, "pool_proses_baru")
    page.fill("#bio-properties-panel-processId", "izin_peran_baru")
    page.evaluate("""() => { const m = window.alurModeler;
        m.get('modeling').updateProperties(m.get('elementRegistry').get('lane_pemohon'), { name: 'Peran Baru QA' }); }""")

    page.click("#tombol-periksa")
    page.wait_for_selector("#hasil-periksa[data-hasil=ditolak]")
    assert "peran yang belum ada: Peran Baru QA" in page.inner_text("#hasil-periksa")
    assert "buat peran yang belum ada" in page.inner_text("#hasil-periksa").lower()
    page.check("#i-buat-peran")  # the option the refusal names is on this page, beside the button
    page.click("#tombol-periksa")
    page.wait_for_selector("#hasil-periksa[data-hasil=lulus]")
    page.click("#tombol-pasang")
    page.wait_for_selector("#hasil-periksa[data-hasil=dipasang]")
    with app.app_context():
        assert runtime().current("izin_peran_baru").version.lanes == ["Peran Baru QA"]
        assert db.session.execute(db.select(Role.name).filter_by(name="Peran Baru QA")).scalar_one() == "Peran Baru QA"


def test_a_script_the_sandbox_refuses_is_flagged_while_it_is_typed_and_clears_when_fixed(served, new_page):
    page = analyst_page(new_page)
    page.goto("/analis/musrenbang/ubah")
    page.wait_for_selector("#modeler[data-lint=selesai]")
    select(page, "verifikasi_rw")
    script = page.input_value("#bio-properties-panel-alur-post-script")
    assert script.startswith("# Catat keputusan tingkat rw")

    page.fill("#bio-properties-panel-alur-post-script", "import os\n" + script)
    page.wait_for_selector("#temuan-elemen:not([hidden])")
    assert "import tidak diizinkan" in page.inner_text("#temuan-elemen")  # beside the field being typed in
    assert page.locator(".lencana-temuan[data-element=verifikasi_rw]").count() == 1

    page.fill("#bio-properties-panel-alur-post-script", script)
    page.wait_for_selector("#temuan-elemen", state="hidden")
    assert page.get_attribute("#daftar-temuan", "data-galat") == "0"
