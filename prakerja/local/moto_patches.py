"""Changes to moto internals that the local runtime depends on, applied once.
Each checks that moto still has the shape it patches and fails loudly otherwise.

Fidelity:
0. AWS refuses a task token that was already used (TaskTimedOut/InvalidToken); moto
   5.2.5 accepts it silently, which would hide lost events. Here it is refused.

Speed:
1. moto answers a GSI query by sorting and filtering every item of the table, which
makes each payout-run query O(table size). Here the candidates are first narrowed
to the items whose index hash key matches (a plain dict walk), and moto's own
query logic then runs on that subset, so results and pagination stay moto's.
2. moto backs up every table touched by a transaction with a deep copy, once per
item: O(table size) per write. Only the touched items are backed up here."""

from __future__ import annotations

import inspect
import threading

from .invoker import MotoHookMissing

_local = threading.local()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    params = inspect.signature(Table.query).parameters
    if "index_name" not in params or "hash_key_conditions" not in params or not hasattr(Table, "all_items"):
        raise MotoHookMissing("moto's DynamoDB Table.query changed shape; the pinned moto==5.2.5 is required")
    original_query, original_all_items = Table.query, Table.all_items

    def all_items(self):
        subset = getattr(_local, "subset", None)
        if subset is not None and subset[0] is self:
            return sorted(subset[1], key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        return original_all_items(self)

    def query(self, *args, **kwargs):
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        if not index_name or not conditions:
            return original_query(self, *args, **kwargs)
        wanted = [(name, value.value) for name, value in conditions]
        candidates = [
            item
            for group in self.items.values()
            for item in (group.values() if self.range_key_attr else [group])
            if all(getattr(item.attrs.get(name), "value", None) == value for name, value in wanted)
        ]
        _local.subset = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.subset = None

    Table.all_items = all_items
    Table.query = query
    _item_level_transactions()
    _used_tokens_are_refused()
    _installed = True


class _TableCopyShim:
    """Stands in for the `copy` module inside moto's DynamoDB backend: whole-table
    deep copies (moto's transaction rollback, one per transaction item) become
    no-ops; `_item_level_transactions` snapshots just the touched items instead."""

    def __init__(self, table_class, real_copy):
        self._table_class = table_class
        self._copy = real_copy

    def deepcopy(self, value, memo=None):
        return value if isinstance(value, self._table_class) else self._copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(self._copy, name)


def _item_level_transactions() -> None:
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    original = backend.transact_write_items
    if getattr(models, "copy", None) is not copy or not hasattr(backend, "get_item"):
        raise MotoHookMissing("moto's DynamoDB transact_write_items changed shape; moto==5.2.5 is required")
    models.copy = _TableCopyShim(Table, copy)

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
                snapshots.append((op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
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

    backend.transact_write_items = transact_write_items


def _used_tokens_are_refused() -> None:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    pool = callback.CallbackPoolManager
    original = pool.notify
    if not hasattr(callback.CallbackEndpoint, "get_outcome"):
        raise MotoHookMissing("moto's Step Functions callback pool changed shape; moto==5.2.5 is required")
    lock = threading.Lock()

    def notify(self, callback_id, outcome):
        with lock:
            endpoint = self._pool.get(callback_id)
            if endpoint is not None and endpoint.get_outcome() is not None:
                return False  # as if unknown: SendTask* then answers InvalidToken
            return original(self, callback_id, outcome)

    pool.notify = notify
