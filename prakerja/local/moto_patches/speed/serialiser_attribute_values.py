"""DynamoDB attribute values are written to a response directly.

Replaces `moto.core.serialize.BaseJSONSerializer._serialize_type_structure` for DynamoDB's
`AttributeValue` shape. moto 5.2 serialises the structure around every attribute of every
item (10 members: S, N, B, SS, NS, BS, M, L, NULL, BOOL) by walking the shape member by
member through the alias machinery. An AttributeValue holding only strings, numbers,
booleans, nulls, string and number sets, and maps and lists of those is a plain dict
already in its wire form: it is written as is (members in shape order, as moto writes
them). Anything else (binary values, odd types) is moto's own code.
`PRAKERJA_MOTO_PATCH_SELFCHECK=1` checks every fast answer against moto's."""

from __future__ import annotations

import os

from ..base import SPEED, Patcher, require
from .serialiser_aliases import SELFCHECK

KIND = SPEED
_PLAIN_KINDS = frozenset({"S", "N", "SS", "NS", "M", "L", "NULL", "BOOL"})


def install(patch: Patcher) -> None:
    from moto.core import serialize as ser
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    members = {
        k: (m.type_name, getattr(getattr(m, "member", None), "type_name", None), bool(m.serialization))
        for k, m in shape.members.items()
    }
    expected = {
        "S": ("string", None, False),
        "N": ("string", None, False),
        "B": ("blob", None, False),
        "SS": ("list", "string", False),
        "NS": ("list", "string", False),
        "BS": ("list", "blob", False),
        "M": ("map", None, False),
        "L": ("list", "structure", False),
        "NULL": ("boolean", None, False),
        "BOOL": ("boolean", None, False),
    }
    original = getattr(ser.BaseJSONSerializer, "_serialize_type_structure", None)
    require(
        members == expected
        and not shape.serialization
        and original is not None
        and shape.members["M"].value.name == "AttributeValue"
        and shape.members["L"].member.name == "AttributeValue",
        "DynamoDB's AttributeValue shape or moto's JSON serialiser (BaseJSONSerializer._serialize_type_structure)",
    )
    order = list(shape.members)  # moto writes members in shape order
    selfcheck = os.environ.get(SELFCHECK) == "1"
    no = object()

    def attribute_value(value):
        if type(value) is not dict or not value.keys() <= _PLAIN_KINDS:
            return no
        out = {}
        for kind in order:
            if kind not in value:
                continue
            v = value[kind]
            if kind in ("S", "N"):
                if type(v) is not str:
                    return no
                out[kind] = v
            elif kind in ("BOOL", "NULL"):
                if type(v) is not bool:
                    return no
                out[kind] = v
            elif kind in ("SS", "NS"):
                if type(v) is not list or any(type(x) is not str for x in v):
                    return no
                out[kind] = list(v)
            elif kind == "M":
                if type(v) is not dict:
                    return no
                m = {}
                for name, inner in v.items():
                    m[name] = attribute_value(inner)
                    if m[name] is no:
                        return no
                out[kind] = m
            else:  # "L"
                if type(v) is not list:
                    return no
                items = [attribute_value(inner) for inner in v]
                if any(i is no for i in items):
                    return no
                out[kind] = items
        return out

    def _serialize_type_structure(self, serialized, value, shape_, key):
        if (
            key
            and shape_ is shape
            or (key and shape_.name == "AttributeValue" and self.service_model.service_name == "dynamodb")
        ):
            fast = attribute_value(value)
            if fast is not no:
                if selfcheck:
                    reference: dict = {}
                    original(self, reference, value, shape_, key)
                    assert reference == {self.get_serialized_name(shape_, key): fast}, (reference, fast)
                serialized[self.get_serialized_name(shape_, key)] = fast
                return
        original(self, serialized, value, shape_, key)

    patch.replace(ser.BaseJSONSerializer, "_serialize_type_structure", _serialize_type_structure)
