"""SPEED seams: moto behaves the same without them, only slower (each says by how much). On a
moto upgrade any of them can be dropped instead of ported; the tests still pass, more slowly."""

from __future__ import annotations

import copy
import functools
import os
import threading
import types
from collections.abc import Callable
from typing import Any

from localrun.seams.base import (
    ASL_PARSER,
    BACKENDS,
    DYNAMO_TYPE,
    DYNAMODB_MODELS,
    EVAL_COMPONENT,
    EXECUTION_WORKER,
    JSON_PATH,
    JSONPATH_EXT,
    PARSER,
    RESULT_PATH,
    Patches,
    Seam,
    moto_module,
    service_task_modules,
)


class ParsedProgramCache(Seam):
    """`ExecutionWorker._get_evaluation_entrypoint`: the parsed program is reused per definition
    (parsing costs ~15-18 ms per execution).

    The components keep per-execution state in the Environment, not on themselves; their lazily
    created heap keys are created once up front so concurrent executions never race on them.
    Relies on the definition being at `_evaluation_details.state_machine_details.definition`.
    """

    def __init__(self) -> None:
        self.programs: dict[str, Any] = {}  # definition -> parsed program
        self._lock = threading.Lock()

    def install(self, patches: Patches) -> None:
        worker_class = moto_module(EXECUTION_WORKER).ExecutionWorker

        def cached_entrypoint(worker: Any) -> Any:
            return self.program(worker._evaluation_details.state_machine_details.definition)

        patches.replace(worker_class, "_get_evaluation_entrypoint", cached_entrypoint)

    def program(self, definition: str) -> Any:
        with self._lock:
            program = self.programs.get(definition)
            if program is None:
                parser = moto_module(ASL_PARSER).AmazonStateLanguageParser
                program = parser.parse(definition)[0]
                _warm_heap_keys(program, set())
                self.programs[definition] = program
            return program


def _warm_heap_keys(component: Any, seen: set[int]) -> None:
    """Create every EvalComponent's lazy heap key now, before executions share the program."""
    eval_component = moto_module(EVAL_COMPONENT).EvalComponent
    if id(component) in seen:
        return
    seen.add(id(component))
    if isinstance(component, eval_component):
        _ = component.heap_key
    children: list[Any] = []
    if isinstance(component, dict):
        children = list(component.values())
    elif isinstance(component, list | tuple | set):
        children = list(component)
    elif hasattr(component, "__dict__") and type(component).__module__.startswith(PARSER):
        children = list(vars(component).values())
    for child in children:
        _warm_heap_keys(child, seen)


class SharedIntegrationClients(Seam):
    """`boto_client_for` in each service-integration module (events:putEvents, sqs:sendMessage,
    ...): one client per service and moto port instead of a new boto3 client per call (~6 ms
    each). Wraps whatever the modules have, so the clients keep answering injected faults
    (`IntegrationFaultsAnswered`)."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def install(self, patches: Patches) -> None:
        for module in service_task_modules():
            if "boto_client_for" in vars(module):
                patches.replace(module, "boto_client_for", self._shared(module.boto_client_for))

    def _shared(self, client_for: Callable[..., Any]) -> Callable[..., Any]:
        def shared_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            key = (region, service, os.environ.get("MOTO_PORT", ""))  # moto's own port lookup
            with self._lock:
                if key not in self._clients:
                    self._clients[key] = client_for(
                        region=region, service=service, state_credentials=state_credentials
                    )
                return self._clients[key]

        return shared_client_for


class JsonPathParseCache(Seam):
    """`parse` in moto's `json_path` and `result_path`, and `jsonpath_ng.ext.parse`: a JSONPath is
    parsed once, not at every use.

    jsonpath_ng builds a parser per call: ~4 ms per state; and `EventTemplateParser.parse`
    imports `jsonpath_ng.ext.parse` at each call to parse the 8 JSONPaths of its envelope for
    every event it delivers to a target (~5 ms per putEvents). Parsed paths are not mutated by
    `find`/`update`.
    """

    def install(self, patches: Patches) -> None:
        for dotted in (JSON_PATH, RESULT_PATH, JSONPATH_EXT):
            module = moto_module(dotted)
            patches.replace(module, "parse", functools.lru_cache(maxsize=4096)(module.parse))


class MotoModulesListedOnce(Seam):
    """`moto.backends.list_of_moto_modules`: moto's server lists and stats its own package
    directory (~150 entries) on every request to find the service; the listing is taken once."""

    def install(self, patches: Patches) -> None:
        backends = moto_module(BACKENDS)
        moto_modules = tuple(backends.list_of_moto_modules())
        patches.replace(backends, "list_of_moto_modules", lambda: moto_modules)


class _TablesAreNotCopied(types.SimpleNamespace):
    """Stands in for the `copy` module inside moto.dynamodb.models: deepcopy() of a Table is the
    table itself (transactions snapshot their items instead); everything else is the module."""

    def __init__(self, table_class: type):
        super().__init__()
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, self._table_class) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


class ItemLevelTransactionRollback(Seam):
    """`DynamoDBBackend.transact_write_items` and the `copy` module moto.dynamodb.models uses: a
    failed transaction is rolled back from snapshots of the items it names, not of whole tables.

    To roll a failed transaction back moto deep-copies every table it touches, so a
    transaction's cost grows with the tables (the inventory table gains a reservation per
    order). moto's rollback is correct, only slow: dropping both patches together restores it.
    Like moto's, this one counts on `OneDynamoDBRequestAtATime` (nothing writes in between).
    """

    def install(self, patches: Patches) -> None:
        models = moto_module(DYNAMODB_MODELS)
        backend_class = models.DynamoDBBackend
        transact_write_items = backend_class.__dict__["transact_write_items"]

        def rolled_back_by_item(backend: Any, transact_items: list[dict[str, Any]]) -> None:
            snapshots = _item_snapshots(backend, transact_items)
            try:
                return transact_write_items(backend, transact_items)
            except BaseException:
                for snapshot in snapshots:  # all taken before it ran: any order restores
                    _restore(*snapshot)
                raise

        patches.replace(models, "copy", _TablesAreNotCopied(models.Table))
        patches.replace(backend_class, "transact_write_items", rolled_back_by_item)


def _item_snapshots(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(table, hash, range, deep copy of the item or None) for every item the transaction names.
    An entry without a usable key is skipped: moto fails it before it writes anything."""
    dynamo_type = moto_module(DYNAMO_TYPE).DynamoType
    snapshots = []
    for entry in transact_items:
        try:
            [(operation, request)] = entry.items()
            table = backend.tables[request["TableName"]]
            key = request["Item"] if operation == "Put" else request["Key"]
            hash_value = dynamo_type(key[table.hash_key_attr])
            range_value = dynamo_type(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, ValueError):
            continue
        item = table.get_item(hash_value, range_value)
        snapshots.append((table, hash_value, range_value, copy.deepcopy(item)))
    return snapshots


def _restore(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    """Put back one item as it was (what Table.put_item/delete_item write, minus stream records)."""
    bucket, key = (
        (table.items[hash_value], range_value) if range_value else (table.items, hash_value)
    )
    if item is None:
        bucket.pop(key, None)
    else:
        bucket[key] = item
