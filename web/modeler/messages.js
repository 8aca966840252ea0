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
  'Cycle': 'Berulang', 'Message': 'Pesan', 'Signal': 'Sinyal', 'Error': 'Kesalahan', 'Escalation': 'Eskalasi',
  'Condition expression': 'Ekspresi kondisi', 'Expression': 'Ekspresi', 'Script': 'Script', 'Format': 'Format',
  'Inline script': 'Script di dalam diagram', 'Multi-instance': 'Diulang per butir', '<none>': '<tidak ada>',
  'Create new ...': 'Buat baru …', 'Learn more.': 'Selengkapnya.', 'Global message reference': 'Rujukan pesan',
  'Global signal reference': 'Rujukan sinyal', 'Global error reference': 'Rujukan kesalahan',
  'Global escalation reference': 'Rujukan eskalasi', 'Link name': 'Nama link', 'Extension properties': 'Properti tambahan',
  'How to configure a timer': 'Cara mengatur timer', 'Timer documentation': 'Dokumentasi timer',
  'A specific point in time defined as ISO 8601 combined date and time representation.': 'Satu saat tertentu (tanggal dan jam ISO 8601).',
  'A time duration defined as ISO 8601 durations format.': 'Lama waktu dalam format durasi ISO 8601.',
  'A cycle defined as ISO 8601 repeating intervals format, or a cron expression.': 'Siklus berulang ISO 8601.',
  'Append {type}': 'Tambah {type}', 'Create {type}': 'Buat {type}', 'Task': 'Tugas', 'User task': 'Tugas pengguna',
  'Script task': 'Tugas script', 'Exclusive gateway': 'Gateway eksklusif', 'Parallel gateway': 'Gateway paralel',
  'Start event': 'Start event', 'End event': 'End event', 'Sequence flow': 'Alur', 'Default flow': 'Alur default',
  'Conditional flow': 'Alur berkondisi', 'Lane': 'Lajur peran', 'Participant': 'Partisipan',
  // the rest of the palette, the context pad and the alignment tools
  'Append compensation activity': 'Tambah aktivitas kompensasi',
  'Append conditional intermediate catch event': 'Tambah event antara berkondisi',
  'Append message intermediate catch event': 'Tambah event antara penerima pesan',
  'Append receive task': 'Tambah tugas menerima pesan',
  'Append signal intermediate catch event': 'Tambah event antara penerima sinyal',
  'Append timer intermediate catch event': 'Tambah event antara timer',
  'Connect to other element': 'Sambungkan ke elemen lain',
  'Connect using data input association': 'Sambungkan dengan asosiasi data masuk',
  'Align elements': 'Ratakan elemen', 'Distribute elements horizontally': 'Sebarkan elemen mendatar',
  'Distribute elements vertically': 'Sebarkan elemen tegak', 'Open {element}': 'Buka {element}',
  'Toggle non-interrupting': 'Ubah menyela/tidak menyela', 'Loop': 'Diulang',
  'Parallel multi-instance': 'Diulang per butir, serentak', 'Sequential multi-instance': 'Diulang per butir, berurutan',
  'Participant multiplicity': 'Banyak partisipan', 'Collection': 'Kumpulan',
  // the properties panel's groups, fields, hints and checks
  'Select an element to edit its properties.': 'Pilih satu elemen untuk mengubah propertinya.',
  'Multiple elements are selected. Select a single element to edit its properties.':
    'Beberapa elemen terpilih. Pilih satu elemen saja untuk mengubah propertinya.',
  'ID must not be empty.': 'ID wajib diisi.', 'ID must be unique.': 'ID sudah dipakai elemen lain.',
  'ID must not contain spaces.': 'ID tidak boleh memuat spasi.', 'ID must not contain prefix.': 'ID tidak boleh memuat awalan.',
  'ID must be a valid QName.': 'ID harus nama XML yang sah (QName).',
  'Documentation: Timer events': 'Dokumentasi: event timer', 'Link': 'Link', 'Compensation': 'Kompensasi',
  'Activity reference': 'Rujukan aktivitas', 'Wait for completion': 'Tunggu sampai selesai', 'Code': 'Kode',
  'Completion': 'Penyelesaian', 'Completion condition': 'Syarat selesai', 'Loop cardinality': 'Jumlah ulangan',
  'Cancel remaining instances': 'Hentikan putaran yang tersisa',
  'A cycle defined as ISO 8601 repeating intervals format.': 'Siklus berulang ISO 8601.',
  'UTC time': 'waktu UTC', 'UTC plus 2 hours zone offset': 'zona UTC ditambah 2 jam', '15 seconds': '15 detik',
  '1 hour and 30 minutes': '1 jam 30 menit', '14 days': '14 hari', 'every 10 seconds, up to 5 times': 'tiap 10 detik, paling banyak 5 kali',
  'every day, infinitely': 'tiap hari, tanpa akhir',
  // element types: the replace menu's names, and the properties panel's header through sentenceCase below
  'Collaboration': 'Kolaborasi', 'Empty pool/participant': 'Pool/partisipan kosong',
  'Expanded pool/participant': 'Pool/partisipan terbuka', 'Group': 'Grup', 'Text annotation': 'Catatan',
  'Association': 'Asosiasi', 'Data input association': 'Asosiasi data masuk', 'Data output association': 'Asosiasi data keluar',
  'Data object reference': 'Objek data', 'Data store reference': 'Penyimpanan data', 'Message flow': 'Alur pesan',
  'Manual task': 'Tugas manual', 'Send task': 'Tugas mengirim pesan', 'Receive task': 'Tugas menerima pesan',
  'Service task': 'Tugas layanan', 'Business rule task': 'Tugas aturan bisnis', 'Call activity': 'Panggil aktivitas',
  'Sub-process': 'Sub-proses', 'Sub-process (collapsed)': 'Sub-proses (tertutup)', 'Sub-process (expanded)': 'Sub-proses (terbuka)',
  'Collapsed sub-process': 'Sub-proses (tertutup)', 'Expanded sub-process': 'Sub-proses (terbuka)',
  'Event sub-process': 'Sub-proses event', 'Transaction': 'Transaksi',
  'Ad-hoc sub-process': 'Sub-proses ad hoc', 'Ad-hoc sub-process (collapsed)': 'Sub-proses ad hoc (tertutup)',
  'Ad-hoc sub-process (expanded)': 'Sub-proses ad hoc (terbuka)',
  'Inclusive gateway': 'Gateway inklusif', 'Complex gateway': 'Gateway kompleks', 'Event-based gateway': 'Gateway berbasis event',
  'Event based instantiating Gateway': 'Gateway berbasis event yang memulai proses',
  'Parallel Event based instantiating Gateway': 'Gateway berbasis event paralel yang memulai proses',
  'Message start event': 'Start event pesan', 'Timer start event': 'Start event timer', 'Signal start event': 'Start event sinyal',
  'Conditional start event': 'Start event berkondisi', 'Error start event': 'Start event kesalahan',
  'Escalation start event': 'Start event eskalasi', 'Compensation start event': 'Start event kompensasi',
  'Message start event (non-interrupting)': 'Start event pesan (tidak menyela)',
  'Timer start event (non-interrupting)': 'Start event timer (tidak menyela)',
  'Signal start event (non-interrupting)': 'Start event sinyal (tidak menyela)',
  'Conditional start event (non-interrupting)': 'Start event berkondisi (tidak menyela)',
  'Escalation start event (non-interrupting)': 'Start event eskalasi (tidak menyela)',
  'Message end event': 'End event pesan', 'Terminate end event': 'End event penghenti', 'Signal end event': 'End event sinyal',
  'Error end event': 'End event kesalahan', 'Escalation end event': 'End event eskalasi', 'Cancel end event': 'End event pembatalan',
  'Compensation end event': 'End event kompensasi',
  'Intermediate throw event': 'Event antara', 'Intermediate catch event': 'Event antara penerima',
  'Message intermediate catch event': 'Event antara penerima pesan', 'Message intermediate throw event': 'Event antara pengirim pesan',
  'Timer intermediate catch event': 'Event antara timer', 'Signal intermediate catch event': 'Event antara penerima sinyal',
  'Signal intermediate throw event': 'Event antara pengirim sinyal', 'Conditional intermediate catch event': 'Event antara berkondisi',
  'Link intermediate catch event': 'Event antara link (penerima)', 'Link intermediate throw event': 'Event antara link (pengirim)',
  'Escalation intermediate throw event': 'Event antara eskalasi', 'Compensation intermediate throw event': 'Event antara kompensasi',
  'Boundary event': 'Event batas', 'Message boundary event': 'Event batas pesan', 'Timer boundary event': 'Event batas timer',
  'Signal boundary event': 'Event batas sinyal', 'Error boundary event': 'Event batas kesalahan',
  'Escalation boundary event': 'Event batas eskalasi', 'Conditional boundary event': 'Event batas berkondisi',
  'Cancel boundary event': 'Event batas pembatalan', 'Compensation boundary event': 'Event batas kompensasi',
  'Message boundary event (non-interrupting)': 'Event batas pesan (tidak menyela)',
  'Timer boundary event (non-interrupting)': 'Event batas timer (tidak menyela)',
  'Signal boundary event (non-interrupting)': 'Event batas sinyal (tidak menyela)',
  'Escalation boundary event (non-interrupting)': 'Event batas eskalasi (tidak menyela)',
  'Conditional boundary event (non-interrupting)': 'Event batas berkondisi (tidak menyela)'
};

// The panel's header names an element's type in title case ("Timer Boundary Event (Non Interrupting)"), the
// replace menu in sentence case ("Timer boundary event (non-interrupting)"): one entry above serves both.
function sentenceCase(text) {
  const lower = text.toLowerCase().replace('(non interrupting)', '(non-interrupting)')
    .replace('sub process', 'sub-process').replace('event based gateway', 'event-based gateway');
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

export function translate(template, replacements) {
  const text = UI[template] || UI[sentenceCase(template)] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}
