"""Instance state is stored without the spec and replays exactly like SpiffWorkflow's own format."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine import StateError
from engine.serializer import FORMAT, FORMAT_KEY, StateSerializer, embedded_serializer
from tests.engine.conftest import WIB

RECEIVED = {"diterima_pada": "2026-03-17T09:00:00+07:00", "wilayah": "33.13"}


def run_path(engine, version, dump, load, clock):
    """Start, escalate by timer, complete, with a save/load between every step; returns what happened."""
    workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine.script_engine)
    for task in workflow.get_tasks():
        task.data.update(RECEIVED)
    workflow.do_engine_steps()
    workflow = load(dump(workflow))
    clock.set(datetime(2026, 3, 26, 8, 0, tzinfo=WIB))
    workflow.refresh_timers()
    workflow.do_engine_steps()
    workflow = load(dump(workflow))
    trace = [sorted(t.task_spec.name for t in workflow.get_tasks(manual=True, state=16))]
    for task in sorted(workflow.get_tasks(manual=True, state=16), key=lambda t: t.task_spec.name):
        task.data.update({"catatan": "selesai", "layak": True})
        task.run()
        workflow.do_engine_steps()
        workflow = load(dump(workflow))
    events = [e.event_definition.name for e in workflow.get_events()]
    return trace, events, workflow.is_completed(), workflow.last_task.data


def test_round_trip_gives_the_same_run_as_spiffworkflows_own_serializer(engine, complaint, clock):
    ours = StateSerializer()
    theirs = embedded_serializer()

    def load_ours(text):
        wf = ours.loads(text, complaint.spec, complaint.subprocess_specs)
        wf.script_engine = engine.script_engine
        return wf

    def load_theirs(text):
        wf = theirs.deserialize_json(text)
        wf.script_engine = engine.script_engine
        return wf

    expected = run_path(engine, complaint, theirs.serialize_json, load_theirs, clock)
    clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=WIB))
    actual = run_path(engine, complaint, ours.dumps, load_ours, clock)

    assert actual == expected
    assert actual[0] == [["periksa", "tindak_lanjut_kepala"]]


def test_the_state_leaves_out_the_spec_and_records_both_format_versions(engine, complaint, clock):
    result = engine.start(complaint, RECEIVED)
    stored = json.loads(result.state)
    workflow = engine.load(complaint, result.state)
    embedded = embedded_serializer().serialize_json(workflow)

    assert "spec" not in stored and "subprocess_specs" not in stored
    assert stored[FORMAT_KEY] == FORMAT
    assert StateSerializer.format_versions(result.state) == ("1.5", FORMAT)
    assert len(result.state) < len(embedded) / 2


def test_dates_and_decimals_are_stored_as_text(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    workflow = engine.load(complaint, started.state)
    for task in workflow.get_tasks():
        task.data["tanggal"] = date(2026, 3, 17)
        task.data["biaya"] = Decimal("1500000.50")

    reloaded = engine.load(complaint, engine.dumps(workflow))

    data = reloaded.get_tasks(manual=True, state=16)[0].data
    assert (data["tanggal"], data["biaya"]) == ("2026-03-17", "1500000.50")


def test_data_that_is_not_json_is_refused_naming_the_field(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    workflow = engine.load(complaint, started.state)
    workflow.get_tasks(manual=True, state=16)[0].data["berkas"] = object()

    with pytest.raises(StateError, match="berkas"):
        engine.dumps(workflow)


def test_a_state_in_another_format_is_refused(engine, complaint, clock):
    workflow = engine.load(complaint, engine.start(complaint, RECEIVED).state)
    with pytest.raises(StateError):
        StateSerializer().loads(embedded_serializer().serialize_json(workflow), complaint.spec, {})
