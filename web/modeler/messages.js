// bpmnlint's findings and the modeler's own words in Bahasa Indonesia; anything unknown stays as it is.
const LINT = [
  [ /^A <Start Event> is not allowed in <Ad Hoc Sub Process>$/, 'Start event tidak boleh ada di sub-proses ad hoc' ],
  [ /^An <End Event> is not allowed in <Ad Hoc Sub Process>$/, 'End event tidak boleh ada di sub-proses ad hoc' ],
  [ /^Sequence flow is missing condition$/, 'Alur (sequence flow) tidak punya kondisi' ],
  [ /^(.*) is missing end event$/, '$1 tidak punya end event' ],
  [ /^(.*) is missing start event$/, '$1 tidak punya start event' ],
  [ /^(.*) has multiple blank start events$/, '$1 punya lebih dari satu start event kosong' ],
  [ /^An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>$/, 'Gateway berbasis event harus punya paling sedikit 2 alur keluar' ],
  [ /^A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional$/, 'Alur keluar dari gateway berbasis event tidak boleh berkondisi' ],
  [ /^Start event is missing event definition$/, 'Start event tidak punya definisi event' ],
  [ /^Start event must be blank$/, 'Start event di sub-proses harus kosong' ],
  [ /^Incoming flows do not join$/, 'Alur masuk tidak digabung dengan gateway' ],
  [ /^Element is missing name$/, 'Elemen tidak punya nama' ],
  [ /^Element is unused$/, 'Elemen tidak dipakai' ],
  [ /^Element name is not unique$/, 'Nama elemen tidak unik' ],
  [ /^Element type <(.*)> is discouraged$/, 'Jenis elemen <$1> sebaiknya tidak dipakai' ],
  [ /^Element is missing label\/name$/, 'Elemen tidak punya label/nama' ],
  [ /^Link event is missing link name$/, 'Link event tidak punya nama link' ],
  [ /^Element is missing bpmndi$/, 'Elemen tidak punya bentuk diagram (BPMNDI)' ],
  [ /^Element is not connected$/, 'Elemen tidak tersambung' ],
  [ /^SequenceFlow is a duplicate$/, 'Alur ganda' ],
  [ /^Duplicate outgoing sequence flows$/, 'Alur keluar ganda' ],
  [ /^Duplicate incoming sequence flows$/, 'Alur masuk ganda' ],
  [ /^Gateway forks and joins$/, 'Gateway sekaligus memecah dan menggabung alur' ],
  [ /^Element is an implicit end$/, 'Elemen menjadi akhir tersirat (tanpa end event)' ],
  [ /^Flow splits implicitly$/, 'Alur bercabang tanpa gateway' ],
  [ /^Element is an implicit start$/, 'Elemen menjadi awal tersirat (tanpa start event)' ],
  [ /^Element overlaps with other element$/, 'Elemen bertumpuk dengan elemen lain' ],
  [ /^Element is outside of parent boundary$/, 'Elemen di luar batas induknya' ],
  [ /^Event has multiple event definitions$/, 'Event punya lebih dari satu definisi event' ],
  [ /^Gateway is superfluous\. It only has one source and target\.$/, 'Gateway berlebih: hanya satu alur masuk dan satu keluar' ],
  [ /^Sequence flow has superfluous label$/, 'Alur punya label yang tidak perlu' ],
  [ /^Termination is superfluous\.$/, 'Terminate end event berlebih' ],
  [ /^Element is not allowed to be of type <(.*)>$/, 'Jenis elemen <$1> tidak diizinkan' ]
];

export function lintMessage(message) {
  for (const [ pattern, text ] of LINT) {
    if (pattern.test(message)) { return message.replace(pattern, text); }
  }
  return message;
}

// The modeler's labels (palette, context pad, properties panel).
const UI = {
  'General': 'Umum', 'Name': 'Nama', 'ID': 'ID', 'Documentation': 'Dokumentasi',
  'Element documentation': 'Dokumentasi elemen', 'Process documentation': 'Dokumentasi proses',
  'Executable': 'Dapat dijalankan', 'Version tag': 'Tag versi', 'Process': 'Proses',
  'Activate hand tool': 'Alat geser', 'Activate lasso tool': 'Alat laso',
  'Activate create/remove space tool': 'Alat tambah/hapus ruang', 'Activate global connect tool': 'Alat sambung',
  'Create start event': 'Buat start event', 'Create end event': 'Buat end event',
  'Create intermediate/boundary event': 'Buat event antara/batas', 'Create gateway': 'Buat gateway',
  'Create task': 'Buat tugas', 'Create data object reference': 'Buat objek data',
  'Create data store reference': 'Buat penyimpanan data', 'Create expanded sub-process': 'Buat sub-proses',
  'Create pool/participant': 'Buat pool/partisipan', 'Create group': 'Buat grup',
  'Append end event': 'Tambah end event', 'Append gateway': 'Tambah gateway', 'Append task': 'Tambah tugas',
  'Append intermediate/boundary event': 'Tambah event antara', 'Change element': 'Ganti jenis elemen',
  'Delete': 'Hapus', 'Connect using sequence/message flow or association': 'Sambungkan',
  'Connect using sequence flow': 'Sambungkan dengan alur', 'Connect using association': 'Sambungkan dengan asosiasi',
  'Add lane above': 'Tambah lajur peran di atas', 'Add lane below': 'Tambah lajur peran di bawah',
  'Divide into two lanes': 'Bagi menjadi dua lajur peran', 'Divide into three lanes': 'Bagi menjadi tiga lajur peran',
  'Add text annotation': 'Tambah catatan', 'Timer': 'Timer', 'Condition': 'Kondisi', 'Search in diagram': 'Cari di diagram',
  'Participant Name': 'Nama partisipan', 'Participant ID': 'ID partisipan', 'Process ID': 'ID proses',
  'Process name': 'Nama proses', 'Type': 'Jenis', 'Value': 'Nilai', 'Date': 'Tanggal', 'Duration': 'Durasi',
  'Cycle': 'Berulang', 'Message': 'Pesan', 'Signal': 'Sinyal', 'Error': 'Galat', 'Escalation': 'Eskalasi',
  'Condition expression': 'Ekspresi kondisi', 'Expression': 'Ekspresi', 'Script': 'Script', 'Format': 'Format',
  'Inline script': 'Script di dalam diagram', 'Multi-instance': 'Diulang per butir', '<none>': '<tidak ada>',
  'Create new ...': 'Buat baru …', 'Learn more.': 'Selengkapnya.', 'Global message reference': 'Rujukan pesan',
  'Global signal reference': 'Rujukan sinyal', 'Global error reference': 'Rujukan galat',
  'Global escalation reference': 'Rujukan eskalasi', 'Link name': 'Nama link', 'Extension properties': 'Properti tambahan',
  'How to configure a timer': 'Cara mengatur timer', 'Timer documentation': 'Dokumentasi timer',
  'A specific point in time defined as ISO 8601 combined date and time representation.': 'Satu saat tertentu (tanggal dan jam ISO 8601).',
  'A time duration defined as ISO 8601 durations format.': 'Lama waktu dalam format durasi ISO 8601.',
  'A cycle defined as ISO 8601 repeating intervals format, or a cron expression.': 'Siklus berulang ISO 8601.',
  'Append {type}': 'Tambah {type}', 'Create {type}': 'Buat {type}', 'Task': 'Tugas', 'User task': 'Tugas pengguna',
  'Script task': 'Tugas script', 'Exclusive gateway': 'Gateway eksklusif', 'Parallel gateway': 'Gateway paralel',
  'Start event': 'Start event', 'End event': 'End event', 'Sequence flow': 'Alur', 'Default flow': 'Alur default',
  'Conditional flow': 'Alur berkondisi', 'Lane': 'Lajur peran', 'Participant': 'Partisipan'
};

export function translate(template, replacements) {
  const text = UI[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}
