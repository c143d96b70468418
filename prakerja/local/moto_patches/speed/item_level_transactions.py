"""A transaction backs up the items it touches, not every table it touches.

Replaces the `copy` module as seen by `moto.dynamodb.models` (whose
`DynamoDBBackend.transact_write_items`, in moto 5.2.5, deep-copies every table a transaction touches, once
per transaction item, to roll back on failure: O(table size) per write) and wraps
`DynamoDBBackend.transact_write_items`. Here whole-table deep copies are no-ops, and the
wrapper snapshots just the touched items (by key, before moto runs) and puts them back,
in reverse order, when moto raises: the same rollback, for the items a transaction can
change. A malformed request gets no snapshots; moto's own code reports it."""

from __future__ import annotations

import copy

from ..base import SPEED, Patcher, require

KIND = SPEED


class _TableCopyShim:
    """Stands in for the `copy` module inside moto's DynamoDB backend: deep copies of a
    whole Table become no-ops; everything else is the real `copy`."""

    def __init__(self, table_class, real_copy):
        self._table_class = table_class
        self._copy = real_copy

    def deepcopy(self, value, memo=None):
        return value if isinstance(value, self._table_class) else self._copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(self._copy, name)


def install(patch: Patcher) -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    require(
        getattr(models, "copy", None) is copy
        and callable(getattr(backend, "transact_write_items", None))
        and all(callable(getattr(backend, n, None)) for n in ("get_item", "put_item", "delete_item", "get_table")),
        "moto's DynamoDB transact_write_items (whole-table deepcopy)",
    )
    original = backend.transact_write_items

    def transact_write_items(self, transact_items):
        snapshots = []
        try:
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                attrs = op.get("Key") or op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
                current = self.get_item(op["TableName"], key)
                snapshots.append(
                    (op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None)
                )
        except Exception:  # noqa: BLE001 - malformed request: moto's own code reports it
            snapshots = []
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(snapshots):
                if attrs is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise

    patch.replace(models, "copy", _TableCopyShim(Table, copy))
    patch.replace(backend, "transact_write_items", transact_write_items)
