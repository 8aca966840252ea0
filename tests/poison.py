"""A diagram whose script poisons the worker: after a timer, it builds a list of 10^12 shared elements.

The load test and the watchdog's retry test run the same poison; `diagram("y = 0")` is the corrected one.
"""

from __future__ import annotations

from tests.bpmn_builder import build_bpmn, form_props

PROCESS = "uji_racun"
POISON = "y = [[0] * 999999] * 999999 if racun else 0"


def diagram(script: str) -> str:
    body = f"""
<bpmn:startEvent id="masuk" name="Berkas masuk">{form_props("racun/mulai.schema.json")}
  <bpmn:outgoing>r1</bpmn:outgoing></bpmn:startEvent>
<bpmn:intermediateCatchEvent id="tunggu" name="Tunggu tempo"><bpmn:incoming>r1</bpmn:incoming><bpmn:outgoing>r2</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">tempo</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:scriptTask id="olah_data" name="Olah data"><bpmn:incoming>r2</bpmn:incoming><bpmn:outgoing>r3</bpmn:outgoing>
  <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="tindak" name="Tindak lanjut"><bpmn:incoming>r3</bpmn:incoming><bpmn:outgoing>r4</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="selesai"><bpmn:incoming>r4</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="r1" sourceRef="masuk" targetRef="tunggu"/>
<bpmn:sequenceFlow id="r2" sourceRef="tunggu" targetRef="olah_data"/>
<bpmn:sequenceFlow id="r3" sourceRef="olah_data" targetRef="tindak"/>
<bpmn:sequenceFlow id="r4" sourceRef="tindak" targetRef="selesai"/>
"""
    return build_bpmn(PROCESS, body, {"Petugas Racun": ["masuk", "tunggu", "olah_data", "tindak", "selesai"]},
                      name="Racun uji")
