"""moto lists a response class's methods once, not on every request.

Replaces `moto.core.responses.method_names_from_class` (the name `moto.core.responses`
imported from `moto.core.utils`), which moto 5.2.5's `BaseResponse` calls on every request to find the
action: an `inspect.getmembers` walk over the class. The list is kept per class (response
classes do not change while running; the patches here change them only at install, when
this patch starts with an empty list); callers get a copy, as they may change theirs."""

from __future__ import annotations

from ..base import SPEED, Patcher, require

KIND = SPEED


def install(patch: Patcher) -> None:
    from moto.core import responses, utils

    original = getattr(utils, "method_names_from_class", None)
    require(
        original is not None and getattr(responses, "method_names_from_class", None) is original,
        "moto.core.responses.method_names_from_class",
    )
    kept: dict[type, list[str]] = {}

    def method_names_from_class(clazz):
        names = kept.get(clazz)
        if names is None:
            names = kept[clazz] = original(clazz)
        return list(names)

    patch.replace(responses, "method_names_from_class", method_names_from_class)
