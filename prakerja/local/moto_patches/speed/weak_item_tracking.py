"""DynamoDB items that nothing references any more are freed.

Gives `moto.dynamodb.models.dynamo_type.Item` its own `__new__` in place of
`moto.core.common_models.BaseModel.__new__`. moto 5.2.5 records every instance of every model
class in `cls.instances_tracked`, for its dashboard (`/moto-api/data.json`) and its reset,
and never lets go of them while the mock runs. DynamoDB's `Item` is such a model, and moto
makes a new Item for every deep copy: every query result, every update's rollback copy,
every ReturnValues. So all of them stayed alive: about 8 discarded copies per stored item,
most of the ~0.9 MB per participant of `simulate`. Here Item's tracking holds weak
references: the dashboard still lists every Item that exists (those in tables, and copies
still in use); the discarded copies are freed. Nothing else reads the list (moto's S3
reads its own classes'); moto's reset replaces it with a plain list, which the next Item
replaces again."""

from __future__ import annotations

import inspect
import threading
import weakref

from ..base import SPEED, Patcher, require

KIND = SPEED


class LiveInstances:
    """What moto's `instances_tracked` list is used for (append, iterate), holding weak
    references: iteration yields the instances that still exist, in creation order."""

    def __init__(self, instances=()):
        self._lock = threading.Lock()
        self._refs = [weakref.ref(i) for i in instances]
        self._compact_at = 1024

    def append(self, instance) -> None:
        with self._lock:
            self._refs.append(weakref.ref(instance))
            if len(self._refs) >= self._compact_at:  # drop the dead, amortised O(1)
                self._refs = [r for r in self._refs if r() is not None]
                self._compact_at = max(1024, 2 * len(self._refs))

    def __iter__(self):
        with self._lock:
            refs = list(self._refs)
        return iter([i for i in (r() for r in refs) if i is not None])

    def __len__(self) -> int:
        return sum(1 for r in self._refs if r() is not None)


def install(patch: Patcher) -> None:
    from moto.core import model_instances
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models.dynamo_type import Item

    new_source = inspect.getsource(BaseModel.__new__)
    require(
        "cls.instances_tracked.append(instance)" in new_source
        and "super().__new__(cls)" in new_source
        and "instances_tracked = []" in inspect.getsource(model_instances.reset_model_data)
        and "__new__" not in Item.__dict__
        and issubclass(Item, BaseModel)
        and "__slots__" not in Item.__dict__
        and BaseModel.__dict__.get("__new__") is not None,
        "moto's model instance tracking (BaseModel.__new__)",
    )

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        tracked = cls.instances_tracked
        if type(tracked) is not LiveInstances:  # first Item, or after moto's reset
            tracked = LiveInstances(tracked)
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    patch.replace(Item, "__new__", __new__)
