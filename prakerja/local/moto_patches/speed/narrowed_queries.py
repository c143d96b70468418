"""DynamoDB queries look at the items that can match, not the whole table.

Replaces `moto.dynamodb.models.table.Table.query` and `Table.all_items`, and wraps
`Table.put_item` and `moto.dynamodb.models.DynamoDBBackend.update_item`. moto 5.2.5
answers every Query, base table or GSI, by sorting and filtering every item of the table
(`Table.all_items()`): each query is O(table size), and the daily jobs quadratic in
participants. Here the candidates are narrowed first and moto's own `Table.query` then
runs on that subset (its `all_items()` answers the subset, sorted as moto sorts), so
filtering, ordering, pagination and errors stay moto's:
- a base-table query gets its partition (`Table.items[hash_key]`);
- a GSI query gets the items an index of GSI hash-key values names. That index is a
  superset (moto re-checks every condition): built from the whole table on the table's
  first GSI query, then fed by every write that can give an item a GSI value
  (`Table.put_item`, which puts, transactions and batches all go through, and
  `DynamoDBBackend.update_item`, which updates items in place); entries that no longer
  match are dropped when seen.
- Of a GSI query's candidates, those failing the sort-key condition (moto's own
  comparison) are dropped before moto sorts them, but one: moto's Limit and 1 MB page logic
  looks at the item that follows the last match (`LastEvaluatedKey` is set when another item
  follows the limit-th match, or when one following item would take the page over 1 MB).
  A key condition is an interval of the sort key, so the matches are contiguous in moto's
  order; of the items after them (in the query's direction) the one kept is the first, or,
  when the matches could come within one item of 1 MB, the largest. Legacy `QueryFilter`
  arguments, multi-attribute sort keys and mixed types get no such narrowing.
The arguments are read where `Table.query`'s signature puts them (found at install time),
by position or by keyword. An index belongs to one installation of this patch: writes made
while it was not installed are never missing from an index used later."""

from __future__ import annotations

import inspect
import threading

from ..base import SPEED, Patcher, argument, argument_positions, require

KIND = SPEED
MAX_ITEM_SIZE = 405_000  # moto's item size limit (LimitedSizeDict.__setitem__), in Item.size() units
_local = threading.local()
_index_lock = threading.RLock()


def install(patch: Patcher) -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    require(
        all(
            callable(getattr(owner, name, None))
            for owner, name in (
                (Table, "query"),
                (Table, "all_items"),
                (Table, "put_item"),
                (Table, "all_indexes"),
                (backend, "update_item"),
            )
        ),
        "moto's DynamoDB Table.query/all_items/put_item or DynamoDBBackend.update_item",
    )
    original_query, original_all_items = Table.query, Table.all_items
    original_put, original_update = Table.put_item, backend.update_item
    at = argument_positions(
        original_query, ("hash_key", "range_comparison", "range_objs", "scan_index_forward", "index_name")
    )
    named = set(inspect.signature(original_query).parameters) - {"self", "filter_kwargs"}
    require({"hash_key_conditions", "range_key_conditions"} <= named, "moto's DynamoDB Table.query (key conditions)")
    require(
        getattr(table_module, "RESULT_SIZE_LIMIT", None) == 1_000_000
        and "> 405000" in inspect.getsource(dynamo_type.LimitedSizeDict.__setitem__),
        "moto's DynamoDB page size (RESULT_SIZE_LIMIT) or item size limit",
    )
    page_limit = table_module.RESULT_SIZE_LIMIT
    index_attr = f"_prakerja_gsi_index_{id(patch)}"  # this installation's index

    def all_items(self):
        subset = getattr(_local, "subset", None)
        if subset is not None and subset[0] is self:
            return sorted(subset[1], key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        return original_all_items(self)

    def query(self, *args, **kwargs):
        if not argument(args, kwargs, "index_name", at["index_name"]):
            hash_key = argument(args, kwargs, "hash_key", at["hash_key"])
            if hash_key is None:
                return original_query(self, *args, **kwargs)
            partition = self.items.get(hash_key)
            if partition is None:
                candidates = []
            else:
                candidates = list(partition.values()) if self.range_key_attr else [partition]
        else:
            conditions = kwargs.get("hash_key_conditions")
            if not conditions:
                return original_query(self, *args, **kwargs)
            candidates = _gsi_candidates(self, index_attr, conditions)
            range_comparison = argument(args, kwargs, "range_comparison", at["range_comparison"])
            range_objs = argument(args, kwargs, "range_objs", at["range_objs"])
            range_conditions = kwargs.get("range_key_conditions")
            if (
                range_comparison
                and range_objs
                and range_conditions
                and len(range_conditions) == 1
                and kwargs.keys() <= named
                and _one_sort_key(self, argument(args, kwargs, "index_name", at["index_name"]))
            ):
                reverse = argument(args, kwargs, "scan_index_forward", at["scan_index_forward"]) is False
                candidates = _within_range(
                    candidates, range_conditions[-1][0], range_comparison, range_objs, reverse, page_limit
                )
        _local.subset = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.subset = None

    def put_item(self, *args, **kwargs):
        item = original_put(self, *args, **kwargs)
        _index_item(self, index_attr, item)
        return item

    def update_item(self, table_name, *args, **kwargs):
        item = original_update(self, table_name, *args, **kwargs)
        _index_item(self.get_table(table_name), index_attr, item)  # moto updates the stored item in place
        return item

    patch.replace(Table, "all_items", all_items)
    patch.replace(Table, "query", query)
    patch.replace(Table, "put_item", put_item)
    patch.replace(backend, "update_item", update_item)


def _one_sort_key(table, index_name: str) -> bool:
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    return index is not None and sum(1 for key in index.schema if key["KeyType"] == "RANGE") == 1


def _within_range(candidates: list, name: str, comparison: str, objs: list, reverse: bool, page_limit: int) -> list:
    """The candidates matching the sort-key condition, and the one item after them that
    moto's page logic can look at (see the module docstring)."""
    matching, outside = [], []
    for item in candidates:
        value = item.attrs.get(name)
        if value:  # moto leaves items without a sort key out of the index too
            (matching if value.compare(comparison, objs) else outside).append(item)
    if not matching or not outside:
        return matching
    reference = matching[0].attrs[name]
    try:
        after = [i for i in outside if (i.attrs[name] < reference if reverse else i.attrs[name] > reference)]
    except TypeError:  # mixed types: moto sorts them its way
        return candidates
    if not after:
        return matching
    if sum(item.size() for item in matching) + MAX_ITEM_SIZE <= page_limit:
        return matching + after[:1]  # no following item can take the page over the limit
    return matching + [max(after, key=lambda item: item.size())]


def _gsi_hash_attrs(table) -> list[str]:
    return sorted(
        {key["AttributeName"] for index in table.all_indexes() for key in index.schema if key["KeyType"] == "HASH"}
    )


def _index_item(table, index_attr: str, item) -> None:
    """Records that `item` has its current GSI hash values (a superset is fine)."""
    index = getattr(table, index_attr, None)
    if index is None or item is None:
        return
    with _index_lock:
        for name, by_value in index.items():
            value = item.attrs.get(name)
            if value is not None:
                by_value.setdefault(value, {})[(item.hash_key, item.range_key)] = None


def _gsi_candidates(table, index_attr: str, conditions) -> list:
    with _index_lock:
        index = getattr(table, index_attr, None)
        if index is None:
            index = {name: {} for name in _gsi_hash_attrs(table)}
            setattr(table, index_attr, index)
            for group in list(table.items.values()):
                for item in list(group.values()) if table.range_key_attr else [group]:
                    _index_item(table, index_attr, item)
        name, value = conditions[0]
        by_value = index.get(name)
        if by_value is None:  # not a GSI hash key of this table: let moto answer (and complain)
            return [
                item for group in table.items.values() for item in (group.values() if table.range_key_attr else [group])
            ]
        keys = by_value.get(value, {})
        found, stale = [], []
        for key in list(keys):
            hash_key, range_key = key
            group = table.items.get(hash_key)
            item = group.get(range_key) if (group is not None and table.range_key_attr) else group
            current = item.attrs.get(name) if item is not None else None
            if current is None or not current == value:  # DynamoType.__ne__ fails on None
                stale.append(key)
            else:
                found.append(item)
        for key in stale:
            keys.pop(key, None)
        return found
