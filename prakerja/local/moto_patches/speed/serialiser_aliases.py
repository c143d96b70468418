"""moto's response serialiser finds a plain dict's members without building objects.

Replaces `moto.core.serialize.ResponseSerializer.get_value`. moto 5.2's serialiser looks up
every member of every output shape through a chain of alias providers
(`DEFAULT_ALIAS_PROVIDERS`: ExplicitAlias, ShapeNameAlias, NoAlias, ShapePrefixAlias,
ClassPrefixAlias, ModelAlias), building a context object and six provider objects per
member: 29 % of busy samples in `simulate` once queries were narrowed (histories, Lambda
invoke results, DynamoDB items). For a plain dict (what DynamoDB, Step Functions and Lambda
results are) the same aliases are tried in the same order here, without the objects;
anything else (objects, dotted paths, response transformers, other pickers) is moto's own
`get_value`. `PRAKERJA_MOTO_PATCH_SELFCHECK=1` checks every answer against moto's."""

from __future__ import annotations

import inspect
import os

from ..base import SPEED, Patcher, require

KIND = SPEED
SELFCHECK = "PRAKERJA_MOTO_PATCH_SELFCHECK"


def install(patch: Patcher) -> None:
    from botocore import xform_name
    from moto.core import serialize as ser

    expected = [
        ser.ExplicitAlias,
        ser.ShapeNameAlias,
        ser.NoAlias,
        ser.ShapePrefixAlias,
        ser.ClassPrefixAlias,
        ser.ModelAlias,
    ]
    original = getattr(ser.ResponseSerializer, "get_value", None)
    require(
        list(getattr(ser, "DEFAULT_ALIAS_PROVIDERS", [])) == expected
        and original is not None
        and list(inspect.signature(original).parameters) == ["self", "value", "key", "shape"]
        and "response_transformers" in inspect.getsource(ser.AttributePicker),
        "moto's response serialiser (moto.core.serialize.ResponseSerializer.get_value)",
    )
    defaults = ser.DEFAULT_ALIAS_PROVIDERS
    pickers = {ser.AttributePicker: False, ser.XFormedAttributePicker: True}
    selfcheck = os.environ.get(SELFCHECK) == "1"
    fallback = object()

    def aliases(key, shape):
        """What AttributePicker.get_possible_keys yields for a plain dict, in order."""
        # ExplicitAlias: a dict has no `Meta`.
        if shape is not None and shape.type_name in ("list", "structure"):  # ShapeNameAlias
            try:
                conflict = shape.name in shape.parent.members
            except AttributeError:
                conflict = False
            if not conflict and key != shape.name:
                yield shape.name
        yield key  # NoAlias
        parent = getattr(shape, "parent", None) if shape is not None else None
        if parent is not None and parent.type_name == "structure" and key.lower().startswith(parent.name.lower()):
            if key[len(parent.name) :] not in parent.members:  # ShapePrefixAlias
                yield key[len(parent.name) :]
        if key.lower().startswith("dict"):  # ClassPrefixAlias: the object's class is `dict`
            yield key[len("dict") :]
        if shape is not None:  # ModelAlias
            name = shape.serialization.get("name", key)
            if name != key:
                yield name

    def pick(value, key, shape, xformed):
        for alias in aliases(key, shape):
            for candidate in (alias, xform_name(alias)) if xformed else (alias,):
                if not isinstance(candidate, str) or "." in candidate:
                    return fallback  # a dotted path: moto walks it; let moto answer
                if candidate in value:
                    return value[candidate]
        return None

    def get_value(self, value, key, shape):
        picker = self._value_picker
        xformed = pickers.get(type(picker))
        if (
            type(value) is not dict
            or xformed is None
            or picker.response_transformers
            or picker.alias_providers is not defaults
            or not isinstance(key, str)
        ):
            return original(self, value, key, shape)
        found = pick(value, key, shape, xformed)
        if found is fallback:
            return original(self, value, key, shape)
        if selfcheck:
            expected_value = original(self, value, key, shape)
            assert found is expected_value, (
                f"serialiser patch disagrees with moto on {key!r}: {found!r} != {expected_value!r}"
            )
        return found

    patch.replace(ser.ResponseSerializer, "get_value", get_value)
