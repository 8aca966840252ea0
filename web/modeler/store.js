// What the page knows besides the diagram: form files by path under forms/, the roles, the folder for new forms.
export const store = {
  forms: {},        // path -> text, as stored with the current version or as edited here
  edited: new Set(), // paths of forms changed or created on this page (sent with the save)
  roles: [],
  folder: '',
  listeners: [],
  changed(what) { this.listeners.forEach((fn) => fn(what)); },
  onChange(fn) { this.listeners.push(fn); },
  setForm(path, text) {
    this.forms[path] = text;
    this.edited.add(path);
    this.changed('forms');
  }
};
