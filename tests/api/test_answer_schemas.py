"""Answer schemas are built from a mapping of key to shape (api.schemas.answer): what each shape means."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from api.schemas import answer, answer_field, described


class ItemSchema(Schema):
    name = fields.String(required=True)


def test_every_key_of_an_answer_is_required_and_null_only_where_the_shape_says_so() -> None:
    built = answer("SampleSchema", {"id": int, "title": str | None, "late": bool, "data": dict})()

    assert list(built.fields) == ["id", "title", "late", "data"]
    assert all(field.required for field in built.fields.values())
    assert [key for key, field in built.fields.items() if field.allow_none] == ["title"]
    assert isinstance(built.fields["id"], fields.Integer)
    assert isinstance(built.fields["data"], fields.Dict)


def test_a_schema_class_is_a_nested_object_and_a_one_item_list_a_list_of_it() -> None:
    built = answer("HolderSchema", {"item": ItemSchema | None, "items": [ItemSchema], "names": [str]})()

    assert isinstance(built.fields["item"], fields.Nested) and built.fields["item"].allow_none
    assert isinstance(built.fields["items"].inner, fields.Nested)
    assert isinstance(built.fields["names"].inner, fields.String)
    assert built.dump({"item": None, "items": [{"name": "a"}], "names": ["b"]}) == {
        "item": None, "items": [{"name": "a"}], "names": ["b"]}


def test_the_class_carries_its_name_and_its_base_keys_first() -> None:
    derived = answer("DerivedSchema", {"extra": int}, base=ItemSchema)

    assert derived.__name__ == "DerivedSchema"  # the OpenAPI component name clients rely on
    assert issubclass(derived, ItemSchema)
    assert list(derived().fields) == ["name", "extra"]


def test_a_ready_field_is_taken_as_it_is_and_described_adds_a_description() -> None:
    ready = fields.String(allow_none=True)

    assert answer_field(ready) is ready
    assert described(str, "kode lacak").metadata == {"description": "kode lacak"}


@pytest.mark.parametrize("shape", [float, str | int | None, [str, int]])
def test_a_shape_with_no_answer_field_is_refused_when_the_schema_is_built(shape: object) -> None:
    with pytest.raises(TypeError):
        answer_field(shape)
