"""What a script leaves in the workflow data is bounded by its JSON size, measured before anything builds it."""

from __future__ import annotations

import time

import pytest

from engine import STATUS_ERROR, Engine, StateTooLarge
from engine.data_bound import MAX_DEPTH, DataTooLarge, check_data, data_size
from tests.engine.test_runtime import script_process

POISON = "y = [[0] * 999999] * 999999"  # each repetition under the item limit; 10^12 elements as JSON


def test_a_shared_list_counts_each_time_it_is_reached():
    inner = [1] * 10
    assert data_size([inner] * 3, 10_000) == data_size([[1] * 10, [1] * 10, [1] * 10], 10_000)


def test_the_poison_is_refused_at_its_first_list_without_building_it():
    outer = [[0] * 999_999] * 999_999
    started = time.perf_counter()
    with pytest.raises(DataTooLarge, match="melebihi batas 1000000 byte"):
        data_size({"y": outer}, 1_000_000)
    assert time.perf_counter() - started < 1.0  # generous: it takes well under a millisecond (see the report)


def test_a_value_nested_too_deep_is_refused_before_json_would_overflow_the_stack():
    value: list = []
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(DataTooLarge, match=f"bersarang lebih dari {MAX_DEPTH} tingkat"):
        data_size(value, 10**9)


def test_a_list_that_contains_itself_is_refused_not_walked_forever():
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(DataTooLarge):
        data_size(loop, 10**6)


def test_the_refusal_names_the_heaviest_field():
    with pytest.raises(DataTooLarge, match="isian 'lampiran' terlalu besar"):
        check_data({"nama": "Siti", "lampiran": "x" * 2000}, 1000, "tugas periksa")


def test_given_the_poison_script_the_instance_errs_at_that_task_naming_the_field(project, clock):
    version = script_process(project, "racun", POISON)

    result = Engine().start(version, {"nama": "Budi"})

    assert result.status == STATUS_ERROR
    [error] = [e for e in result.events if e.kind == "error"]
    assert error.task_name == "hitung"
    assert "melebihi batas 1000000 byte" in error.detail["message"]
    assert "isian 'y' terlalu besar" in error.detail["message"]
    assert len(result.state) < 100_000  # the state kept the data from before the script, not the poison


def test_a_condition_that_grows_data_in_place_is_refused_too(project, clock):
    version = script_process(project, "tumbuh", "x = [0] * 999\nok = [x.extend([0] * 999) for i in range(600)]")

    result = Engine(max_data_bytes=100_000).start(version, {})

    assert result.status == STATUS_ERROR
    assert "isian" in next(e for e in result.events if e.kind == "error").detail["message"]


def test_the_serializer_refuses_oversized_data_naming_the_task(project, clock):
    version = script_process(project, "besar", "catatan = 'x' * 500")
    engine = Engine()
    workflow = engine.load(version, engine.start(version, {}).state)
    small = Engine(max_data_bytes=200)

    with pytest.raises(StateTooLarge, match="data (kasus|tugas \\w+) melebihi batas 200 byte: isian 'catatan' terlalu besar"):
        small.dumps(workflow)
