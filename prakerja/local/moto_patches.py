"""Changes to moto internals that the local runtime depends on, applied once.
Each checks that moto still has the shape it patches and fails loudly otherwise.

Fidelity:
0. AWS refuses a task token that was already used (TaskTimedOut/InvalidToken); moto
   5.2.5 accepts it silently, which would hide lost events. Here it is refused.
9. moto 5.2.5 has no RedriveExecution, which operators use after fixing a failure's
   cause: moto_redrive.py adds it.

Speed (each measured in docs/performance.md; none changes an answer):
1. moto answers every Query, base table or GSI, by sorting and filtering every item of
the table (`Table.all_items()`), which makes each query O(table size) and the daily
jobs quadratic in participants. Here the candidates are narrowed first, and moto's own
query logic then runs on that subset, so filtering, ordering and pagination stay moto's:
a base-table query gets its partition (`Table.items[hash_key]`); a GSI query gets the
items an index of GSI hash-key values names. That index is a superset (moto re-checks
every condition): it is built from the whole table on a table's first GSI query and
then fed by every write that can give an item a GSI value (`Table.put_item`, which
puts, transactions and batches all go through, and `DynamoDBBackend.update_item`,
which updates items in place); stale entries are dropped when seen. Candidates failing
the query's sort-key condition are dropped before moto sorts them (moto re-checks).
2. moto backs up every table touched by a transaction with a deep copy, once per
item: O(table size) per write. Only the touched items are backed up here.
3. moto's Step Functions interpreter re-parses the state machine definition (antlr) for
every execution it starts. The parsed program is kept per definition string: the
program's components keep no per-execution state (all of it lives in the execution's
`Environment`: stack, heap, context), so executions can share it.
4. moto's interpreter builds a new boto3 client for every Task state it runs (about
2-5 ms each). One client per (region, service, credentials, endpoint) is kept.
5. moto 5.2's response serialiser looks up every member of every output shape through
a chain of alias providers, building a context object and six provider objects per
member: 29 % of busy samples in `simulate` once queries were fixed (histories, Lambda invoke
results, DynamoDB items). For plain dicts (what DynamoDB, Step Functions and Lambda
results are) the same aliases are tried in the same order, without the objects.
DynamoDB's AttributeValue (a 10-member structure around every attribute of every item)
is written directly when it holds only strings, numbers, booleans, nulls, string sets,
maps and lists of those (what moto's serialiser writes for them, minus the walk).
`PRAKERJA_MOTO_PATCH_SELFCHECK=1` checks every fast answer against moto's own.
6. moto lists a response class's methods (`inspect.getmembers`) on every request to find
the action; the list is kept per class (classes do not change while running).
7. moto_direct.py: in-process DynamoDB and Step Functions calls skip the HTTP round trip.
8. moto parses every UpdateExpression twice per request (request checks, then the
backend) with a hand-written tokenizer and parser. The parsed tree depends only on the
string, and every consumer either only reads it (`find_clauses`) or deep-copies it
before changing it (the validators), so one tree per expression string is kept.
10. moto parses every ConditionExpression twice per write: one parsed tree per
(expression, names, values) is kept (details at the function).
11. moto keeps every DynamoDB Item object it ever made (query results, rollback copies)
in a list for its dashboard: that list holds weak references here, so discarded copies
are freed (most of `simulate`'s memory; details at the function)."""

from __future__ import annotations

import inspect
import os
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
        if not index_name:
            hash_key = args[0] if args else kwargs.get("hash_key")
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
            candidates = _gsi_candidates(self, conditions)
            # A work queue's partition holds everything queued, due or not; moto would sort
            # (and walk) all of it every run. Items failing the sort-key condition are
            # dropped first with moto's own comparison (moto checks again; a superset).
            range_comparison = args[1] if len(args) > 1 else kwargs.get("range_comparison")
            range_objs = args[2] if len(args) > 2 else kwargs.get("range_objs")
            range_conditions = kwargs.get("range_key_conditions")
            if range_comparison and range_objs and range_conditions:
                name = range_conditions[-1][0]
                candidates = [c for c in candidates
                              if (v := c.attrs.get(name)) is not None and v.compare(range_comparison, range_objs)]
        _local.subset = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.subset = None

    Table.all_items = all_items
    Table.query = query
    _gsi_index_maintenance()
    _item_level_transactions()
    _used_tokens_are_refused()
    _parsed_definitions_are_shared()
    _boto_clients_are_reused()
    _fast_response_serialisation()
    _method_names_are_kept()
    _update_expressions_are_parsed_once()
    _condition_expressions_are_parsed_once()  # 10.
    _copied_items_are_not_kept()  # 11.
    from . import moto_direct

    moto_direct.install()  # 7. DynamoDB and Step Functions calls without the HTTP round trip
    from . import moto_redrive

    moto_redrive.install()  # 9. RedriveExecution
    _installed = True


# --- 1. an index of GSI hash-key values -----------------------------------------------------

_index_lock = threading.RLock()


def _gsi_hash_attrs(table) -> list[str]:
    return sorted({key["AttributeName"] for index in table.all_indexes() for key in index.schema if key["KeyType"] == "HASH"})


def _item_key(item) -> tuple:
    return (item.hash_key, item.range_key)


def _index_item(table, item) -> None:
    """Records that `item` has its current GSI hash values (a superset is fine)."""
    index = getattr(table, "_prakerja_gsi_index", None)
    if index is None or item is None:
        return
    with _index_lock:
        for name, by_value in index.items():
            value = item.attrs.get(name)
            if value is not None:
                by_value.setdefault(value, {})[_item_key(item)] = None


def _gsi_candidates(table, conditions) -> list:
    with _index_lock:
        index = getattr(table, "_prakerja_gsi_index", None)
        if index is None:
            index = {name: {} for name in _gsi_hash_attrs(table)}
            table._prakerja_gsi_index = index
            for group in list(table.items.values()):
                for item in (list(group.values()) if table.range_key_attr else [group]):
                    _index_item(table, item)
        name, value = conditions[0]
        by_value = index.get(name)
        if by_value is None:  # not a GSI hash key of this table: let moto answer (and complain)
            return [item for group in table.items.values() for item in (group.values() if table.range_key_attr else [group])]
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


def _gsi_index_maintenance() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if not callable(getattr(Table, "put_item", None)) or not callable(getattr(backend, "update_item", None)) \
            or not callable(getattr(Table, "all_indexes", None)):
        raise MotoHookMissing("moto's DynamoDB Table.put_item/DynamoDBBackend.update_item changed shape; moto==5.2.5 is required")
    original_put, original_update = Table.put_item, backend.update_item

    def put_item(self, *args, **kwargs):
        item = original_put(self, *args, **kwargs)
        _index_item(self, item)
        return item

    def update_item(self, table_name, *args, **kwargs):
        item = original_update(self, table_name, *args, **kwargs)
        _index_item(self.get_table(table_name), item)  # moto updates the stored item in place
        return item

    Table.put_item = put_item
    backend.update_item = update_item


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


# --- 3. one parsed program per definition -----------------------------------------------------


def _parsed_definitions_are_shared() -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend import execution_worker

    worker = execution_worker.ExecutionWorker
    if not callable(getattr(worker, "_get_evaluation_entrypoint", None)) \
            or getattr(execution_worker, "AmazonStateLanguageParser", None) is None:
        raise MotoHookMissing("moto's Step Functions ExecutionWorker changed shape; moto==5.2.5 is required")
    parser = execution_worker.AmazonStateLanguageParser
    programs: dict[str, object] = {}
    lock = threading.Lock()

    def _get_evaluation_entrypoint(self):
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            program = programs.get(definition)
            if program is None:
                program = parser.parse(definition)[0]
                _fix_heap_keys(program, EvalComponent)
                programs[definition] = program
        return program

    worker._get_evaluation_entrypoint = _get_evaluation_entrypoint


def _fix_heap_keys(component, eval_class, seen=None) -> None:
    """A component's `heap_key` (its slot in an execution's heap, e.g. a retrier's attempt
    counter) is drawn lazily; drawn concurrently by two executions it could differ between
    reads. Drawing every key once, before the program is shared, makes it constant."""
    seen = set() if seen is None else seen
    if id(component) in seen:
        return
    seen.add(id(component))
    if isinstance(component, eval_class):
        component.heap_key  # noqa: B018 - the property draws and stores the key
    children = vars(component).values() if hasattr(component, "__dict__") else ()
    for child in children:
        for value in (child if isinstance(child, (list, tuple)) else child.values() if isinstance(child, dict) else [child]):
            if hasattr(value, "__dict__") and type(value).__module__.startswith("moto.stepfunctions.parser.asl"):
                _fix_heap_keys(value, eval_class, seen)


# --- 4. one boto3 client per service for the interpreter -------------------------------------


def _boto_clients_are_reused() -> None:
    import sys

    from moto.stepfunctions.parser.asl.utils import boto_client

    original = getattr(boto_client, "boto_client_for", None)
    if original is None or list(inspect.signature(original).parameters) != ["region", "service", "state_credentials"]:
        raise MotoHookMissing("moto's Step Functions boto_client_for changed shape; moto==5.2.5 is required")
    clients: dict[tuple, object] = {}
    lock = threading.Lock()

    def boto_client_for(region, service, state_credentials=None):
        # Everything the new client's endpoint depends on is part of the key: whether moto
        # intercepts boto calls (in-process) or not (server mode, MOTO_PORT), and
        # AWS_ENDPOINT_URL, which boto3 reads when it builds a client (`prakerja ops
        # --endpoint-url` sets it in-process). Credentials are too, when a state has them.
        key = (region, service, repr(state_credentials), boto_client.botocore_stubber.enabled,
               os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("MOTO_PORT"))
        with lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = original(region, service, state_credentials)
        return client

    boto_client.boto_client_for = boto_client_for
    patched = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for
            patched += 1
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    if lambda_eval_utils.boto_client_for is not boto_client_for:
        raise MotoHookMissing("could not reuse boto3 clients in moto's Lambda task evaluation; moto==5.2.5 is required")


# --- 5. moto's response serialiser, for plain dicts -----------------------------------------


def _fast_response_serialisation() -> None:
    import os

    from botocore import xform_name
    from moto.core import serialize as ser

    expected = [ser.ExplicitAlias, ser.ShapeNameAlias, ser.NoAlias, ser.ShapePrefixAlias, ser.ClassPrefixAlias, ser.ModelAlias]
    original = getattr(ser.ResponseSerializer, "get_value", None)
    if list(getattr(ser, "DEFAULT_ALIAS_PROVIDERS", [])) != expected or original is None \
            or list(inspect.signature(original).parameters) != ["self", "value", "key", "shape"] \
            or not hasattr(ser.AttributePicker, "response_transformers") and "response_transformers" not in inspect.getsource(ser.AttributePicker):
        raise MotoHookMissing("moto's response serialiser (moto.core.serialize) changed shape; moto==5.2.5 is required")
    defaults = ser.DEFAULT_ALIAS_PROVIDERS
    pickers = {ser.AttributePicker: False, ser.XFormedAttributePicker: True}
    selfcheck = os.environ.get("PRAKERJA_MOTO_PATCH_SELFCHECK") == "1"
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
            if key[len(parent.name):] not in parent.members:  # ShapePrefixAlias
                yield key[len(parent.name):]
        if key.lower().startswith("dict"):  # ClassPrefixAlias: the object's class is `dict`
            yield key[len("dict"):]
        if shape is not None:  # ModelAlias
            name = shape.serialization.get("name", key)
            if name != key:
                yield name

    def pick(value, key, shape, xformed):
        for alias in aliases(key, shape):
            for candidate in ((alias, xform_name(alias)) if xformed else (alias,)):
                if not isinstance(candidate, str) or "." in candidate:
                    return fallback  # a dotted path: moto walks it; let moto answer
                if candidate in value:
                    return value[candidate]
        return None

    def get_value(self, value, key, shape):
        picker = self._value_picker
        xformed = pickers.get(type(picker))
        if type(value) is not dict or xformed is None or picker.response_transformers or picker.alias_providers is not defaults \
                or not isinstance(key, str):
            return original(self, value, key, shape)
        found = pick(value, key, shape, xformed)
        if found is fallback:
            return original(self, value, key, shape)
        if selfcheck:
            expected_value = original(self, value, key, shape)
            assert found is expected_value, f"serialiser patch disagrees with moto on {key!r}: {found!r} != {expected_value!r}"
        return found

    ser.ResponseSerializer.get_value = get_value
    _fast_attribute_values(ser, selfcheck)


def _fast_attribute_values(ser, selfcheck: bool) -> None:
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    members = {k: (m.type_name, getattr(getattr(m, "member", None), "type_name", None), bool(m.serialization)) for k, m in shape.members.items()}
    expected = {"S": ("string", None, False), "N": ("string", None, False), "B": ("blob", None, False),
                "SS": ("list", "string", False), "NS": ("list", "string", False), "BS": ("list", "blob", False),
                "M": ("map", None, False), "L": ("list", "structure", False), "NULL": ("boolean", None, False),
                "BOOL": ("boolean", None, False)}
    original = getattr(ser.BaseJSONSerializer, "_serialize_type_structure", None)
    if members != expected or shape.serialization or original is None \
            or shape.members["M"].value.name != "AttributeValue" or shape.members["L"].member.name != "AttributeValue":
        raise MotoHookMissing("DynamoDB's AttributeValue shape or moto's JSON serialiser changed; moto==5.2.5 is required")
    order = list(shape.members)  # moto writes members in shape order
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
        if key and shape_ is shape or (key and shape_.name == "AttributeValue" and self.service_model.service_name == "dynamodb"):
            fast = attribute_value(value)
            if fast is not no:
                if selfcheck:
                    reference: dict = {}
                    original(self, reference, value, shape_, key)
                    assert reference == {self.get_serialized_name(shape_, key): fast}, (reference, fast)
                serialized[self.get_serialized_name(shape_, key)] = fast
                return
        original(self, serialized, value, shape_, key)

    ser.BaseJSONSerializer._serialize_type_structure = _serialize_type_structure


_PLAIN_KINDS = frozenset({"S", "N", "SS", "NS", "M", "L", "NULL", "BOOL"})


# --- 6. moto's per-request method listing ------------------------------------------------------


def _method_names_are_kept() -> None:
    from moto.core import responses, utils

    original = getattr(utils, "method_names_from_class", None)
    if original is None or getattr(responses, "method_names_from_class", None) is not original:
        raise MotoHookMissing("moto.core.responses.method_names_from_class changed; moto==5.2.5 is required")
    kept: dict[type, list[str]] = {}

    def method_names_from_class(clazz):
        names = kept.get(clazz)
        if names is None:
            names = kept[clazz] = original(clazz)
        return list(names)  # a copy: callers may change theirs

    responses.method_names_from_class = method_names_from_class


# --- 8. one parsed tree per UpdateExpression string --------------------------------------------


def _update_expressions_are_parsed_once() -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    make = UpdateExpressionParser.__dict__.get("make")
    if not isinstance(make, classmethod) or "deepcopy(expression)" not in inspect.getsource(validators.Validator.__init__):
        raise MotoHookMissing("moto's UpdateExpressionParser.make or Validator changed; moto==5.2.5 is required")
    parsed: dict[str, object] = {}
    lock = threading.Lock()

    def cached_make(cls, expression_str):
        tree = parsed.get(expression_str)
        if tree is None:
            tree = make.__func__(cls, expression_str)  # a bad expression raises here, as before
            with lock:
                if len(parsed) < 10_000:  # the code has a few dozen templates; stay bounded anyway
                    parsed[expression_str] = tree
        return tree

    UpdateExpressionParser.make = classmethod(cached_make)


# --- 10. one parsed condition per (ConditionExpression, names, values) ------------------------


def _condition_expressions_are_parsed_once() -> None:
    """moto parses every ConditionExpression twice per write (the request checks, then the
    backend) with a hand-written lexer and parser: 8 % of busy samples in `simulate`. The
    result (an `Op` tree, and the names and values the expression used) depends only on
    the expression, its names and its values; the tree is only read afterwards (`expr(item)`
    builds new values), so one tree per (expression, names, values) is kept, parsed from
    private copies of the names and values (the request's dicts are not kept). Failures
    are not kept: a bad expression raises on every call, as before."""
    import copy
    import hashlib
    import json

    from moto.dynamodb.comparisons import ConditionExpressionParser

    digest = lambda fn: hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]  # noqa: E731
    if digest(ConditionExpressionParser.parse) != "5c9b63c5f49ed5d5" or digest(ConditionExpressionParser.__init__) != "4a3f092d6b0f1a26":
        raise MotoHookMissing("moto's ConditionExpressionParser changed; moto==5.2.5 is required")
    original = ConditionExpressionParser.parse
    parsed: dict[tuple, tuple] = {}
    lock = threading.Lock()

    def parse(self):
        try:
            key = (self.condition_expression, json.dumps(self.expression_attribute_names, sort_keys=True),
                   json.dumps(self.expression_attribute_values, sort_keys=True))
        except (TypeError, ValueError):  # not plain JSON: parse as moto does
            return original(self)
        found = parsed.get(key)
        if found is None:
            private = ConditionExpressionParser(self.condition_expression, copy.deepcopy(self.expression_attribute_names),
                                                copy.deepcopy(self.expression_attribute_values))
            found = (original(private), list(private.expr_attr_names_found), list(private.expr_attr_values_found))
            with lock:
                if len(parsed) >= 20_000:  # values make keys unique per item: stay bounded
                    parsed.clear()
                parsed[key] = found
        op, names_found, values_found = found
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return op

    ConditionExpressionParser.parse = parse


# --- 11. DynamoDB items that nothing references are freed ------------------------------------


class _LiveInstances:
    """What moto's `instances_tracked` list is used for (append, iterate), holding weak
    references: iteration yields the instances that still exist, in creation order."""

    def __init__(self, instances=()):
        import weakref

        self._ref = weakref.ref
        self._lock = threading.Lock()
        self._refs = [weakref.ref(i) for i in instances]
        self._compact_at = 1024

    def append(self, instance) -> None:
        with self._lock:
            self._refs.append(self._ref(instance))
            if len(self._refs) >= self._compact_at:  # drop the dead, amortised O(1)
                self._refs = [r for r in self._refs if r() is not None]
                self._compact_at = max(1024, 2 * len(self._refs))

    def __iter__(self):
        with self._lock:
            refs = list(self._refs)
        return iter([i for i in (r() for r in refs) if i is not None])

    def __len__(self) -> int:
        return sum(1 for r in self._refs if r() is not None)


def _copied_items_are_not_kept() -> None:
    """moto records every instance of every model class in `cls.instances_tracked`, for its
    dashboard (`/moto-api/data.json`) and its reset, and never lets go of them while the mock
    runs. DynamoDB's `Item` is such a model, and moto makes a new Item for every deep copy:
    every query result, every update's rollback copy, every ReturnValues. So all of them
    stayed alive: about 8 discarded copies per stored item, most of the ~0.9 MB per
    participant of `simulate`. Here Item's tracking holds weak references: the dashboard
    still lists every Item that exists (those in tables, and copies still in use); the
    discarded copies are freed. Nothing else reads the list (moto's S3 reads its own
    classes'); moto's reset replaces it with a plain list, which the next Item replaces
    again."""
    from moto.core import model_instances
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models.dynamo_type import Item

    new_source = inspect.getsource(BaseModel.__new__)
    if "cls.instances_tracked.append(instance)" not in new_source or "super().__new__(cls)" not in new_source \
            or "instances_tracked = []" not in inspect.getsource(model_instances.reset_model_data) \
            or "__new__" in Item.__dict__ or not issubclass(Item, BaseModel) or "__slots__" in Item.__dict__ \
            or BaseModel.__dict__.get("__new__") is None:
        raise MotoHookMissing("moto's model instance tracking (BaseModel.__new__) changed; moto==5.2.5 is required")

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        tracked = cls.instances_tracked
        if type(tracked) is not _LiveInstances:  # first Item, or after moto's reset
            tracked = _LiveInstances(tracked)
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    Item.__new__ = __new__
