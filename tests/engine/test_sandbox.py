"""Diagram scripts run in a sandbox: useful Python works, escapes and endless loops do not."""

from __future__ import annotations

import pytest

from engine import SandboxViolation, ScriptBudgetExceeded, ScriptError, WorkCalendar
from engine.sandbox import SandboxEnvironment
from engine.script_helpers import make_helpers


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(make_helpers(WorkCalendar()), line_budget=50_000, seconds=1.0)


def run(env: SandboxEnvironment, script: str, **data):
    env.execute(script, data)
    return data


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("import os", "import tidak diizinkan"),
        ("from os import path", "import tidak diizinkan"),
        ("f = open('/etc/passwd')", "open() tidak diizinkan"),
        ("m = __import__('os')", "starts with \"_\""),
        ("x = ().__class__.__base__.__subclasses__()", "starts with \"_\""),
        ("x = getattr((), '__class__')", "getattr() tidak diizinkan"),
        ("x = eval('1+1')", "Eval calls are not allowed"),
        ("exec('import os')", "Exec calls are not allowed"),
    ],
)
def test_escapes_are_refused_with_a_clear_reason(env, script, reason):
    with pytest.raises(ScriptError) as refused:
        env.execute(script, {})
    assert reason in str(refused.value)


def test_a_refusal_is_a_sandbox_violation(env):
    with pytest.raises(SandboxViolation):
        env.execute("import os", {})


def test_an_endless_loop_is_stopped(env):
    with pytest.raises(ScriptBudgetExceeded):
        env.execute("while True:\n    pass", {})


def test_a_slow_loop_is_stopped_by_the_time_limit():
    env = SandboxEnvironment({}, line_budget=10**9, seconds=0.2)
    with pytest.raises(ScriptBudgetExceeded, match="batas waktu"):
        env.execute("n = 0\nwhile True:\n    n += 1", {})


def test_arithmetic_comprehensions_and_containers_work(env):
    data = run(
        env,
        "total = sum(b['biaya'] for b in usulan)\n"
        "mahal = [b['judul'] for b in usulan if b['biaya'] > 100]\n"
        "ringkas = {b['judul']: b['biaya'] * 2 for b in usulan}\n"
        "usulan[0]['dicek'] = True\n"
        "skor = max(3, 10 // 3) + len(mahal)\n"
        "a, b = 1, 2",
        usulan=[{"judul": "jalan", "biaya": 500}, {"judul": "lampu", "biaya": 50}],
    )
    assert data["total"] == 550
    assert data["mahal"] == ["jalan"]
    assert data["ringkas"] == {"jalan": 1000, "lampu": 100}
    assert data["usulan"][0]["dicek"] is True
    assert data["skor"] == 4
    assert (data["a"], data["b"]) == (1, 2)


def test_helpers_are_callable_and_do_not_become_data(env):
    data = run(env, "batas = end_of_office_day(add_working_days('2026-03-17', 1))", x=1)
    assert data == {"x": 1, "batas": "2026-03-25T16:00:00+07:00"}


def test_data_may_not_shadow_a_helper(env):
    with pytest.raises(ScriptError, match="now"):
        env.execute("x = 1", {"now": "kemarin"})


def test_functions_defined_in_a_script_do_not_become_data(env):
    data = run(env, "def dua_kali(n):\n    return n * 2\nhasil = dua_kali(4)")
    assert data == {"hasil": 8}


def test_deleting_a_variable_removes_it_from_the_data(env):
    data = run(env, "del sementara", sementara=1, tetap=2)
    assert data == {"tetap": 2}


def test_conditions_are_evaluated_in_the_sandbox(env):
    assert env.evaluate("skor >= 70 and status == 'terima'", {"skor": 80, "status": "terima"}) is True
    with pytest.raises(ScriptError):
        env.evaluate("().__class__", {})
