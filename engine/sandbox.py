"""The script environment for diagram scripts and conditions.

SpiffWorkflow's default environment is a plain `exec`: a diagram could `import os`.
Here every script, gateway condition and timer expression is compiled with
RestrictedPython (names and attributes starting with `_` refused, imports refused)
and runs with RestrictedPython's guards and a small set of builtins. A line budget
and a wall-clock limit, enforced by a trace function on the script's own frames,
stop a runaway loop instead of hanging a worker.

The trace function only sees Python lines; one line can hand C code unbounded work
(`sum(range(10**12))`, `2**10**10`, `'x' * 10**10`). So the policy also rewrites
`**`, `*`, `<<`, `+` and `%` into guard calls that refuse a result beyond a size
limit before computing it, `range()` refuses more than that many items, and the
builtins and string methods that build large values (`pow`, `sum`, `ljust`,
`join`, `replace`, ...) check the same limit. Every other operation works on values
those guards already bounded.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    INSPECT_ATTRIBUTES,
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.data_bound import DEFAULT_MAX_DATA_BYTES, DataTooLarge, check_data

SCRIPT_FILENAME = "<skrip diagram>"
DEFAULT_LINE_BUDGET = 200_000
DEFAULT_SECONDS = 2.0
DEFAULT_MAX_ITEMS = 1_000_000  # items of a range, characters of a text, elements of a list
DEFAULT_MAX_INT_BITS = 100_000  # about 30,000 decimal digits: far beyond any amount or count


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


_SEQUENCES = (str, bytes, list, tuple)
_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Pow: "_pow_",
    ast.Mult: "_mul_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}


class Limits:
    """Size guards for the operations whose C code could run unbounded on one script line."""

    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS, max_int_bits: int = DEFAULT_MAX_INT_BITS) -> None:
        self.max_items = max_items
        self.max_int_bits = max_int_bits
        self._inplace_operations: dict[str, Callable[[Any, Any], Any]] = {
            "+=": self.add,
            "-=": operator.sub,
            "*=": self.mul,
            "/=": operator.truediv,
            "//=": operator.floordiv,
            "%=": self.mod,
            "|=": operator.or_,
            "&=": operator.and_,
        }

    def _items(self, count: int, what: str) -> None:
        if count > self.max_items:
            raise ScriptBudgetExceeded(
                f"{what} terlalu besar dalam skrip diagram ({count} butir; batas {self.max_items})"
            )

    def _bits(self, bits: float, what: str) -> None:
        if bits > self.max_int_bits:
            raise ScriptBudgetExceeded(
                f"hasil {what} terlalu besar dalam skrip diagram (sekitar {int(bits)} bit; batas {self.max_int_bits})"
            )

    def range(self, *args: int) -> range:
        numbers = range(*args)
        try:
            count = len(numbers)
        except OverflowError:  # more items than a machine word can count
            count = sys.maxsize
        self._items(count, "range()")
        return numbers

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is None and _is_int(base) and _is_int(exp) and exp > 0 and abs(base) > 1:
            self._bits(math.log2(abs(base)) * exp, "pangkat")
        return pow(base, exp, mod)

    def mul(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b):
            self._bits(a.bit_length() + b.bit_length(), "perkalian")
        elif isinstance(a, _SEQUENCES) and _is_int(b):
            self._items(len(a) * b, "hasil perkalian")
        elif isinstance(b, _SEQUENCES) and _is_int(a):
            self._items(len(b) * a, "hasil perkalian")
        return a * b

    def lshift(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b) and a and b > 0:
            self._bits(a.bit_length() + b, "geser bit")
        return a << b

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self._items(len(a) + len(b), "hasil penjumlahan")  # doubling a text would outgrow any limit
        return a + b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str | bytes):
            self._format_widths(a if isinstance(a, str) else a.decode("latin-1"), b)
        return a % b

    def _format_widths(self, template: str, args: Any) -> None:
        starred = False
        for width, precision in _FORMAT_SPEC.findall(template):
            for number in (width, precision):
                if number == "*":
                    starred = True
                elif number:
                    self._items(int(number), "lebar format")
        if starred:
            for arg in args if isinstance(args, tuple) else (args,):
                if _is_int(arg):
                    self._items(abs(arg), "lebar format")

    def format_argument(self, value: Any) -> Any:
        """A value inside an f-string's format spec (`f"{x:{w}}"`): a width must stay in bounds."""
        if _is_int(value):
            self._items(abs(value), "lebar format")
        return value

    def sum(self, iterable: Iterable[Any], /, start: Any = 0) -> Any:
        if not isinstance(start, list | tuple):
            return sum(iterable, start)  # numbers, and texts (which sum() itself refuses)
        joined = list(start)  # extend in place: adding lists one by one would copy quadratically
        for counted, item in enumerate(iterable):
            if counted % 4096 == 0:
                _check_time()
            if not isinstance(item, type(start)):
                raise TypeError(f"sum() hanya dapat menggabungkan {type(start).__name__}")
            self._items(len(joined) + len(item), "hasil sum()")
            joined.extend(item)
        return joined if isinstance(start, list) else tuple(joined)

    def inplace(self, op: str, x: Any, y: Any) -> Any:
        operation = self._inplace_operations.get(op)
        if operation is None:
            raise SandboxViolation(f"operator {op} tidak diizinkan dalam skrip diagram")
        return operation(x, y)

    def getattr(self, obj: Any, name: str, *default: Any) -> Any:
        value = safer_getattr(obj, name, *default)
        if isinstance(obj, str) and name in _STR_RESULT_SIZE:
            return self._bounded_method(obj, name, value)
        return value

    def _bounded_method(self, text: str, name: str, method: Callable[..., str]) -> Callable[..., str]:
        def bounded(*args: Any, **kwargs: Any) -> str:
            if name == "join" and args:
                args = (list(args[0]), *args[1:])  # measured, then joined: a generator is read once
            self._items(_STR_RESULT_SIZE[name](text, *args, **kwargs), f"hasil {name}()")
            return method(*args, **kwargs)

        return bounded

    def guards(self) -> dict[str, Any]:
        """The names the rewritten code and the builtins call."""
        return {
            "_pow_": self.pow,
            "_mul_": self.mul,
            "_lshift_": self.lshift,
            "_add_": self.add,
            "_mod_": self.mod,
            "_format_argument_": self.format_argument,
            "_inplacevar_": self.inplace,
            "_getattr_": self.getattr,
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _width(text: str, width: Any = 0, *_args: Any, **_kwargs: Any) -> int:
    return max(len(text), width if _is_int(width) else 0)


def _joined_size(separator: str, items: Any = (), *_args: Any) -> int:
    parts = [len(item) if isinstance(item, str) else 0 for item in items]
    return sum(parts) + len(separator) * max(len(parts) - 1, 0)


def _replaced_size(text: str, old: Any = "", new: Any = "", count: Any = -1, *_args: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)  # str.replace() raises TypeError itself
    found = text.count(old) if old else len(text) + 1
    if _is_int(count) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _expanded_size(text: str, tabsize: Any = 8, *_args: Any, **kwargs: Any) -> int:
    size = kwargs.get("tabsize", tabsize)
    return len(text) + text.count("\t") * (size if _is_int(size) and size > 0 else 0)


# String methods whose result can be much larger than the text: how large, before calling.
_STR_RESULT_SIZE: dict[str, Callable[..., int]] = {
    "ljust": _width,
    "rjust": _width,
    "center": _width,
    "zfill": _width,
    "join": _joined_size,
    "replace": _replaced_size,
    "expandtabs": _expanded_size,
}


def _builtins(limits: Limits) -> dict[str, Any]:
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
            "sum": limits.sum,
            "any": any,
            "all": all,
            "enumerate": enumerate,
            "zip": zip,
            "map": map,
            "filter": filter,
            "reversed": reversed,
            "range": limits.range,
            "pow": limits.pow,
        }
    )
    for name in REFUSED_BUILTINS:
        allowed[name] = _refused(name)
    return allowed


# Builtins a script may not call: each is bound to a refusal at run time, and refused when compiling.
REFUSED_BUILTINS = ("open", "eval", "exec", "compile", "input", "globals", "locals", "vars", "getattr", "setattr",
                    "delattr", "breakpoint", "help", "memoryview")
# str methods safer_getattr refuses at run time: '{0.__class__}'.format(1) reaches attributes unguarded.
_REFUSED_STR_METHODS = ("format", "format_map")


_running = threading.local()  # the budget of the script this thread runs, for the loop guard


def _loop() -> None:
    _running.budget.count_line()


def _check_time() -> None:
    """For guards that loop in Python outside the traced script frames."""
    budget = getattr(_running, "budget", None)
    if budget is not None:
        budget.check_time()


_GUARDS: dict[str, Any] = {
    "__name__": "diagram_script",
    "__metaclass__": type,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_loop_": _loop,
}
_GUARD_NAMES = frozenset(_GUARDS) | frozenset(Limits().guards()) | {"__builtins__"}


class _SizeGuardingPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus the operators that can build huge values routed through guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        return _guard_call(guard, [node.left, node.right], node)

    def visit_While(self, node: ast.While) -> ast.AST:
        # `while True: pass` on one line jumps back without a new line event: count it by hand.
        node = self.node_contents_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_guard_call("_loop_", [], node)), node))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec
        for part in spec.values if isinstance(spec, ast.JoinedStr) else ():
            if isinstance(part, ast.FormattedValue):
                part.value = _guard_call("_format_argument_", [part.value], part.value)
            elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                # Checked when compiling (compiled code is shared by every environment), so
                # against the default limit rather than an environment's own.
                widths = [int(n) for n in re.findall(r"\d+", part.value)]
                if any(w > DEFAULT_MAX_ITEMS for w in widths):
                    self.error(node, f"lebar format melebihi batas {DEFAULT_MAX_ITEMS}")
        return node


def _guard_call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    function = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), where)
    return ast.copy_location(ast.Call(func=function, args=args, keywords=[]), where)


def _reject_statically(source: str) -> None:
    """Refuse when compiling what the guards would refuse at run time, so lint reports it before a deploy.

    Only what is certain from the text: a refused builtin named anywhere (it cannot be
    anything else: assigning to it would shadow a builtin, also refused), a format method
    on a text literal, an introspection attribute. A format method on a variable holding
    a text is still refused at run time by safer_getattr.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ScriptError(f"baris {exc.lineno}: sintaks salah: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SandboxViolation(f"baris {node.lineno}: import tidak diizinkan dalam skrip diagram")
        if isinstance(node, ast.Name) and node.id in REFUSED_BUILTINS:
            raise SandboxViolation(f"baris {node.lineno}: {node.id}() tidak diizinkan dalam skrip diagram")
        if isinstance(node, ast.Attribute):
            if node.attr in _REFUSED_STR_METHODS and _is_text_literal(node.value):
                raise SandboxViolation(
                    f"baris {node.lineno}: {node.attr}() pada teks tidak diizinkan dalam skrip diagram "
                    "(dapat membaca atribut tersembunyi); pakai f-string"
                )
            if node.attr in INSPECT_ATTRIBUTES:
                raise SandboxViolation(f"baris {node.lineno}: atribut {node.attr} tidak diizinkan dalam skrip diagram")


def _is_text_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))


@lru_cache(maxsize=2048)
def compile_script(source: str) -> CodeType:
    """Compile a script under the sandbox policy, or raise ScriptError saying why."""
    _reject_statically(source)
    result = compile_restricted_exec(source, filename=SCRIPT_FILENAME, policy=_SizeGuardingPolicy)
    if result.errors or result.code is None:  # RestrictedPython gives no code exactly when it lists errors
        raise SandboxViolation("ditolak sandbox: " + "; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a condition or timer expression under the sandbox policy."""
    _reject_statically(source)
    result = compile_restricted_eval(source.strip(), filename=SCRIPT_FILENAME, policy=_SizeGuardingPolicy)
    if result.errors or result.code is None:  # RestrictedPython gives no code exactly when it lists errors
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
            self.count_line()
        return self.local_trace

    def count_line(self) -> None:
        self.lines_left -= 1
        if self.lines_left <= 0:
            raise ScriptBudgetExceeded("skrip diagram melebihi batas langkah (kemungkinan perulangan tanpa akhir)")
        self.check_time()  # every line, not every thousandth: one line may cost milliseconds of C work

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ScriptBudgetExceeded(f"skrip diagram melebihi batas waktu {self.seconds:g} detik")


def _run_budgeted(code: CodeType, namespace: dict[str, Any], lines: int, seconds: float) -> Any:
    budget = _Budget(lines, seconds)
    previous, previous_budget = sys.gettrace(), getattr(_running, "budget", None)
    _running.budget = budget
    sys.settrace(budget.global_trace)
    try:
        return eval(code, namespace)  # noqa: S307 - code was compiled by RestrictedPython
    finally:
        sys.settrace(previous)
        _running.budget = previous_budget


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs diagram code under RestrictedPython with helper functions available."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        line_budget: int = DEFAULT_LINE_BUDGET,
        seconds: float = DEFAULT_SECONDS,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_int_bits: int = DEFAULT_MAX_INT_BITS,
        max_data_bytes: int = DEFAULT_MAX_DATA_BYTES,
    ) -> None:
        super().__init__(dict(helpers or {}))
        self.line_budget = line_budget
        self.seconds = seconds
        self.max_data_bytes = max_data_bytes
        limits = Limits(max_items, max_int_bits)
        self._guards = {**_GUARDS, **limits.guards(), "__builtins__": _builtins(limits)}

    def _namespace(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        clashes = set(self.globals) & set(context)
        if clashes:
            raise ScriptError("data memakai nama fungsi bantu yang dicadangkan: " + ", ".join(sorted(clashes)))
        namespace = dict(self._guards)
        namespace.update(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        return namespace

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = compile_expression(expression)
        value = _run_budgeted(code, self._namespace(context, external_context), self.line_budget, self.seconds)
        self._check_left(context)  # a condition can still grow a list in place (`x.extend(...) or True`)
        return value

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = compile_script(script)
        namespace = self._namespace(context, external_context)
        reserved = _GUARD_NAMES | set(self.globals) | set(external_context or {})
        _run_budgeted(code, namespace, self.line_budget, self.seconds)
        left = {name: value for name, value in namespace.items() if name not in reserved and not callable(value)}
        self._check_left(left)  # before the task data takes it: a refused script leaves the data as it was
        for name in list(context):
            if name not in namespace:
                del context[name]  # the script deleted it
        context.update(left)
        return True

    def _check_left(self, context: Mapping[str, Any]) -> None:
        """Refuse data the state could not hold, here, before anything serializes (and builds) it."""
        try:
            check_data(context, self.max_data_bytes, "yang ditinggalkan skrip")
        except DataTooLarge as exc:
            raise ScriptBudgetExceeded(str(exc)) from None


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with the sandbox and a clearer error text."""

    def __init__(self, environment: SandboxEnvironment) -> None:
        super().__init__(environment=environment)

    def validate(self, expression: str) -> None:
        compile_expression(expression)
