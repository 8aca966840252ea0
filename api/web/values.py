"""Case data as staff read it: choices by their titles, numbers and dates in Indonesian, lists of objects as tables.

Generic: every title comes from the forms of the case's own process version. Data a script wrote has no
form of its own, so a code there takes the title a form of the process gives the same code under the same
field name, or under a field of the same stem (`opd_tujuan_awal` is copied from `opd_tujuan`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import Any

from api.web import bp
from api.web.common import fmt_moment
from engine import FormRef, indonesian_number

ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # hari_kalender, tanggal_kegiatan

Table = tuple[list[str], list[list[str]]]


def choices(spec: dict[str, Any] | None) -> dict[Any, str]:
    """code -> title of a field's choices: `oneOf` of const/title, or `enum` with its `enumNames`."""
    spec = spec if isinstance(spec, dict) else {}
    if isinstance(spec.get("oneOf"), list):
        return {o["const"]: str(o.get("title", o["const"])) for o in spec["oneOf"]
                if isinstance(o, dict) and isinstance(o.get("const"), Hashable)}
    if isinstance(spec.get("enum"), list):
        names = spec.get("enumNames") if isinstance(spec.get("enumNames"), list) else []
        return {v: str(t) for v, t in zip(spec["enum"], names, strict=False) if isinstance(v, Hashable)}
    return {}


class Vocabulary:
    """Every field of every form of one process version, at any depth: name -> its schemas, in form order."""

    def __init__(self, forms: Iterable[FormRef]) -> None:
        self.fields: dict[str, list[dict[str, Any]]] = {}
        for form in forms:
            self._walk(form.schema)
        # Words the titles write in capitals (RKPD, OPD, RT): a label made from a field name writes them so too.
        self.upper: dict[str, str] = {}
        for specs in self.fields.values():
            for spec in specs:
                for word in re.findall(r"[A-Za-z]+", str(spec.get("title", ""))):
                    if len(word) > 1 and word.isupper():
                        self.upper.setdefault(word.lower(), word)

    @classmethod
    def of(cls, version: Any) -> Vocabulary:
        return cls(version.all_forms())

    def _walk(self, schema: dict[str, Any]) -> None:
        for name, spec in (schema.get("properties") or {}).items():
            if not isinstance(spec, dict):
                continue
            self.fields.setdefault(name, []).append(spec)
            self._walk(spec)
            if isinstance(spec.get("items"), dict):
                self._walk(spec["items"])

    def title(self, name: str) -> str | None:
        return next((s["title"] for s in self.fields.get(name, []) if s.get("title")), None)

    def choice(self, name: str, value: Any) -> str | None:
        """The title a form gives `value` under this field name, else under a field of the same stem.

        The value must be one of that field's codes, so a stem never lends a title to a code it lacks.
        """
        if not name or not isinstance(value, Hashable):
            return None
        words = name.split("_")
        stems = ("_".join(words[:n]) for n in range(len(words), 0, -1))
        candidates = [[name]] + [[f for f in self.fields if f != name and (f == stem or f.startswith(stem + "_"))]
                                 for stem in stems]
        for names in candidates:
            for other in names:
                for spec in self.fields.get(other, []):
                    for options in (choices(spec), choices(spec.get("items"))):
                        if value in options:
                            return options[value]
        return None


def label(name: str, spec: dict[str, Any] | None = None, vocab: Vocabulary | None = None) -> str:
    """A field's title, from its schema or any form of the process; else made from its name: `batas_rkpd` ->
    'Batas RKPD'."""
    if isinstance(spec, dict) and spec.get("title"):
        return str(spec["title"])
    if vocab is not None and (title := vocab.title(name)):
        return title
    upper = vocab.upper if vocab is not None else {}
    text = " ".join(upper.get(w, w) for w in name.split("_") if w)
    return text[:1].upper() + text[1:]


def display_value(value: Any, spec: dict[str, Any] | None = None, *, name: str = "",
                  vocab: Vocabulary | None = None, region: str | None = None) -> str:
    """A data value as people read it: choice titles, Ya/Tidak, numbers, dates in words, lists; a moment on
    the clock of `region`'s office."""
    spec = spec if isinstance(spec, dict) else {}
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, list):
        item = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        return "; ".join(display_value(v, item, name=name, vocab=vocab, region=region) for v in value)
    if isinstance(value, dict):
        props = spec.get("properties") or {}
        return ", ".join(
            f"{label(k, props.get(k), vocab)}: {display_value(v, props.get(k), name=k, vocab=vocab, region=region)}"
            for k, v in value.items())
    title = choices(spec).get(value) or (vocab.choice(name, value) if vocab is not None else None)
    if title is not None:
        return title
    if isinstance(value, int | float):
        return indonesian_number(value)
    if isinstance(value, str):
        if spec.get("format") == "date" or ISO_DATE.match(value):
            return fmt_moment(value, with_time=False)
        if spec.get("format") == "date-time" or ISO_MOMENT.match(value):
            return fmt_moment(value, region)
        if not spec and _CODE.match(value):  # a script's code no form names: its words, not its spelling
            return value.replace("_", " ")
    return str(value)


def value_table(value: Any, spec: dict[str, Any] | None = None, *, vocab: Vocabulary | None = None,
                region: str | None = None) -> Table | None:
    """A list of objects as (column labels, rows of text), columns in the form's order; an object of objects
    (a calendar by level) likewise, each row led by its key's label; None for other values."""
    spec = spec if isinstance(spec, dict) else {}
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        props = spec.get("properties") or {}
        inner = next((s for s in props.values() if isinstance(s, dict)), {})
        columns, rows = value_table(list(value.values()), {"items": inner}, vocab=vocab, region=region) or ([], [])
        keys = [label(k, props.get(k), vocab) for k in value]
        return ["", *columns], [[k, *row] for k, row in zip(keys, rows, strict=True)]
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    item = spec.get("items") if isinstance(spec.get("items"), dict) else {}
    props = item.get("properties") or {}
    keys = [k for k in props if any(k in v for v in value)]
    keys += list(dict.fromkeys(k for v in value for k in v if k not in props))
    rows = [[display_value(v.get(k), props.get(k), name=k, vocab=vocab, region=region) for k in keys] for v in value]
    return [label(k, props.get(k), vocab) for k in keys], rows


@bp.app_context_processor
def _values() -> dict[str, Any]:
    return {"display_value": display_value}
