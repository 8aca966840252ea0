// The analysts' modeler: bpmn-js with Alur's properties, live lint (bpmnlint + the server's lint),
// a form editor with the staff's preview, and saving through the deploy gate (lint, dry run, confirm).
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import Linter from 'bpmnlint/lib/linter';
import StaticResolver from 'bpmnlint/lib/resolver/static-resolver';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { cache, config } from './bpmnlint-rules';
import { getProperty, setProperty } from './extensions';
import { rememberLoopRefs, takeLoopRefs, withLoopRefs } from './loopdata';
import { lintMessage, translate } from './messages';
import alurProperties from './properties';
import spiffworkflow from './spiffworkflow.json';
import { store } from './store';

const LINT_DELAY_MS = 400;
const data = JSON.parse(document.getElementById('data-modeler').textContent);
store.forms = data.forms || {};
store.folder = data.folder || '';

const $ = (id) => document.getElementById(id);
const root = $('modeler');

const modeler = new BpmnModeler({
  container: '#kanvas',
  propertiesPanel: { parent: '#panel-properti' },
  additionalModules: [
    BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, alurProperties,
    { translate: [ 'value', translate ] }
  ],
  moddleExtensions: { spiffworkflow }
});

let findings = [];
let lintRound = 0;
let lintTimer = null;
let selected = null;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function fileName() {
  return data.file || ($('i-nama-berkas').value || '').trim();
}

function editedForms() {
  const out = {};
  store.edited.forEach((path) => { out[path] = store.forms[path]; });
  return out;
}

function post(url, fields) {
  const body = new FormData();
  body.append('csrf_token', data.csrf);
  Object.entries(fields).forEach(([ k, v ]) => body.append(k, v));
  return fetch(url, { method: 'POST', body, credentials: 'same-origin' }).then((response) => {
    const type = response.headers.get('Content-Type') || '';
    if (!type.includes('json')) {
      throw new Error(`HTTP ${response.status}`);
    }
    return response.json().then((json) => ({ status: response.status, json }));
  });
}

let originalXml = '';
const DEFINITIONS_TAG = /<bpmn:definitions\b[^>]*>/;

function attributesOf(tag) {
  const doc = new DOMParser().parseFromString(`${tag}</bpmn:definitions>`, 'application/xml');
  const el = doc.documentElement;
  return JSON.stringify(Array.from(el.attributes).map((a) => [ a.name, a.value ]).sort());
}

// bpmn-js's XML, written the way the diagrams here are: "/>" without a space, and the opening tag of the
// definitions as the file had it when it says the same. A text diff with the previous file then shows the edit.
let diOrder = new Map();
const DI_BLOCK = /^ *<bpmndi:(BPMNShape|BPMNEdge)\b[^>]*?(?:\/>|>[\s\S]*?<\/bpmndi:\1>)\r?\n/gm;
const PLANE_BODY = /(<bpmndi:BPMNPlane\b[^>]*>\r?\n)([\s\S]*?)(^ *<\/bpmndi:BPMNPlane>)/m;

function diElementOf(block) {
  const found = block.match(/bpmnElement="([^"]+)"/);
  return found ? found[1] : block;
}

// The order of shapes and edges in the file as it was opened: bpmn-js's import reorders some (lanes).
function rememberDiOrder(xml) {
  const body = xml.match(PLANE_BODY);
  diOrder = new Map(((body && body[2].match(DI_BLOCK)) || []).map((block, i) => [ diElementOf(block), i ]));
}

// The saved plane's shapes and edges in the file's order, new ones last in bpmn-js's order.
function inFileOrder(xml) {
  return xml.replace(PLANE_BODY, (all, open, body, close) => {
    const blocks = body.match(DI_BLOCK) || [];
    if (blocks.join('') !== body) { return all; } // something else in the plane: leave it as bpmn-js wrote it
    const rank = (block) => (diOrder.has(diElementOf(block)) ? diOrder.get(diElementOf(block)) : Number.MAX_SAFE_INTEGER);
    return open + blocks.map((block, i) => [ block, i ])
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([ block ]) => block).join('') + close;
  });
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  let out = inFileOrder(withLoopRefs(xml.replace(/ \/>$/gm, '/>'), modeler.getDefinitions()));
  const before = originalXml.match(DEFINITIONS_TAG);
  const after = out.match(DEFINITIONS_TAG);
  if (before && after && before[0] !== after[0] && attributesOf(before[0]) === attributesOf(after[0])) {
    out = out.replace(after[0], () => before[0]);
  }
  return out;
}

// Edits after a deploy are unsaved again; leaving the page with unsaved edits asks first.
function markEdited() {
  root.dataset.diubah = '1';
  if ($('hasil-periksa').dataset.hasil === 'dipasang') { $('hasil-periksa').dataset.hasil = ''; }
}

// -- live lint ---------------------------------------------------------------------------

function scheduleLint() {
  clearTimeout(lintTimer);
  root.dataset.lint = 'menunggu';
  lintTimer = setTimeout(runLint, LINT_DELAY_MS);
}

async function runLint() {
  const round = ++lintRound;
  const local = [];
  try {
    // A fresh linter each round: bpmnlint's rules keep state between runs of one linter.
    const linter = new Linter({ config, resolver: new StaticResolver(cache) });
    const reports = await linter.lint(modeler.getDefinitions());
    Object.entries(reports).forEach(([ rule, items ]) => items.forEach((r) => local.push({
      element: r.id, message: lintMessage(r.message), level: r.category === 'error' ? 'galat' : 'peringatan',
      source: `bpmnlint (${rule})`
    })));
  } catch (error) {
    local.push({ element: null, message: `bpmnlint gagal: ${error.message}`, level: 'peringatan', source: 'bpmnlint' });
  }
  let server = [];
  try {
    const answer = await post(data.urls.lint, { xml: await currentXml(), berkas: fileName() || 'proses.bpmn',
      formulir: JSON.stringify(editedForms()) });
    server = (answer.json.problems || []).map((p) => ({
      element: p.element, message: p.message, level: 'galat', source: 'pemeriksaan Alur', line: p.line, file: p.file
    }));
  } catch (error) {
    server = [ { element: null, message: `pemeriksaan server tidak terjangkau: ${error.message}`, level: 'peringatan', source: 'pemeriksaan Alur' } ];
  }
  if (round !== lintRound) { return; } // a newer edit started another round
  findings = [ ...server, ...local ];
  showFindings();
  root.dataset.lint = 'selesai';
}

function showFindings() {
  const overlays = modeler.get('overlays');
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  overlays.remove({ type: 'alur-temuan' });
  registry.getAll().forEach((el) => { canvas.removeMarker(el, 'alur-temuan-galat'); canvas.removeMarker(el, 'alur-temuan-peringatan'); });
  const byElement = {};
  findings.forEach((f) => { if (f.element && registry.get(f.element)) { (byElement[f.element] = byElement[f.element] || []).push(f); } });
  Object.entries(byElement).forEach(([ id, list ]) => {
    const level = list.some((f) => f.level === 'galat') ? 'galat' : 'peringatan';
    canvas.addMarker(id, `alur-temuan-${level}`);
    const el = registry.get(id);
    if (el.waypoints) { return; } // flows: the marker colours them; a badge would hide the line
    overlays.add(id, 'alur-temuan', {
      position: { top: -12, right: 12 },
      html: `<div class="lencana-temuan ${level}" data-element="${escapeHtml(id)}" title="${escapeHtml(list.map((f) => f.message).join('\n'))}">${list.length}</div>`
    });
  });
  const errors = findings.filter((f) => f.level === 'galat').length;
  const box = $('daftar-temuan');
  box.dataset.galat = String(errors);
  box.dataset.jumlah = String(findings.length);
  $('ringkas-temuan').textContent = findings.length
    ? `${errors} kesalahan, ${findings.length - errors} peringatan` : 'Tidak ada temuan pemeriksaan.';
  $('tabel-temuan').innerHTML = findings.map((f) => `<tr data-element="${escapeHtml(f.element || '')}" class="${f.level}">` +
    `<td>${f.element ? `<a href="#" data-pilih="${escapeHtml(f.element)}"><code>${escapeHtml(f.element)}</code></a>` : '-'}</td>` +
    `<td>${f.level === 'galat' ? 'kesalahan' : escapeHtml(f.level)}</td><td>${escapeHtml(f.message)}</td><td>${escapeHtml(f.source)}${f.line ? ` · baris ${f.line}` : ''}</td></tr>`).join('');
  showElementFindings();
}

function showElementFindings() {
  const box = $('temuan-elemen');
  const id = selected && selected.id;
  const list = findings.filter((f) => id && f.element === id);
  box.hidden = !list.length;
  box.innerHTML = list.map((f) => `<p class="${f.level}">${escapeHtml(f.message)}</p>`).join('');
}

$('tabel-temuan').addEventListener('click', (event) => {
  const link = event.target.closest('[data-pilih]');
  if (!link) { return; }
  event.preventDefault();
  const el = modeler.get('elementRegistry').get(link.dataset.pilih);
  if (el) { modeler.get('selection').select(el); modeler.get('canvas').scrollToElement(el); }
});

// -- the form editor ---------------------------------------------------------------------

let previewTimer = null;

function formOwner(element) {
  return element && (is(element, 'bpmn:UserTask') || is(element, 'bpmn:ManualTask') || is(element, 'bpmn:StartEvent'))
    ? element : null;
}

function showFormEditor() {
  const owner = formOwner(selected);
  const editor = $('editor-formulir');
  if (!owner) { editor.hidden = true; return; }
  editor.hidden = false;
  const path = getProperty(owner, 'formJsonSchemaFilename');
  $('nama-formulir').textContent = path ? `forms/${path}` : 'belum ada formulir';
  $('buat-formulir').hidden = Boolean(path && store.forms[path] !== undefined);
  $('isi-formulir').hidden = !path || store.forms[path] === undefined;
  $('isi-formulir').value = path && store.forms[path] !== undefined ? store.forms[path] : '';
  $('pratinjau-formulir').innerHTML = '';
  if (path && store.forms[path] !== undefined) { schedulePreview(); }
}

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(runPreview, LINT_DELAY_MS);
}

async function runPreview() {
  const owner = formOwner(selected);
  const path = owner && getProperty(owner, 'formJsonSchemaFilename');
  if (!path) { return; }
  const ui = getProperty(owner, 'formUiSchemaFilename');
  const box = $('pratinjau-formulir');
  try {
    const answer = await post(data.urls.preview, { skema: store.forms[path] || '', ui: ui ? store.forms[ui] || '' : '',
      berkas: path });
    box.innerHTML = answer.json.html; // rendered and escaped by the server's form templates
    box.dataset.status = answer.json.ok ? 'ok' : 'galat';
  } catch (error) {
    box.textContent = `Pratinjau gagal: ${error.message}`;
    box.dataset.status = 'galat';
  }
}

$('isi-formulir').addEventListener('input', () => {
  markEdited();
  const path = getProperty(selected, 'formJsonSchemaFilename');
  store.setForm(path, $('isi-formulir').value);
  schedulePreview();
  scheduleLint();
});

$('buat-formulir').addEventListener('click', () => {
  const owner = formOwner(selected);
  if (!owner) { return; }
  const bo = getBusinessObject(owner);
  const folder = store.folder || (fileName().replace(/\.bpmn$/, ''));
  const path = getProperty(owner, 'formJsonSchemaFilename') || `${folder}/${bo.id}.schema.json`;
  const schema = { title: bo.name || bo.id, type: 'object', required: [ 'catatan' ],
    properties: { catatan: { type: 'string', title: 'Catatan', maxLength: 2000 } } };
  store.setForm(path, JSON.stringify(schema, null, 2) + '\n');
  setProperty(owner, 'formJsonSchemaFilename', path,
    { bpmnFactory: modeler.get('bpmnFactory'), commandStack: modeler.get('commandStack') });
  showFormEditor();
});

// -- saving: lint, dry run, confirm -----------------------------------------------------

function problemRows(problems) {
  return `<table class="tabel"><thead><tr><th>Berkas:baris</th><th>Elemen</th><th>Masalah</th></tr></thead><tbody>${
    problems.map((p) => `<tr><td><code>${escapeHtml(p.file)}${p.line ? `:${p.line}` : ''}</code></td>` +
      `<td>${p.element ? `<code>${escapeHtml(p.element)}</code>` : '-'}</td><td>${escapeHtml(p.message)}</td></tr>`).join('')
  }</tbody></table>`;
}

const CHANGE_FIELDS = { name: 'nama', lane: 'peran', form: 'formulir', ui_form: 'UI formulir', form_content: 'isian formulir',
  script: 'script', pre_script: 'pre-script', post_script: 'post-script', timer: 'ekspresi timer', kind: 'jenis', alur: 'alur' };

function changesHtml(changes) {
  if (changes === null) { return '<p id="rencana-perubahan" data-jumlah="baru">Prosedur baru: versi 1 akan dibuat.</p>'; }
  if (!changes.length) { return '<p id="rencana-perubahan" data-jumlah="0">Tidak ada langkah atau alur yang berubah (hanya tata letak atau teks lain).</p>'; }
  return `<p>Yang berubah dibanding versi yang berlaku:</p><ul id="rencana-perubahan" data-jumlah="${changes.length}">${
    changes.map((c) => `<li data-element="${escapeHtml(c.id)}">${escapeHtml(c.change)}: ${escapeHtml(c.title)} <code>${escapeHtml(c.id)}</code>` +
      `${c.fields.length ? ` (${escapeHtml(c.fields.map((f) => CHANGE_FIELDS[f] || f).join(', '))})` : ''}</li>`).join('')}</ul>`;
}

function planHtml(plan) {
  if (!plan) { return '<p>Prosedur baru: belum ada kasus.</p>'; }
  if (!plan.open) { return `${changesHtml(plan.changes)}<p id="rencana-ringkas" data-movable="0" data-refused="0">Tidak ada kasus berjalan pada versi lama.</p>`; }
  const reasons = plan.reasons.map(([ reason, n ]) => `<li>${n} × ${escapeHtml(reason)}</li>`).join('');
  const rows = plan.results.map((r) => `<tr data-instance="${r.instance_id}" data-hasil="${r.outcome}"><td>#${r.instance_id}</td>` +
    `<td>v${r.from_version}</td><td>${r.ok ? 'dapat dipindahkan' : 'tetap di versinya'}</td>` +
    `<td>${escapeHtml([ ...r.reasons, ...r.notes ].join('; ') || '-')}</td></tr>`).join('');
  return changesHtml(plan.changes) + `<p id="rencana-ringkas" data-movable="${plan.movable}" data-refused="${plan.refused}">Kasus berjalan pada versi lama: ` +
    `<strong>${plan.open}</strong>; dapat dipindahkan <strong>${plan.movable}</strong>, tetap di versinya ` +
    `<strong>${plan.refused}</strong>${plan.timers ? `; penanda waktu dihitung ulang pada ${plan.timers}` : ''}` +
    `${plan.total < plan.open ? ` (baru ${plan.total} yang diperiksa)` : ''}.</p>` +
    (reasons ? `<ul>${reasons}</ul>` : '') +
    (rows ? `<div class="gulir"><table class="tabel" id="rencana-instance"><thead><tr><th>Kasus</th><th>Versi</th><th>Rencana</th><th>Keterangan</th></tr></thead><tbody>${rows}</tbody></table></div>` : '');
}

// The check and the deploy both ask for it, so a check that passed by creating roles deploys the same way.
function createRoles() { return $('i-buat-peran') && $('i-buat-peran').checked ? '1' : ''; }

async function check() {
  const box = $('hasil-periksa');
  box.hidden = false;
  box.dataset.hasil = 'memeriksa';
  box.className = 'kotak info';
  box.innerHTML = 'Memeriksa: pemeriksaan diagram, lalu uji coba pemindahan kasus berjalan…';
  let answer;
  try {
    answer = await post(data.urls.check, { xml: await currentXml(), berkas: fileName(), proses: data.process_id || '',
      formulir: JSON.stringify(editedForms()), buat_peran: createRoles() });
  } catch (error) {
    box.className = 'kotak galat'; box.dataset.hasil = 'galat';
    box.textContent = `Pemeriksaan gagal: ${error.message}`;
    return;
  }
  const result = answer.json;
  if (!result.ok) {
    box.className = 'kotak galat'; box.dataset.hasil = 'ditolak';
    box.innerHTML = `<strong>${escapeHtml(result.message)}.</strong> Perbaiki lalu periksa lagi.${result.problems && result.problems.length ? problemRows(result.problems) : ''}`;
    return;
  }
  if (!result.changed) {
    box.className = 'kotak info'; box.dataset.hasil = 'sama';
    box.innerHTML = '<strong>Tidak ada perubahan:</strong> isi sama dengan versi yang berlaku.';
    return;
  }
  box.className = 'kotak sukses'; box.dataset.hasil = 'lulus';
  box.innerHTML = `<strong>Pemeriksaan lulus: ${escapeHtml(result.message)}.</strong>${planHtml(result.plan)}` +
    '<div class="isian"><label for="i-catatan">Catatan versi</label><textarea id="i-catatan" rows="2" maxlength="2000" placeholder="mengapa versi ini dibuat"></textarea></div>' +
    (result.plan && result.plan.movable ? '<div class="centang"><input id="i-pindahkan" type="checkbox" checked> <label for="i-pindahkan">Pindahkan kasus yang dapat dipindahkan ke versi baru (sesuai rencana di atas)</label></div>' : '') +
    '<p><button type="button" class="utama" id="tombol-pasang">Pasang versi ini</button> <button type="button" id="tombol-batal">Batal</button></p>';
  $('tombol-batal').addEventListener('click', () => { box.hidden = true; });
  $('tombol-pasang').addEventListener('click', deploy);
}

async function deploy() {
  const box = $('hasil-periksa');
  const move = $('i-pindahkan') ? $('i-pindahkan').checked : false;
  const note = $('i-catatan') ? $('i-catatan').value : '';
  $('tombol-pasang').disabled = true;
  let answer;
  try {
    answer = await post(data.urls.deploy, { xml: await currentXml(), berkas: fileName(), proses: data.process_id || '',
      formulir: JSON.stringify(editedForms()),
      catatan: note, pindahkan: move ? '1' : '', konfirmasi: '1', buat_peran: createRoles() });
  } catch (error) {
    box.className = 'kotak galat'; box.dataset.hasil = 'galat';
    box.textContent = `Pemasangan gagal: ${error.message}`;
    return;
  }
  const result = answer.json;
  if (!result.ok) {
    box.className = 'kotak galat'; box.dataset.hasil = 'ditolak';
    box.innerHTML = `<strong>${escapeHtml(result.message)}.</strong>${result.problems && result.problems.length ? problemRows(result.problems) : ''}`;
    $('tombol-pasang') && ($('tombol-pasang').disabled = false);
    return;
  }
  store.edited.clear();
  box.className = 'kotak sukses'; box.dataset.hasil = 'dipasang';
  // The page now edits the version just deployed: its heading says so, as after opening it afresh.
  const mine = (result.versions || []).find((v) => v.process_id === data.process_id && v.number);
  if (mine) {
    const heading = document.querySelector('h1');
    heading.textContent = heading.textContent.replace(/\(dari v\d+\)/, `(dari v${mine.number})`);
  }
  const links = (result.versions || []).filter((v) => v.number).map((v) =>
    `<li data-process="${escapeHtml(v.process_id)}"><code>${escapeHtml(v.process_id)}</code>: <span class="versi-baru">v${v.number}</span> berlaku` +
    ` · <a href="${escapeHtml(v.diagram_url)}">lihat diagram</a>${v.diff_url ? ` · <a href="${escapeHtml(v.diff_url)}">bandingkan</a>` : ''}</li>`).join('');
  const moved = result.migration;
  box.innerHTML = `<strong>Dipasang.</strong><ul>${links}</ul>` + (moved
    ? `<p id="hasil-pindah" data-moved="${moved.moved}" data-refused="${moved.refused}">${moved.moved} kasus dipindahkan ke versi baru; ` +
      `${moved.refused} tetap di versinya${moved.timers ? `; penanda waktu dihitung ulang pada ${moved.timers}` : ''}` +
      `${moved.left ? `; ${moved.left} belum diproses: pakai halaman beda untuk melanjutkan` : ''}.</p>`
    : '');
}

$('tombol-periksa').addEventListener('click', check);

// -- start --------------------------------------------------------------------------------

async function start() {
  try {
    const roles = await fetch(data.urls.roles, { credentials: 'same-origin' }).then((r) => r.json());
    store.roles = roles.roles || [];
  } catch (error) {
    store.roles = [];
  }
  try {
    const xml = data.xml_url
      ? await fetch(data.xml_url, { credentials: 'same-origin' }).then((r) => { if (!r.ok) { throw new Error(`HTTP ${r.status}`); } return r.text(); })
      : data.empty_xml;
    originalXml = xml;
    // the loop input/output variable names bpmn-moddle would drop as unresolved references: kept aside
    const loops = takeLoopRefs(xml);
    const { warnings } = await modeler.importXML(loops.xml);
    rememberLoopRefs(loops.refs, modeler.getDefinitions());
    window.alurImportWarnings = warnings.map((w) => w.message); // what bpmn-js could not read (the tests check it)
    if (warnings.length) { console.warn('peringatan impor', warnings); }
    modeler.get('canvas').zoom('fit-viewport');
    rememberDiOrder(xml);
  } catch (error) {
    $('kanvas').textContent = `Diagram gagal dibuka: ${error.message}`;
    root.dataset.siap = 'galat';
    return;
  }
  const eventBus = modeler.get('eventBus');
  eventBus.on('commandStack.changed', () => {
    markEdited();
    scheduleLint();
    showFormEditor();
  });
  eventBus.on('selection.changed', (event) => {
    selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
    showElementFindings();
    showFormEditor();
  });
  window.addEventListener('beforeunload', (event) => {
    if (root.dataset.diubah === '1' && $('hasil-periksa').dataset.hasil !== 'dipasang') { event.preventDefault(); event.returnValue = ''; }
  });
  window.alurModeler = modeler; // for the browser tests and the curious analyst's console
  window.alurXml = currentXml; // the XML as it would be saved
  root.dataset.siap = 'ok';
  runLint();
}

start();
