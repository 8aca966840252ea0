"""How large the workflow data may grow: measured before it is built as JSON text.

The sandbox bounds each operation of a script, but not what the operations leave
behind: `y = [[0] * 999999] * 999999` makes one list and 999,999 references to it,
well under every item limit, yet its JSON text would hold 10^12 elements. So the
data a script leaves (and every task's data before the state is serialized) is
walked with a byte budget that counts a shared value each time it is reached, as
JSON would write it. A container is charged its minimal size (two bytes per item)
before its items are walked, so the poison above is refused at its first list, in
microseconds, and nothing ever builds the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

DEFAULT_MAX_DATA_BYTES = 1_000_000  # JSON text of one task's data; forms send a few kilobytes
MAX_DEPTH = 100  # nesting levels: JSON readers (ours included) refuse much deeper texts


class DataTooLarge(ValueError):
    """The data would serialize to more than the limit; the message names the data field.

    The sandbox raises it again as a script error, the serializer as a state error.
    """


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) + 2  # quotes; escapes only make it longer, the bound stays a lower bound
    if value is None or isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return len(str(value)) if value.bit_length() < 3000 else value.bit_length() // 3
    if isinstance(value, float | Decimal):
        return len(str(value))
    if isinstance(value, date):
        return 40  # {"typename": "date", "value": "..."}
    return 8


def data_size(value: Any, limit: int, what: str = "data") -> int:
    """The JSON size of `value` (at least), or DataTooLarge as soon as it passes `limit` bytes or MAX_DEPTH levels.

    Iterative, so a deep value cannot exhaust the interpreter's stack; work is bounded by
    `limit` (each item reached costs at least one byte of the budget).
    """
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.items()
            count = len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            children, count = item, len(item)
        else:
            total += _scalar_size(item)
            if total > limit:
                _refuse(what, total, limit)
            continue
        if depth >= MAX_DEPTH:
            raise DataTooLarge(f"{what} bersarang lebih dari {MAX_DEPTH} tingkat; tidak dapat disimpan")
        total += 2 + 2 * count  # brackets, and at least one character and a comma per item
        if total > limit:
            _refuse(what, total, limit)
        is_mapping = isinstance(item, Mapping)
        for child in children:
            if is_mapping:
                key, child = child
                total += _scalar_size(str(key)) + 1
            if isinstance(child, str):  # most values: counted here, not pushed and popped
                total += len(child) + 2
            elif isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
            else:
                total += _scalar_size(child)
        if total > limit:
            _refuse(what, total, limit)
    return total


_CONTAINERS = (Mapping, list, tuple, set, frozenset)


def check_data(data: Mapping[str, Any], limit: int, where: str) -> int:
    """Refuse task data over `limit` bytes, naming the field that weighs most; returns the size.

    A limit of 0 turns the bound off: only for reproducing what it prevents (tests/load/test_poison.py).
    """
    if limit <= 0:
        return 0
    try:
        return data_size(data, limit)
    except DataTooLarge:
        heaviest = _heaviest_field(data, limit)
        raise DataTooLarge(
            f"data {where} melebihi batas {limit} byte" + (f": isian '{heaviest}' terlalu besar" if heaviest else "")
        ) from None


def _heaviest_field(data: Mapping[str, Any], limit: int) -> str | None:
    best, best_size = None, -1
    for key, value in data.items():
        try:
            size = data_size(value, limit)
        except DataTooLarge:
            return str(key)
        if size > best_size:
            best, best_size = str(key), size
    return best


def _refuse(what: str, total: int, limit: int) -> None:
    raise DataTooLarge(f"{what} melebihi batas {limit} byte (sudah lebih dari {total} byte)")
