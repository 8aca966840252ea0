"""Builds small BPMN fixtures for tests: write the process body, get a full file.

The body is the XML of the flow elements (tasks, events, gateways, flows). The
builder wraps it in definitions, a collaboration with one pool, a lane set (lane
name -> element ids), and diagram shapes laid out left to right, so fixtures parse
with XSD validation on and pass the lint's "has a shape" rule unless told otherwise.
"""

from __future__ import annotations

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP_DECL = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
NODE_TAGS = {
    "startEvent",
    "endEvent",
    "userTask",
    "manualTask",
    "task",
    "scriptTask",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "callActivity",
    "subProcess",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
}
SIZES = {"Event": (36, 36), "Gateway": (50, 50)}


def _size(tag: str) -> tuple[int, int]:
    for suffix, size in SIZES.items():
        if tag.endswith(suffix):
            return size
    return (100, 80)


def form_props(schema: str | None = None, ui: str | None = None, **extra: str) -> str:
    """The spiff extension block naming a form (and any other properties)."""
    props = {}
    if schema:
        props["formJsonSchemaFilename"] = schema
    if ui:
        props["formUiSchemaFilename"] = ui
    props.update(extra)
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
    return (
        f"<bpmn:extensionElements><spiffworkflow:properties>{inner}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def build_bpmn(
    process_id: str,
    body: str,
    lanes: dict[str, list[str]] | None = None,
    name: str = "Proses uji",
    omit_shapes: tuple[str, ...] = (),
    extra_processes: str = "",
) -> str:
    lanes = lanes or {}
    process_xml = f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">'
    if lanes:
        lane_xml = "".join(
            f'<bpmn:lane id="lane_{i}" name="{lane}">'
            + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
            + "</bpmn:lane>"
            for i, (lane, refs) in enumerate(lanes.items())
        )
        process_xml += f'<bpmn:laneSet id="laneset_{process_id}">{lane_xml}</bpmn:laneSet>'
    process_xml += body + "</bpmn:process>"
    document = (
        f'<bpmn:definitions {NSMAP_DECL} id="defs_{process_id}" targetNamespace="http://alur.test">'
        f'<bpmn:collaboration id="collab_{process_id}">'
        f'<bpmn:participant id="pool_{process_id}" name="{name}" processRef="{process_id}"/>'
        f"</bpmn:collaboration>{process_xml}{extra_processes}</bpmn:definitions>"
    )
    root = etree.fromstring(document.encode())
    root.append(_diagram(root, process_id, lanes, omit_shapes))
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def _diagram(root: etree._Element, process_id: str, lanes: dict[str, list[str]], omit: tuple[str, ...]):
    ns = {"bpmn": BPMN_NS}
    process = root.find(f"bpmn:process[@id='{process_id}']", ns)
    lane_of = {ref: i for i, refs in enumerate(lanes.values()) for ref in refs}
    lane_height = 200
    nodes = [el for el in process if etree.QName(el).localname in NODE_TAGS]
    bounds: dict[str, tuple[int, int, int, int]] = {}
    shapes = []
    for column, el in enumerate(nodes):
        w, h = _size(etree.QName(el).localname)
        row = lane_of.get(el.get("id"), 0)
        x = 200 + column * 150
        y = 60 + row * lane_height + (lane_height - h) // 2
        bounds[el.get("id")] = (x, y, w, h)
    for el in process.findall("bpmn:boundaryEvent", ns):
        x, y, w, h = bounds[el.get("attachedToRef")]
        bounds[el.get("id")] = (x + w - 30, y + h - 18, 36, 36)
    pool_height = max(1, len(lanes)) * lane_height
    pool_width = 200 + len(nodes) * 150
    shapes.append(
        f'<bpmndi:BPMNShape id="pool_{process_id}_di" bpmnElement="pool_{process_id}" isHorizontal="true">'
        f'<dc:Bounds x="120" y="60" width="{pool_width}" height="{pool_height}"/></bpmndi:BPMNShape>'
    )
    for i, _lane in enumerate(lanes):
        shapes.append(
            f'<bpmndi:BPMNShape id="lane_{i}_di" bpmnElement="lane_{i}" isHorizontal="true">'
            f'<dc:Bounds x="150" y="{60 + i * lane_height}" width="{pool_width - 30}" '
            f'height="{lane_height}"/></bpmndi:BPMNShape>'
        )
    for element_id, (x, y, w, h) in bounds.items():
        if element_id in omit:
            continue
        shapes.append(
            f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}">'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>'
        )
    for flow in process.findall("bpmn:sequenceFlow", ns):
        if flow.get("id") in omit:
            continue
        sx, sy, sw, sh = bounds[flow.get("sourceRef")]
        tx, ty, tw, th = bounds[flow.get("targetRef")]
        shapes.append(
            f'<bpmndi:BPMNEdge id="{flow.get("id")}_di" bpmnElement="{flow.get("id")}">'
            f'<di:waypoint x="{sx + sw}" y="{sy + sh // 2}"/><di:waypoint x="{tx}" y="{ty + th // 2}"/>'
            f"</bpmndi:BPMNEdge>"
        )
    diagram = (
        f'<bpmndi:BPMNDiagram {NSMAP_DECL} id="diagram_{process_id}">'
        f'<bpmndi:BPMNPlane id="plane_{process_id}" bpmnElement="collab_{process_id}">'
        + "".join(shapes)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    return etree.fromstring(diagram.encode())
