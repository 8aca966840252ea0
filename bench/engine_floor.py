"""The engine's own cost: the floor under any API built on it.

Prints the median (and p95) of: parsing a 10-user-task diagram; starting an instance
to its first user task and saving it; and one cycle (load state, complete a task,
engine steps, save state). Start and cycle are measured for SpiffWorkflow's default
serializer (spec embedded in every instance) and for Alur's (spec stored once per
version). One more line is the same cycle through `Engine.complete`, with everything
the engine adds (READY/lane checks, form validation, due timers first, events, ready
tasks, next timer), so the engine's own overhead over the bare cycle is visible. The
last line is the ratio of the two bare cycle medians.

Run: .venv/bin/python -m bench.engine_floor [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import Engine, ProcessRegistry
from engine.registry import build_version
from engine.serializer import StateSerializer, embedded_serializer
from tests.bpmn_builder import build_bpmn, form_props

LANES = ["Petugas", "Analis", "Penghubung", "Kepala"]
TASKS = 10
FORM = "sepuluh/langkah.schema.json"
FORM_SCHEMA = json.dumps({
    "type": "object",
    "properties": {"catatan": {"type": "string", "title": "Catatan", "minLength": 2}},
    "required": ["catatan"],
})


def fixture_sources() -> dict[str, str]:
    """Ten user tasks in four lanes, with a script and a gateway between, like a complaint process."""
    nodes, flows, lanes = [], [], {lane: [] for lane in LANES}
    nodes.append('<bpmn:startEvent id="mulai"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>')
    lanes[LANES[0]].append("mulai")
    previous = "mulai"
    for i in range(TASKS):
        task_id = f"langkah_{i + 1}"
        nodes.append(
            f'<bpmn:userTask id="{task_id}" name="Langkah {i + 1}">{form_props(FORM)}'
            f"<bpmn:incoming>f{i}</bpmn:incoming>"
            f"<bpmn:outgoing>s{i}</bpmn:outgoing></bpmn:userTask>"
            f'<bpmn:scriptTask id="catat_{i + 1}"><bpmn:incoming>s{i}</bpmn:incoming>'
            f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing>"
            f"<bpmn:script>jumlah_langkah = {i + 1}\ncatatan_{i + 1} = catatan</bpmn:script></bpmn:scriptTask>"
        )
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="{task_id}"/>')
        flows.append(f'<bpmn:sequenceFlow id="s{i}" sourceRef="{task_id}" targetRef="catat_{i + 1}"/>')
        lanes[LANES[i % len(LANES)]].extend([task_id, f"catat_{i + 1}"])
        previous = f"catat_{i + 1}"
    nodes.append(f'<bpmn:endEvent id="selesai"><bpmn:incoming>f{TASKS}</bpmn:incoming></bpmn:endEvent>')
    flows.append(f'<bpmn:sequenceFlow id="f{TASKS}" sourceRef="{previous}" targetRef="selesai"/>')
    lanes[LANES[-1]].append("selesai")
    xml = build_bpmn("sepuluh", "".join(nodes + flows), lanes, name="Sepuluh langkah")
    return {"bpmn/sepuluh.bpmn": xml, f"forms/{FORM}": FORM_SCHEMA}


def timed(fn, runs: int) -> list[float]:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def describe(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{label:<52} median {median:7.3f} ms   p95 {p95:7.3f} ms")
    return median


def states_before_each_task(engine: Engine, version, dump) -> list[str]:
    workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    states = []
    while not workflow.is_completed():
        states.append(dump(workflow))
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update({"catatan": "ok"})
        task.run()
        workflow.do_engine_steps()
    return states


def ready_task(engine: Engine, version, state: str) -> tuple[str, str | None]:
    task = engine.load(version, state).get_tasks(state=TaskState.READY, manual=True)[0]
    return str(task.id), task.task_spec.lane


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    sources = fixture_sources()
    engine = Engine()
    version = ProcessRegistry().add("sepuluh", sources)
    ours, theirs = StateSerializer(), embedded_serializer()
    print(f"engine floor: {TASKS} user tasks in {len(LANES)} lanes, median of {runs} runs")

    describe("parse the BPMN file (XSD on)", timed(lambda i: build_version("sepuluh", sources), max(30, runs // 10)))

    def start(dump):
        def one(i: int) -> None:
            workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine.script_engine)
            workflow.do_engine_steps()
            dump(workflow)

        return one

    describe("start, SpiffWorkflow default (spec embedded)", timed(start(theirs.serialize_json), runs))
    describe("start, Alur (spec stored once per version)", timed(start(ours.dumps), runs))

    def cycle(states: list[str], load, dump):
        def one(i: int) -> None:
            workflow = load(states[i % len(states)])
            workflow.script_engine = engine.script_engine
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update({"catatan": "ok"})
            task.run()
            workflow.do_engine_steps()
            dump(workflow)

        return one

    embedded_states = states_before_each_task(engine, version, theirs.serialize_json)
    alur_states = states_before_each_task(engine, version, ours.dumps)
    embedded = describe(
        "cycle, SpiffWorkflow default (spec embedded)",
        timed(cycle(embedded_states, theirs.deserialize_json, theirs.serialize_json), runs),
    )
    alur = describe(
        "cycle, Alur (spec stored once per version)",
        timed(cycle(alur_states, lambda s: ours.loads(s, version.spec, version.subprocess_specs), ours.dumps), runs),
    )
    targets = [(state, *ready_task(engine, version, state)) for state in alur_states]

    def complete(i: int) -> None:
        state, task_id, lane = targets[i % len(targets)]
        engine.complete(version, state, task_id, {"catatan": "ok"}, lane)

    full = describe("cycle, Engine.complete (checks, form, events)", timed(complete, runs))
    print(f"{'engine overhead over the bare Alur cycle':<52} {full - alur:+.3f} ms ({full / alur:.2f}x)")
    size = lambda states: statistics.median(len(s) for s in states)  # noqa: E731
    print(
        f"{'instance JSON, median over the run':<52} embedded {size(embedded_states) / 1024:.1f} KB   "
        f"alur {size(alur_states) / 1024:.1f} KB"
    )
    print(f"cycle ratio embedded/alur: {embedded / alur:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    main()
