"""Diagram scripts run in a sandbox: useful Python works, escapes and endless loops do not."""

from __future__ import annotations

import re

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
        ("x = eval('1+1')", "eval() tidak diizinkan"),
        ("exec('import os')", "exec() tidak diizinkan"),
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


def test_calendar_days_count_weekends_and_holidays_from_the_local_date(env):
    # 17 March 2026 23:30 WIB is already 18 March in WITA; six days later across Nyepi and Idul Fitri.
    data = run(env, "a = add_days('2026-03-17T23:30:00+07:00', 6, 'Asia/Makassar')\n"
                    "b = add_days('2027-12-30', 3)\n"
                    "c = add_days('2026-03-01', -1)")
    assert (data["a"], data["b"], data["c"]) == ("2026-03-24", "2028-01-02", "2026-02-28")


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


# -- work done in C on one line is bounded too -------------------------------------


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("x = sum(range(3 * 10**7))", "range() terlalu besar"),
        ("x = sum(range(10**12))", "range() terlalu besar"),
        ("x = len(range(10**30))", "range() terlalu besar"),
        ("x = 2**10**10", "hasil pangkat terlalu besar"),
        ("x = pow(2, 10**10)", "hasil pangkat terlalu besar"),
        ("x = 10**30000 * 10**30000", "hasil perkalian terlalu besar"),
        ("x = 'x' * 10**10", "hasil perkalian terlalu besar"),
        ("x = 10**10 * 'x'", "hasil perkalian terlalu besar"),
        ("x = [0] * 10**10", "hasil perkalian terlalu besar"),
        ("s = 'x'\ns *= 10**10", "hasil perkalian terlalu besar"),
        ("x = 1 << 10**10", "hasil geser bit terlalu besar"),
        ("s = 'x' * 10**6\nfor _ in range(30):\n    s = s + s", "hasil penjumlahan terlalu besar"),
        ("x = sum([[0] * 1000] * 2000, [])", "hasil sum() terlalu besar"),
        ("x = 'a'.ljust(10**10)", "hasil ljust() terlalu besar"),
        ("x = '-'.join(['ab'] * 10**6)", "hasil join() terlalu besar"),
        ("x = 'ab'.replace('', 'x' * 10**6)", "hasil replace() terlalu besar"),
        ("x = '%2000000000d' % 1", "lebar format terlalu besar"),
        ("w = 2000000000\nx = f'{1:{w}}'", "lebar format terlalu besar"),
    ],
)
def test_given_a_line_that_would_build_a_huge_value_then_it_is_refused_before_the_work(env, script, reason):
    with pytest.raises(ScriptBudgetExceeded, match=re.escape(reason)):
        env.execute(script, {})


def test_given_a_constant_huge_format_width_then_the_script_is_refused_when_compiled(env):
    with pytest.raises(SandboxViolation, match="lebar format melebihi batas"):
        env.execute("x = f'{1:2000000000}'", {})


def test_given_a_one_line_endless_loop_then_it_is_stopped():
    env = SandboxEnvironment({}, line_budget=10_000, seconds=60)
    with pytest.raises(ScriptBudgetExceeded, match="batas langkah"):
        env.execute("while True: pass", {})


def test_given_lines_that_each_do_much_c_work_then_the_time_limit_stops_them():
    env = SandboxEnvironment({}, line_budget=10**9, seconds=0.2)
    with pytest.raises(ScriptBudgetExceeded, match="batas waktu"):
        env.execute("while True:\n    x = sum(range(10**6))", {})


def test_the_size_limit_is_configurable():
    env = SandboxEnvironment({}, max_items=10)
    assert run(env, "x = list(range(10))\ny = 'ab' * 5")["y"] == "ababababab"
    with pytest.raises(ScriptBudgetExceeded, match="batas 10"):
        env.execute("x = range(11)", {})


def test_ordinary_operations_still_work(env):
    data = run(
        env,
        "angka = list(range(10))\n"
        "pangkat = 2**10\n"
        "pangkat_modulo = pow(3, 4, 5)\n"
        "ulang = 'ab' * 3\n"
        "daftar = [0] * 3 + [1]\n"
        "geser = 1 << 10\n"
        "gabung = sum([[1], [2, 3]], [])\n"
        "rapi = 'Rp'.ljust(4) + '-'.join(['a', 'b']) + 'aaa'.replace('a', 'bb')\n"
        "teks = 'nilai %05.1f untuk %s' % (3.14159, 'x') + f' {7:>3}|{2.5:.2f}|{9:>{4}}'\n"
        "n = 1\nn += 2\nn *= 3\nsisa = 10 % 3\npecahan = 1.5 ** 2",
    )
    assert data["angka"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert (data["pangkat"], data["pangkat_modulo"], data["geser"]) == (1024, 1, 1024)
    assert (data["ulang"], data["daftar"], data["gabung"]) == ("ababab", [0, 0, 0, 1], [1, 2, 3])
    assert data["rapi"] == "Rp  a-bbbbbbb"
    assert data["teks"] == "nilai 003.1 untuk x   7|2.50|   9"
    assert (data["n"], data["sisa"], data["pecahan"]) == (9, 1, 2.25)


def test_helpers_refuse_spans_they_cannot_compute_quickly(env):
    with pytest.raises(ScriptBudgetExceeded, match="add_working_days"):
        env.execute("batas = add_working_days('2026-03-17', 10**8)", {})
    with pytest.raises(ScriptBudgetExceeded, match="add_days"):
        env.execute("batas = add_days('2026-03-17', 10**8)", {})
    with pytest.raises(ScriptBudgetExceeded, match="working_days_between"):
        env.execute("n = working_days_between('2026-01-01', '9999-01-01')", {})
