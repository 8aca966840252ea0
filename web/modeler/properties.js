// The properties panel group "Alur": what the engine reads from a diagram, edited with undoable commands.
import { h } from '@bpmn-io/properties-panel/preact';
import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { getBodyExtension, getProperty, setBodyExtension, setProperty } from './extensions';
import { getLoopRef, setLoopRef } from './loopdata';
import { store } from './store';

const TIMER_HELP = 'Ekspresi Python di sandbox. Tanggal: variabel seperti batas_respon_awal, atau ' +
  'end_of_office_day(add_working_days(diterima_pada, 5)) = akhir jam kantor hari kerja ke-5 ' +
  '(libur nasional, cuti bersama dan hari_libur.json dilewati). Durasi: "P3D" (3 hari), "PT4H" (4 jam), dalam tanda kutip.';

function services() {
  return { bpmnFactory: useService('bpmnFactory'), commandStack: useService('commandStack') };
}

function propertyEntry(name, label, description) {
  function Entry(props) {
    const svc = services();
    return h(TextFieldEntry, {
      element: props.element, id: props.id, label, description, debounce: useService('debounceInput'),
      getValue: (el) => getProperty(el, name) || '',
      setValue: (value) => setProperty(props.element, name, (value || '').trim(), svc)
    });
  }
  return Entry;
}

// A property chosen from a list; `options()` gives it afresh each render (the form files change as forms are made).
function choiceEntry(name, label, description, options) {
  function Entry(props) {
    const svc = services();
    return h(SelectEntry, {
      element: props.element, id: props.id, label, description,
      getValue: (el) => getProperty(el, name) || '',
      setValue: (value) => setProperty(props.element, name, value, svc),
      getOptions: (el) => {
        // a value written into the XML by hand stays visible and selected instead of showing as the default
        const current = getProperty(el, name);
        const listed = options();
        return current && !listed.some((o) => o.value === current) ? [ ...listed, { value: current, label: current } ] : listed;
      }
    });
  }
  return Entry;
}

function formFileEntry(name, label, suffix) {
  return choiceEntry(name, label, undefined, () => [
    { value: '', label: '(tanpa formulir)' },
    ...Object.keys(store.forms).filter((p) => p.endsWith(suffix)).sort().map((p) => ({ value: p, label: p }))
  ]);
}

function scriptEntry(type, label) {
  function Entry(props) {
    const svc = services();
    return h(TextAreaEntry, {
      element: props.element, id: props.id, label, monospace: true, rows: 6, debounce: useService('debounceInput'),
      description: 'Diperiksa sandbox server selagi diketik (temuan tampil di atas panel).',
      getValue: (el) => getBodyExtension(el, type) || '',
      setValue: (value) => setBodyExtension(props.element, type, value, svc)
    });
  }
  return Entry;
}

function ScriptTaskEntry(props) {
  const modeling = useService('modeling');
  return h(TextAreaEntry, {
    element: props.element, id: props.id, label: 'Script (Python, sandbox)', monospace: true, rows: 8,
    debounce: useService('debounceInput'),
    description: 'Diperiksa sandbox server selagi diketik: impor, open(), atribut berawalan _ ditolak.',
    getValue: (el) => getBusinessObject(el).get('script') || '',
    setValue: (value) => modeling.updateProperties(props.element, { script: value || undefined, scriptFormat: 'python' })
  });
}

function LaneRoleEntry(props) {
  const modeling = useService('modeling');
  return h(SelectEntry, {
    element: props.element, id: props.id, label: 'Peran',
    description: 'Tugas di lajur ini tampil di kotak tugas pemegang peran ini.',
    getValue: (el) => getBusinessObject(el).get('name') || '',
    setValue: (value) => modeling.updateProperties(props.element, { name: value }),
    getOptions: (el) => {
      const current = getBusinessObject(el).get('name');
      const roles = [ ...store.roles ];
      if (current && !roles.includes(current)) { roles.push(current); }
      return [ { value: '', label: '(pilih peran)' }, ...roles.sort().map((r) => ({ value: r, label: r })) ];
    }
  });
}

function timerDefinition(element) {
  const defs = getBusinessObject(element).get('eventDefinitions') || [];
  return defs.find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerKind(def) {
  return [ 'timeDate', 'timeDuration', 'timeCycle' ].find((k) => def.get(k)) || 'timeDate';
}

function TimerKindEntry(props) {
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  return h(SelectEntry, {
    element: props.element, id: props.id, label: 'Jenis timer',
    getValue: () => timerKind(timerDefinition(props.element)),
    setValue: (kind) => {
      const def = timerDefinition(props.element);
      const old = timerKind(def);
      if (kind === old) { return; }
      const expr = def.get(old) || bpmnFactory.create('bpmn:FormalExpression', { body: '' });
      expr.$parent = def;
      commandStack.execute('element.updateModdleProperties', {
        element: props.element, moddleElement: def, properties: { [old]: undefined, [kind]: expr }
      });
    },
    getOptions: () => [
      { value: 'timeDate', label: 'Tanggal (timeDate)' },
      { value: 'timeDuration', label: 'Durasi (timeDuration)' },
      { value: 'timeCycle', label: 'Berulang (timeCycle)' }
    ]
  });
}

function TimerExpressionEntry(props) {
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  return h(TextAreaEntry, {
    element: props.element, id: props.id, label: 'Ekspresi timer', monospace: true, rows: 2,
    debounce: useService('debounceInput'), description: TIMER_HELP,
    getValue: () => {
      const def = timerDefinition(props.element);
      const expr = def.get(timerKind(def));
      return expr ? expr.get('body') || '' : '';
    },
    setValue: (value) => {
      const def = timerDefinition(props.element);
      const kind = timerKind(def);
      const expr = def.get(kind);
      if (expr) {
        commandStack.execute('element.updateModdleProperties', {
          element: props.element, moddleElement: expr, properties: { body: value }
        });
      } else {
        const created = bpmnFactory.create('bpmn:FormalExpression', { body: value });
        created.$parent = def;
        commandStack.execute('element.updateModdleProperties', {
          element: props.element, moddleElement: def, properties: { [kind]: created }
        });
      }
    }
  });
}

// The expression of "n working days after a moment, at the end of the office day", written for the analyst.
export function workingDaysExpression(base, days) {
  return `end_of_office_day(add_working_days(${base}, ${days}))`;
}

function WorkingDaysHelper(props) {
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const [ days, setDays ] = useState('5');
  const [ base, setBase ] = useState('now()');
  const apply = () => {
    const n = parseInt(days, 10);
    if (!(n >= 0) || !base.trim()) { return; }
    const def = timerDefinition(props.element);
    const old = timerKind(def);
    const expr = bpmnFactory.create('bpmn:FormalExpression', { body: workingDaysExpression(base.trim(), n) });
    expr.$parent = def;
    commandStack.execute('element.updateModdleProperties', {
      element: props.element, moddleElement: def,
      properties: old === 'timeDate' ? { timeDate: expr } : { [old]: undefined, timeDate: expr }
    });
  };
  return h('div', { class: 'bio-properties-panel-entry pembantu-hari-kerja', 'data-entry-id': props.id }, [
    h('label', { class: 'bio-properties-panel-label', for: 'alur-hari-kerja-n' }, 'Pembantu hari kerja'),
    h('div', { class: 'pembantu-baris' }, [
      h('input', { id: 'alur-hari-kerja-n', class: 'bio-properties-panel-input', type: 'number', min: '0', max: '3650',
        value: days, onInput: (e) => setDays(e.target.value), 'aria-label': 'Jumlah hari kerja' }),
      h('span', null, ' hari kerja sesudah '),
      h('input', { id: 'alur-hari-kerja-dari', class: 'bio-properties-panel-input', type: 'text', value: base,
        onInput: (e) => setBase(e.target.value), 'aria-label': 'Sejak (variabel atau ekspresi)' }),
      h('button', { type: 'button', id: 'alur-hari-kerja-pakai', class: 'bio-properties-panel-add-entry', onClick: apply },
        'Pakai')
    ]),
    h('div', { class: 'bio-properties-panel-description' },
      `Menulis ${workingDaysExpression('diterima_pada', 5)}: akhir jam kantor (16:00) hari kerja ke-5 sesudah diterima_pada.`)
  ]);
}

function ConditionEntry(props) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  return h(TextAreaEntry, {
    element: props.element, id: props.id, label: 'Kondisi (ekspresi Python)', monospace: true, rows: 2,
    debounce: useService('debounceInput'),
    description: 'Contoh: keputusan_rw == "terima". Kosong: alur tanpa kondisi.',
    getValue: (el) => {
      const expr = getBusinessObject(el).get('conditionExpression');
      return expr ? expr.get('body') || '' : '';
    },
    setValue: (value) => {
      const bo = getBusinessObject(props.element);
      const expr = bo.get('conditionExpression');
      if (!value) {
        modeling.updateProperties(props.element, { conditionExpression: undefined });
      } else if (expr) {
        commandStack.execute('element.updateModdleProperties', {
          element: props.element, moddleElement: expr, properties: { body: value }
        });
      } else {
        modeling.updateProperties(props.element, {
          conditionExpression: bpmnFactory.create('bpmn:FormalExpression', { body: value })
        });
      }
    }
  });
}

function DefaultFlowEntry(props) {
  const modeling = useService('modeling');
  const registry = useService('elementRegistry');
  return h(SelectEntry, {
    element: props.element, id: props.id, label: 'Alur default',
    description: 'Diambil bila tidak ada kondisi yang benar.',
    getValue: (el) => { const d = getBusinessObject(el).get('default'); return d ? d.id : ''; },
    setValue: (value) => {
      const flow = value ? registry.get(value) : null;
      modeling.updateProperties(props.element, { default: flow ? getBusinessObject(flow) : undefined });
    },
    getOptions: (el) => [ { value: '', label: '(tanpa default)' },
      ...(getBusinessObject(el).get('outgoing') || []).map((f) => ({ value: f.id, label: f.name ? `${f.name} (${f.id})` : f.id })) ]
  });
}

// The steps a person completes whose form, unit, public words and batch settings the panel edits.
function isHumanStep(element) {
  return is(element, 'bpmn:UserTask') || is(element, 'bpmn:ManualTask');
}

// Where an instance waits for another process's message (the engine lists every catch with a message
// definition, receive tasks included): correlation, shared fields and the public words are read there.
function isMessageCatch(element) {
  if (is(element, 'bpmn:ReceiveTask')) { return true; }
  const defs = is(element, 'bpmn:CatchEvent') ? getBusinessObject(element).get('eventDefinitions') || [] : [];
  return defs.some((d) => is(d, 'bpmn:MessageEventDefinition'));
}

// A batch step (api/services/messages.py): the forum's step deciding, in one list, every case waiting at a catch.
const BATCH_PROPERTIES = [
  [ 'alur-batch-of', 'batchOf', 'Kasus yang diputuskan (batchOf)',
    'Tempat kasus menunggu, ditulis <proses>.<id receive task>, mis. musrenbang.tunggu_musyawarah_desa.' ],
  [ 'alur-batch-field', 'batchField', 'Isian daftar (batchField)',
    'Isian daftar di formulir langkah ini yang diisi satu baris per kasus yang menunggu.' ],
  [ 'alur-batch-match', 'batchMatch', 'Isian yang harus sama (batchMatch)',
    'Isian (dipisah koma) yang nilainya harus sama di data langkah ini dan di kasus yang menunggu, mis. tahun_rkpd.' ],
  [ 'alur-batch-score', 'batchScore', 'Kolom skor (batchScore)', 'Kolom baris yang mengurutkan daftar, skor tertinggi di atas.' ],
  [ 'alur-batch-rank', 'batchRank', 'Kolom peringkat (batchRank)',
    'Kolom baris yang diberi nomor 1..n; saat diselesaikan setiap peringkat harus unik.' ]
];

function isMultiInstance(element) {
  const loop = getBusinessObject(element).get('loopCharacteristics');
  return Boolean(loop && is(loop, 'bpmn:MultiInstanceLoopCharacteristics'));
}

// The loop's collection variables as plain text (what SpiffWorkflow reads), through an undoable command.
function loopRefEntry(kind, label, description) {
  function Entry(props) {
    const commandStack = useService('commandStack');
    return h(TextFieldEntry, {
      element: props.element, id: props.id, label, description, debounce: useService('debounceInput'),
      getValue: (el) => getLoopRef(getBusinessObject(el), kind) || '',
      setValue: (value) => commandStack.execute('alur.updateLoopRef', { element: props.element, kind, value: (value || '').trim() })
    });
  }
  return Entry;
}

class UpdateLoopRefHandler {
  execute(context) {
    const bo = getBusinessObject(context.element);
    context.old = getLoopRef(bo, context.kind);
    setLoopRef(bo, context.kind, context.value);
    return [ context.element ];
  }

  revert(context) {
    setLoopRef(getBusinessObject(context.element), context.kind, context.old === undefined ? '' : context.old);
    return [ context.element ];
  }
}

function AlurLoopRefCommands(commandStack) {
  commandStack.registerHandler('alur.updateLoopRef', UpdateLoopRefHandler);
}
AlurLoopRefCommands.$inject = [ 'commandStack' ];

function entries(element) {
  const bo = getBusinessObject(element);
  const list = [];
  const add = (id, component, isEdited = isTextFieldEntryEdited) => list.push({ id, component, element, isEdited });
  if (isHumanStep(element) || is(element, 'bpmn:StartEvent')) {
    add('alur-form', formFileEntry('formJsonSchemaFilename', 'Formulir (JSON Schema)', '.schema.json'), isSelectEntryEdited);
    add('alur-ui-form', formFileEntry('formUiSchemaFilename', 'Tata letak formulir (UI schema)', '.uischema.json'), isSelectEntryEdited);
  }
  if (isHumanStep(element)) {
    add('alur-unit', propertyEntry('unitField', 'Isian unit tujuan (unitField)',
      'Nama isian data yang memuat kode unit penerima tugas; kosong: semua pemegang peran.'));
    add('alur-public-status', propertyEntry('publicStatus', 'Status untuk publik (publicStatus)',
      'Kalimat sederhana yang dibaca publik di halaman lacak selama langkah ini menunggu; kosong: langkah internal, tidak ditampilkan.'));
    BATCH_PROPERTIES.forEach(([ id, name, label, description ]) => add(id, propertyEntry(name, label, description)));
  }
  if (isMessageCatch(element)) {
    add('alur-correlation', propertyEntry('correlationField', 'Isian korelasi (correlationField)',
      'Isian data yang nilainya harus dibawa pesan dengan kunci yang sama agar sampai ke kasus ini, mis. kode_lacak.'));
    add('alur-batch-fields', propertyEntry('batchFields', 'Isian yang ditampilkan (batchFields)',
      'Isian data (dipisah koma) yang ditampilkan kepada langkah yang memutuskan kasus yang menunggu di sini.'));
    add('alur-public-status', propertyEntry('publicStatus', 'Status untuk publik (publicStatus)',
      'Kalimat untuk halaman lacak publik selama kasus menunggu di sini ({isian} diisi dari batchFields); kosong: nama langkah yang tampil.'));
  }
  if (is(element, 'bpmn:EndEvent') && is(bo.$parent, 'bpmn:Process')) {
    add('alur-public-status', propertyEntry('publicStatus', 'Hasil untuk publik (publicStatus)',
      'Kalimat hasil akhir di halaman lacak publik bila kasus selesai di sini ({isian} diisi dari data akhir); kosong: hanya "selesai".'));
  }
  if (is(element, 'bpmn:StartEvent') && is(bo.$parent, 'bpmn:Process')) {
    add('alur-region', propertyEntry('regionField', 'Isian wilayah (regionField)', 'Isian formulir awal yang memuat kode wilayah.'));
    add('alur-title', propertyEntry('titleField', 'Isian judul (titleField)', 'Isian yang menjadi judul kasus di kotak tugas.'));
    add('alur-received', propertyEntry('receivedField', 'Isian waktu diterima (receivedField)',
      'Isian formulir awal (date-time) yang memuat saat kasus diterima, ditampilkan di halaman lacak publik.'));
    add('alur-unique-start', propertyEntry('uniqueStart', 'Isian yang tidak boleh berulang (uniqueStart)',
      'Isian data (dipisah koma) yang nilainya tidak boleh sama dengan kasus proses ini yang berjalan atau selesai, mis. wilayah,tahun_rkpd.'));
    add('alur-unique-start-while', choiceEntry('uniqueStartWhile', 'Isian tidak boleh berulang selama (uniqueStartWhile)',
      'Kasus mana yang menahan nilai isian uniqueStart; kasus yang dibatalkan tidak pernah menahannya.', () => [
        { value: '', label: 'kasus berjalan dan selesai' },
        { value: 'open', label: 'kasus masih berjalan (open): berikutnya boleh setelah selesai' }
      ]), isSelectEntryEdited);
    add('alur-public', propertyEntry('publicStart', 'Dapat dimulai publik (publicStart)', 'Isi "true" agar warga dapat memulai tanpa masuk.'));
  }
  if (is(element, 'bpmn:Task') && !is(element, 'bpmn:ScriptTask')) {
    add('alur-pre-script', scriptEntry('spiffworkflow:PreScript', 'Script sebelum (preScript)'), isTextAreaEntryEdited);
    add('alur-post-script', scriptEntry('spiffworkflow:PostScript', 'Script sesudah (postScript)'), isTextAreaEntryEdited);
  }
  if (is(element, 'bpmn:ScriptTask')) {
    add('alur-script', ScriptTaskEntry, isTextAreaEntryEdited);
  }
  if (is(element, 'bpmn:Lane')) {
    add('alur-lane-role', LaneRoleEntry, isSelectEntryEdited);
  }
  if (is(element, 'bpmn:Event') && timerDefinition(element)) {
    add('alur-timer-kind', TimerKindEntry, isSelectEntryEdited);
    add('alur-timer', TimerExpressionEntry, isTextAreaEntryEdited);
    add('alur-timer-helper', WorkingDaysHelper, () => false);
  }
  if (is(element, 'bpmn:SequenceFlow') && bo.sourceRef &&
      (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'))) {
    add('alur-condition', ConditionEntry, isTextAreaEntryEdited);
  }
  if (is(element, 'bpmn:ExclusiveGateway') || is(element, 'bpmn:InclusiveGateway')) {
    add('alur-default', DefaultFlowEntry, isSelectEntryEdited);
  }
  if (is(element, 'bpmn:Activity') && isMultiInstance(element)) {
    add('alur-loop-input', loopRefEntry('input', 'Koleksi masukan (loopDataInputRef)',
      'Nama variabel data berisi daftar yang diulang: langkah ini dijalankan sekali per butir.'));
    add('alur-loop-output', loopRefEntry('output', 'Koleksi keluaran (loopDataOutputRef)',
      'Nama variabel data tempat hasil tiap putaran dikumpulkan.'));
  }
  return list;
}

class AlurPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (all) => {
      // bpmn-js's own timer group edits the same expression without the sandbox's rules or the helper: ours replaces it
      const groups = all.filter((g) => g.id !== 'timer');
      const general = groups.find((g) => g.id === 'general');
      if (general) { general.shouldOpen = true; } // name and id are what analysts change most
      const alur = entries(element);
      if (alur.length) {
        groups.splice(1, 0, { id: 'alur', label: 'Alur', entries: alur, shouldOpen: true });
      }
      return groups;
    };
  }
}
AlurPropertiesProvider.$inject = [ 'propertiesPanel' ];

export default {
  __init__: [ 'alurPropertiesProvider', 'alurLoopRefCommands' ],
  alurPropertiesProvider: [ 'type', AlurPropertiesProvider ],
  alurLoopRefCommands: [ 'type', AlurLoopRefCommands ]
};
