"""The script environment for diagram scripts and conditions.

SpiffWorkflow's default environment is a plain `exec`: a diagram could `import os`.
Here every script, gateway condition and timer expression is compiled with
RestrictedPython (names and attributes starting with `_` refused, imports refused)
and runs with RestrictedPython's guards and a small set of builtins. A line budget
and a wall-clock limit, enforced by a trace function on the script's own frames,
stop a runaway loop instead of hanging a worker.
"""

from __future__ import annotations

import ast
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

SCRIPT_FILENAME = "<skrip diagram>"
DEFAULT_LINE_BUDGET = 200_000
DEFAULT_SECONDS = 2.0


class ScriptError(Exception):
    """A diagram script or expression that cannot run; the message is for analysts."""


class SandboxViolation(ScriptError):
    """The script tried something the sandbox forbids (import, files, dunders)."""


class ScriptBudgetExceeded(ScriptError):
    """The script ran too long (endless loop or too much work)."""


def _refused(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise SandboxViolation(f"{name}() tidak diizinkan dalam skrip diagram")

    return refuse


def _inplace(op: str, x: Any, y: Any) -> Any:
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
        "|=": lambda a, b: a | b,
        "&=": lambda a, b: a & b,
    }
    if op not in operations:
        raise SandboxViolation(f"operator {op} tidak diizinkan dalam skrip diagram")
    return operations[op](x, y)


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(
        {
            "dict": dict,
            "list": list,
            "tuple": tuple,
            "set": set,
            "sorted": sorted,
            "min": min,
            "max": max,
            "sum": sum,
            "any": any,
            "all": all,
            "enumerate": enumerate,
            "zip": zip,
            "map": map,
            "filter": filter,
            "reversed": reversed,
        }
    )
    for name in ("open", "eval", "exec", "compile", "input", "globals", "locals", "vars", "getattr", "setattr"):
        allowed[name] = _refused(name)
    return allowed


_GUARDS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "__name__": "diagram_script",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
}


def _reject_imports(source: str) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ScriptError(f"baris {exc.lineno}: sintaks salah: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SandboxViolation(f"baris {node.lineno}: import tidak diizinkan dalam skrip diagram")


@lru_cache(maxsize=2048)
def compile_script(source: str) -> CodeType:
    """Compile a script under the sandbox policy, or raise ScriptError saying why."""
    _reject_imports(source)
    result = compile_restricted_exec(source, filename=SCRIPT_FILENAME)
    if result.errors:
        raise SandboxViolation("ditolak sandbox: " + "; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a condition or timer expression under the sandbox policy."""
    _reject_imports(source)
    result = compile_restricted_eval(source.strip(), filename=SCRIPT_FILENAME)
    if result.errors:
        raise SandboxViolation("ditolak sandbox: " + "; ".join(result.errors))
    return result.code


class _Budget:
    """Counts lines executed in script frames; raises when over budget or over time."""

    def __init__(self, lines: int, seconds: float) -> None:
        self.lines_left = lines
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    def global_trace(self, frame: Any, event: str, _arg: Any) -> Any:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            return self.local_trace
        return None

    def local_trace(self, _frame: Any, event: str, _arg: Any) -> Any:
        if event == "line":
            self.lines_left -= 1
            if self.lines_left <= 0:
                raise ScriptBudgetExceeded("skrip diagram melebihi batas langkah (kemungkinan perulangan tanpa akhir)")
            if self.lines_left % 1000 == 0 and time.monotonic() > self.deadline:
                raise ScriptBudgetExceeded(f"skrip diagram melebihi batas waktu {self.seconds:g} detik")
        return self.local_trace


def _run_budgeted(code: CodeType, namespace: dict[str, Any], lines: int, seconds: float) -> Any:
    budget = _Budget(lines, seconds)
    previous = sys.gettrace()
    sys.settrace(budget.global_trace)
    try:
        return eval(code, namespace)  # noqa: S307 - code was compiled by RestrictedPython
    finally:
        sys.settrace(previous)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs diagram code under RestrictedPython with helper functions available."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        line_budget: int = DEFAULT_LINE_BUDGET,
        seconds: float = DEFAULT_SECONDS,
    ) -> None:
        super().__init__(dict(helpers or {}))
        self.line_budget = line_budget
        self.seconds = seconds

    def _namespace(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        clashes = set(self.globals) & set(context)
        if clashes:
            raise ScriptError("data memakai nama fungsi bantu yang dicadangkan: " + ", ".join(sorted(clashes)))
        namespace = dict(_GUARDS)
        namespace.update(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        return namespace

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = compile_expression(expression)
        return _run_budgeted(code, self._namespace(context, external_context), self.line_budget, self.seconds)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = compile_script(script)
        namespace = self._namespace(context, external_context)
        reserved = set(_GUARDS) | set(self.globals) | set(external_context or {})
        _run_budgeted(code, namespace, self.line_budget, self.seconds)
        for name in list(context):
            if name not in namespace:
                del context[name]  # the script deleted it
        for name, value in namespace.items():
            if name not in reserved and not callable(value):
                context[name] = value
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with the sandbox and a clearer error text."""

    def __init__(self, environment: SandboxEnvironment) -> None:
        super().__init__(environment=environment)

    def validate(self, expression: str) -> None:
        compile_expression(expression)
