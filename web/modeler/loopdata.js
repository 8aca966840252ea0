// loopDataInputRef / loopDataOutputRef of multi-instance elements. SpiffWorkflow reads their text as the names
// of task-data variables (the collection to iterate, the one to collect into); bpmn-moddle reads them as id
// references, cannot resolve them and drops them. So the modeler keeps them itself: read from the file before
// import (and taken out of what bpmn-js imports), edited in the "Alur" group, written back into each
// multiInstanceLoopCharacteristics of the saved XML where the schema puts them.
const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
export const LOOP_KINDS = { input: 'loopDataInputRef', output: 'loopDataOutputRef' };

const byOwner = new Map(); // the business object of the multi-instance activity -> { input, output }

export function getLoopRef(bo, kind) {
  const refs = byOwner.get(bo);
  return refs ? refs[kind] : undefined;
}

export function setLoopRef(bo, kind, value) {
  const refs = byOwner.get(bo) || {};
  refs[kind] = value === '' ? undefined : value;
  byOwner.set(bo, refs);
}

function loopElements(doc) {
  return Array.from(doc.getElementsByTagNameNS(BPMN_NS, 'multiInstanceLoopCharacteristics'));
}

function ownerId(loop) {
  return loop.parentNode && loop.parentNode.getAttribute ? loop.parentNode.getAttribute('id') : null;
}

// The texts by the id of the element owning the loop characteristics, and the XML to import without them
// (the file itself when it has none, so nothing else changes).
export function takeLoopRefs(xml) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) { return { xml, refs: new Map() }; }
  const refs = new Map();
  let removed = false;
  loopElements(doc).forEach((loop) => {
    const found = {};
    Object.entries(LOOP_KINDS).forEach(([ kind, tag ]) => {
      Array.from(loop.childNodes).filter((n) => n.namespaceURI === BPMN_NS && n.localName === tag).forEach((n) => {
        found[kind] = n.textContent;
        const before = n.previousSibling;
        if (before && before.nodeType === 3 && !before.textContent.trim()) { loop.removeChild(before); }
        loop.removeChild(n);
        removed = true;
      });
    });
    if (Object.keys(found).length && ownerId(loop)) { refs.set(ownerId(loop), found); }
  });
  return { xml: removed ? new XMLSerializer().serializeToString(doc) : xml, refs };
}

// Every activity with loop characteristics, by id, from the moddle tree (drawn or not).
export function loopOwners(definitions) {
  const out = new Map();
  const visit = (el) => {
    if (!el || typeof el !== 'object') { return; }
    if (el.loopCharacteristics && el.id) { out.set(el.id, el); }
    (el.flowElements || []).forEach(visit);
  };
  ((definitions && definitions.rootElements) || []).forEach(visit);
  return out;
}

export function rememberLoopRefs(refs, definitions) {
  byOwner.clear();
  const owners = loopOwners(definitions);
  refs.forEach((found, id) => { if (owners.has(id)) { byOwner.set(owners.get(id), { ...found }); } });
}

function escapeText(text) {
  return String(text).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]));
}

const LOOP_BLOCK = /^([ \t]*)<((?:[\w.-]+:)?)multiInstanceLoopCharacteristics\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\2multiInstanceLoopCharacteristics>)/gm;

// bpmn-js's saved XML with the texts written back: after loopCardinality (or first), before inputDataItem.
export function withLoopRefs(xml, definitions) {
  if (!xml.includes('multiInstanceLoopCharacteristics')) { return xml; }
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const ids = loopElements(doc).map(ownerId);
  const owners = loopOwners(definitions);
  let i = 0;
  return xml.replace(LOOP_BLOCK, (all, indent, prefix, attrs, body) => {
    const id = ids[i++];
    const refs = id && owners.has(id) ? byOwner.get(owners.get(id)) : null;
    if (!refs) { return all; }
    const lines = Object.entries(LOOP_KINDS).filter(([ kind ]) => refs[kind] !== undefined)
      .map(([ kind, tag ]) => `${indent}  <${prefix}${tag}>${escapeText(refs[kind])}</${prefix}${tag}>\n`).join('');
    const close = `</${prefix}multiInstanceLoopCharacteristics>`;
    if (body === undefined) {
      return lines ? `${indent}<${prefix}multiInstanceLoopCharacteristics${attrs}>\n${lines}${indent}${close}` : all;
    }
    const own = new RegExp(`^[ \\t]*<${prefix}loopData(?:Input|Output)Ref\\b[^>]*?(?:/>|>[\\s\\S]*?</${prefix}loopData(?:Input|Output)Ref>)\\r?\\n`, 'gm');
    const inner = body.replace(own, '');
    const card = inner.match(new RegExp(`</${prefix}loopCardinality>\\r?\\n|<${prefix}loopCardinality\\b[^>]*/>\\r?\\n`));
    const at = card ? card.index + card[0].length : inner.indexOf('\n') + 1;
    return `${indent}<${prefix}multiInstanceLoopCharacteristics${attrs}>${inner.slice(0, at)}${lines}${inner.slice(at)}${close}`;
  });
}
