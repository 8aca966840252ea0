"""Links between cases: a form field marked `"x-alur-case-link": true` holds another case's tracking code.

A complaint can name the proposal or aspiration it is about. The code is checked when the form is
sent (a code that names no case is refused with 422 naming the field, and nothing is stored), and
the link is written as a row in the same transaction as the save, so each end finds the other by an
index: the complaint shows what it is about, the proposal shows the complaints about it. Which
fields link is the form's business; nothing here knows a procedure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_

from api.auth import Principal
from api.db import db
from api.errors import invalid
from api.models import CaseLink, Instance
from api.services import privacy
from api.services.tracking import normalize
from api.services.versions import runtime
from engine import FormRef, now

KEYWORD = "x-alur-case-link"


@dataclass(frozen=True)
class Resolved:
    """The linking fields a form sent (`fields`, also those sent empty) and the case each non-empty one names."""

    fields: frozenset[str]
    targets: dict[str, int]  # field -> instance id


NOTHING = Resolved(frozenset(), {})


def link_fields(form: FormRef | None) -> list[str]:
    return form.fields_marked(KEYWORD) if form is not None else []


def row_link_fields(form: FormRef | None) -> dict[str, list[str]]:
    """Per list field, the linking fields of its rows (a forum's row merged into another proposal)."""
    return form.row_fields_marked(KEYWORD) if form is not None else {}


def resolve(form: FormRef | None, data: dict[str, Any], own_id: int | None = None) -> Resolved:
    """The cases the form's linking fields name; 422 naming each field whose code finds no case.

    A linking field inside the rows of a list is checked the same way and named by row
    (`usulan.2.gabung_ke`), but writes no link: a row speaks for the case it lists, not for this one.
    """
    sent = frozenset(name for name in link_fields(form) if name in data)
    wanted = {name: normalize(data[name]) for name in sent if isinstance(data[name], str) and data[name].strip()}
    in_rows = _row_codes(form, data)
    if not sent and not in_rows:
        return NOTHING
    codes = set(wanted.values()) | {code for code, _ in in_rows.values()}
    ids = dict(db.session.execute(
        db.select(Instance.tracking_code, Instance.id).where(Instance.tracking_code.in_(codes))
    ).all()) if codes else {}
    errors, targets = [], {}
    for name, code in sorted(wanted.items()):
        if code not in ids:
            errors.append({"field": name, "message": f"kode lacak {code} tidak ditemukan"})
        elif ids[code] == own_id:
            errors.append({"field": name, "message": "kode lacak ini milik kasus ini sendiri"})
        else:
            targets[name] = ids[code]
    for where, (code, row) in in_rows.items():
        if code not in ids:
            errors.append({"field": where, "message": f"baris {row + 1}: kode lacak {code} tidak ditemukan"})
        elif ids[code] == own_id:
            errors.append({"field": where, "message": f"baris {row + 1}: kode lacak ini milik kasus ini sendiri"})
    if errors:
        raise invalid(errors)
    return Resolved(sent, targets)


def _row_codes(form: FormRef | None, data: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The non-empty linking fields sent in list rows: `list.index.field` -> (normalized code, index)."""
    found: dict[str, tuple[str, int]] = {}
    for name, fields in row_link_fields(form).items():
        rows = data.get(name)
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            for field in fields:
                value = row.get(field) if isinstance(row, dict) else None
                if isinstance(value, str) and value.strip():
                    found[f"{name}.{index}.{field}"] = (normalize(value), index)
    return found


def write(instance: Instance, resolved: Resolved) -> None:
    """Store the links of one save (in the caller's transaction): a field sent again points where it now says."""
    if not resolved.fields:
        return
    stored = db.session.execute(
        db.select(CaseLink).where(CaseLink.source_id == instance.id, CaseLink.field.in_(resolved.fields))
    ).scalars().all()
    kept = set()
    for row in stored:
        if resolved.targets.get(row.field) == row.target_id:
            kept.add(row.field)
        else:
            db.session.delete(row)
    moment = now()
    for field, target_id in resolved.targets.items():
        if field not in kept:
            db.session.add(CaseLink(source_id=instance.id, target_id=target_id, field=field, created_at=moment))


def _field_title(instance: Instance, field: str) -> str:
    """The title the form gives the linking field, for the reader; the field name if no form has it."""
    for form in runtime().by_row(instance.version_id).version.forms.values():
        spec = form.schema.get("properties", {}).get(field)
        if isinstance(spec, dict) and spec.get("title"):
            return str(spec["title"])
    return field


def links_of(instance: Instance, principal: Principal | None) -> dict[str, list[dict[str, Any]]]:
    """Both directions as this reader may see them: `about` = the cases this one names, `named_by` = the cases
    that name this one; a linked case the reader may not see is left out (see `shown`)."""
    links = _links(instance)
    visible = shown(principal, [other for side in links.values() for _, other, _ in side])
    return {side: [_item(link, other, title) for link, other, title in rows if other.id in visible]
            for side, rows in links.items()}


def shown(principal: Principal | None, others: list[Instance]) -> set[int]:
    """The ids of the linked cases this reader may be shown: the one rule for every page and answer with links.

    A case is shown to whoever could see it as a case (`privacy.case_scope`: its own process's lanes,
    within region and unit, or admins and report viewers); a confidential one only to those who may
    know its reporter too, since its very existence is what the reporter asked to keep private.
    Holding a lane of the case that names it (a proposal's Ketua RT) is no reason to see a complaint.
    """
    if principal is None or not others:
        return set()
    versions = {other.version_id for other in others}
    per_version = [and_(Instance.version_id == version_id,
                        privacy.case_scope(principal, runtime().by_row(version_id).version.lanes))
                   for version_id in sorted(versions)]
    query = db.select(Instance.id).where(
        Instance.id.in_({other.id for other in others}), or_(*per_version),
        or_(Instance.confidential.is_(False), privacy.identity_scope(principal)),
    )
    return set(db.session.execute(query).scalars())


def _links(instance: Instance) -> dict[str, list[tuple[CaseLink, Instance, str]]]:
    """Every link of the case, both directions, each with the other case and the linking field's title."""
    about = db.session.execute(
        db.select(CaseLink, Instance).join(Instance, Instance.id == CaseLink.target_id)
        .where(CaseLink.source_id == instance.id).order_by(CaseLink.id)
    ).all()
    named_by = db.session.execute(
        db.select(CaseLink, Instance).join(Instance, Instance.id == CaseLink.source_id)
        .where(CaseLink.target_id == instance.id).order_by(CaseLink.id)
    ).all()
    return {
        "about": [(link, other, _field_title(instance, link.field)) for link, other in about],
        "named_by": [(link, other, _field_title(other, link.field)) for link, other in named_by],
    }


def _item(link: CaseLink, other: Instance, field_title: str) -> dict[str, Any]:
    return {
        "instance_id": other.id, "tracking_code": other.tracking_code, "process_id": other.process_id,
        "process": runtime().by_row(other.version_id).version.name, "title": other.title,
        "status": other.status, "field": link.field, "field_title": field_title,
        "confidential": other.confidential,
    }


def public_links(instance: Instance) -> dict[str, list[dict[str, Any]]]:
    """What tracking shows of the links: only cases that are public too (not confidential), no ids.

    The code of a case that names this one is left out: a tracking code opens that case's replies,
    and whoever follows this case (a proposal) has no business reading the replies to a complaint about it.
    """
    links = _links(instance)
    return {
        "about": [{k: item[k] for k in ("tracking_code", "process", "title")}
                  for item in (_item(*row) for row in links["about"]) if not item["confidential"]],
        "named_by": [{k: item[k] for k in ("process", "title")}
                     for item in (_item(*row) for row in links["named_by"]) if not item["confidential"]],
    }
