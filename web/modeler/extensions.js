// Reading and writing the spiffworkflow extension elements Alur reads, through undoable commands.
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function extensionValues(bo) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values') : [];
}

export function getProperty(element, name) {
  const bo = getBusinessObject(element);
  const props = extensionValues(bo).find((v) => is(v, 'spiffworkflow:Properties'));
  const prop = props && props.get('properties').find((p) => p.name === name);
  return prop ? prop.value : undefined;
}

function ensureExtensions(element, bo, bpmnFactory, commands) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  return ext;
}

// Sets (or, with an empty value, removes) one spiffworkflow:property; other elements stay as they were.
export function setProperty(element, name, value, { bpmnFactory, commandStack }) {
  const bo = getBusinessObject(element);
  const commands = [];
  const ext = ensureExtensions(element, bo, bpmnFactory, commands);
  let props = ext.get('values').find((v) => is(v, 'spiffworkflow:Properties'));
  if (!props) {
    if (!value) { return; }
    props = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: ext, properties: { values: [ ...ext.get('values'), props ] } } });
  }
  const list = props.get('properties');
  const prop = list.find((p) => p.name === name);
  if (!value) {
    if (prop) {
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: props, properties: { properties: list.filter((p) => p !== prop) } } });
    }
  } else if (!prop) {
    const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
    created.$parent = props;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: props, properties: { properties: [ ...list, created ] } } });
  } else {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: prop, properties: { value } } });
  }
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}

// The text of a body-only extension element (spiffworkflow:preScript / postScript).
export function getBodyExtension(element, type) {
  const found = extensionValues(getBusinessObject(element)).find((v) => is(v, type));
  return found ? found.value : undefined;
}

export function setBodyExtension(element, type, value, { bpmnFactory, commandStack }) {
  const bo = getBusinessObject(element);
  const commands = [];
  const ext = ensureExtensions(element, bo, bpmnFactory, commands);
  const values = ext.get('values');
  const found = values.find((v) => is(v, type));
  if (!value) {
    if (found) {
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: ext, properties: { values: values.filter((v) => v !== found) } } });
    }
  } else if (found) {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: found, properties: { value } } });
  } else {
    const created = bpmnFactory.create(type, { value });
    created.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: ext, properties: { values: [ ...values, created ] } } });
  }
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}
