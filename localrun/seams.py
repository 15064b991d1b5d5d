"""Patches to moto's private seams: Lambda dispatch, virtual time, parse cache, event shape.

moto 5.2.5 runs ASL for real (a port of LocalStack's interpreter) but cannot run a Lambda
without Docker, always sleeps for real, and re-parses the definition on every execution; its
EventBridge also drops `account` from events it delivers to SQS. A few private attributes fix
that; they are pinned by requirements-dev.txt (moto==5.2.5) and watched by
tests/localrun/test_moto_seams.py, which names the attribute that moved.

- `lambda_eval_utils.boto_client_for`: `arn:aws:states:::lambda:invoke` (and plain Lambda ARN)
  tasks get a Lambda client of the local Lambda service. A synchronous Invoke is handed to that
  service in this process, as Step Functions reaches Lambda inside AWS, with the response (or
  ClientError) botocore would have parsed from the Invoke API, without an HTTP round trip through
  botocore per task. Anything else goes over the Invoke API. Other services unchanged.
- `retrier_decl.time` (its `time.sleep(interval)`) and `WaitFunction._wait_interval`: with
  virtual time, Retry backoffs and Wait states are recorded in `sleeps` and skipped, so a test of
  a 3-retry backoff or a 30 s Wait takes milliseconds and can assert the intervals.
- `ExecutionWorker._get_evaluation_entrypoint`: the parsed program is reused per definition
  (parsing costs ~15-18 ms per execution). The components keep per-execution state in the
  Environment, not on themselves; their lazily created heap keys are created once up front so
  concurrent executions never race on them.
- `EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE` (moto.events.utils): the envelope of an
  event delivered to a target without an InputTransformer. moto's lacks "account", which
  EventBridge always sends and consumers may validate.
- `boto_client_for` in each service-integration module (events:putEvents, sqs:sendMessage, ...):
  one client per service and moto port instead of a new boto3 client per call (~6 ms each).
  Each such client answers injected faults (`MotoSeams.inject`) through botocore's
  `before-call` event, the hook botocore's own Stubber uses, so the ASL's Retry/Catch of an
  integration task can be driven without touching the application.
- `parse` in `json_path` and `result_path`: a JSONPath is parsed once, not at every use (jsonpath_ng
  builds a parser per call: ~4 ms per state). Parsed paths are not mutated by `find`/`update`.
- `jsonpath_ng.ext.parse`, which `EventTemplateParser.parse` imports at each call: EventBridge
  parses the 8 JSONPaths of its envelope for every event it delivers to a target (~5 ms per
  putEvents); the cache makes that once per path.
- `moto.backends.list_of_moto_modules`: moto's server lists and stats its own package
  directory (~150 entries) on every request to find the service; the listing is taken once.
- `DynamoHandler.call_action` (moto.dynamodb.responses): one DynamoDB request at a time, so each
  is atomic as in DynamoDB. moto's server runs requests in threads and its backend has no locks:
  two conditional writes could both pass their condition (an oversell), and a transaction could
  read tables other threads are writing ("dictionary changed size during iteration", HTTP 500).
- `DynamoDBBackend.transact_write_items` and the `copy` module moto.dynamodb.models uses: to roll
  a failed transaction back moto deep-copies every table it touches, so a transaction's cost
  grows with the tables (the inventory table gains a reservation per order). The seam snapshots
  the items the transaction names instead, restores them if it fails, and lets moto's table copy
  be the table.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import pkgutil
import threading
import time
import types
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from localrun.lambdas import InvocationResult, LambdaServiceError

MOTO_VERSION = "5.2.5"

_PARSER = "moto.stepfunctions.parser"
LAMBDA_EVAL_UTILS = f"{_PARSER}.asl.component.state.exec.state_task.lambda_eval_utils"
RETRIER_DECL = f"{_PARSER}.asl.component.common.retry.retrier_decl"
WAIT_FUNCTION = f"{_PARSER}.asl.component.state.wait.wait_function.wait_function"
SERVICE_TASKS = f"{_PARSER}.asl.component.state.exec.state_task.service"
JSON_PATH = f"{_PARSER}.asl.utils.json_path"
RESULT_PATH = f"{_PARSER}.asl.component.common.path.result_path"
DYNAMODB_RESPONSES = "moto.dynamodb.responses"
DYNAMODB_MODELS = "moto.dynamodb.models"
EXECUTION_WORKER = f"{_PARSER}.backend.execution_worker"
EVENTS_UTILS = "moto.events.utils"
BACKENDS = "moto.backends"
JSONPATH_EXT = "jsonpath_ng.ext"
_EVENT_ENVELOPE_WITH_ACCOUNT = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
    '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
    '"detail": <detail>}'
)


@dataclass(frozen=True)
class VirtualSleep:
    kind: str  # "retry" (a Retry interval) or "wait" (a Wait state)
    seconds: float


@dataclass(frozen=True)
class FailedEntriesFault:
    """events:putEvents answers 200 with every entry failed, as EventBridge does when it cannot
    take them; Step Functions then fails the task with `EventBridge.FailedEntry`."""

    error_code: str = "InternalFailure"
    error_message: str = "Injected by localrun"

    def response(self, request: dict) -> tuple[int, dict]:
        entries = json.loads(request["body"] or b"{}").get("Entries", [])
        failed = {"ErrorCode": self.error_code, "ErrorMessage": self.error_message}
        return 200, {"FailedEntryCount": len(entries), "Entries": [failed] * len(entries)}


@dataclass(frozen=True)
class ApiErrorFault:
    """The call fails with this AWS error (what botocore raises as a ClientError)."""

    code: str = "InternalError"
    status: int = 500
    message: str = "Injected by localrun"

    def response(self, request: dict) -> tuple[int, dict]:
        error = {"Code": self.code, "Message": self.message}
        return self.status, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": self.status}}


IntegrationFault = FailedEntriesFault | ApiErrorFault


class _VirtualTime(types.SimpleNamespace):
    """Stands in for the `time` module inside retrier_decl: sleep() records instead of waiting."""

    def __init__(self, record):
        super().__init__()
        self._record = record

    def sleep(self, seconds: float) -> None:
        self._record(VirtualSleep("retry", float(seconds)))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _import(module: str):
    return __import__(module, fromlist=["_"])


def service_task_modules() -> list[types.ModuleType]:
    """moto's service-integration task modules (state_task_service_*.py)."""
    package = _import(SERVICE_TASKS)
    return [
        _import(f"{SERVICE_TASKS}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("state_task_service_")
    ]


def _warm_heap_keys(component: Any, seen: set[int]) -> None:
    """Create every EvalComponent's lazy heap key now, before executions share the program."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    if id(component) in seen:
        return
    seen.add(id(component))
    if isinstance(component, EvalComponent):
        _ = component.heap_key
    children: list[Any] = []
    if isinstance(component, dict):
        children = list(component.values())
    elif isinstance(component, list | tuple | set):
        children = list(component)
    elif hasattr(component, "__dict__") and type(component).__module__.startswith(_PARSER):
        children = list(vars(component).values())
    for child in children:
        _warm_heap_keys(child, seen)


class _TablesAreNotCopied(types.SimpleNamespace):
    """Stands in for the `copy` module inside moto.dynamodb.models: deepcopy() of a Table is the
    table itself (transactions snapshot their items instead); everything else is the module."""

    def __init__(self, table_class: type):
        super().__init__()
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: dict | None = None) -> Any:
        return value if isinstance(value, self._table_class) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _item_snapshots(backend: Any, transact_items: list[dict]) -> list[tuple]:
    """(table, hash, range, deep copy of the item or None) for every item the transaction names.
    An entry without a usable key is skipped: moto fails it before it writes anything."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    snapshots = []
    for entry in transact_items:
        try:
            [(operation, request)] = entry.items()
            table = backend.tables[request["TableName"]]
            key = request["Item"] if operation == "Put" else request["Key"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
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


class LocalLambdaClient:
    """What moto's Lambda tasks get as their Lambda client (they only call `invoke`)."""

    def __init__(self, invoke: Callable[[str, bytes], InvocationResult], http_client: Any):
        self._invoke = invoke
        self._http = http_client  # the same service over its Invoke API
        self.meta = http_client.meta

    def invoke(self, **parameters: Any) -> dict:
        synchronous = parameters.get("InvocationType", "RequestResponse") == "RequestResponse"
        if not synchronous or set(parameters) - {"FunctionName", "Payload", "InvocationType"}:
            return self._http.invoke(**parameters)
        metadata = {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": 200, "RetryAttempts": 0}
        try:
            result = self._invoke(parameters["FunctionName"], parameters.get("Payload", b""))
        except LambdaServiceError as error:
            metadata["HTTPStatusCode"] = error.status
            raise ClientError(
                {
                    "Error": {"Code": error.code, "Message": error.message},
                    "ResponseMetadata": metadata,
                },
                "Invoke",
            ) from None
        response = {
            "ResponseMetadata": metadata,
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(result.payload), len(result.payload)),
        }
        if result.function_error:
            response["FunctionError"] = result.function_error
        return response


class MotoSeams:
    """Install/uninstall the patches; one instance active per process (moto is global)."""

    _active: MotoSeams | None = None
    _active_lock = threading.Lock()

    def __init__(
        self,
        lambda_endpoint_url: str,
        *,
        virtual_time: bool,
        invoke: Callable[[str, bytes], InvocationResult] | None = None,
    ):
        """`invoke(function, payload)`: the local Lambda service's own, for in-process Invoke;
        without it every Lambda task goes over the Invoke API at `lambda_endpoint_url`."""
        self.lambda_endpoint_url = lambda_endpoint_url
        self.virtual_time = virtual_time
        self.sleeps: list[VirtualSleep] = []
        self._sleeps_lock = threading.Lock()
        self._originals: list[tuple[Any, str, Any]] = []
        self._programs: dict[str, Any] = {}
        self._programs_lock = threading.Lock()
        http_lambda_client = boto3.client(
            "lambda",
            endpoint_url=lambda_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            # As moto's own client: no SDK retries, so the ASL Retry sees every failure.
            config=Config(
                parameter_validation=False,
                read_timeout=900,
                connect_timeout=10,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                max_pool_connections=64,  # one per concurrent execution, beyond the default 10
            ),
        )
        self._lambda_client = (
            LocalLambdaClient(invoke, http_lambda_client) if invoke else http_lambda_client
        )
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._faults: defaultdict[str, deque[IntegrationFault | None]] = defaultdict(deque)
        self._faults_lock = threading.Lock()

    # -- faults -------------------------------------------------------------

    def inject(
        self, integration: str, fault: IntegrationFault, times: int = 1, *, after: int = 0
    ) -> None:
        """Let the next `after` calls of a service integration, named as in an ASL resource
        (`events:putEvents`, `sqs:sendMessage`), through, then end `times` calls with `fault`
        instead of reaching moto.

        Test-only, like `LambdaService.inject`: drives the Retry/Catch of integration tasks.
        """
        with self._faults_lock:
            self._faults[integration.lower()].extend([None] * after + [fault] * times)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _answer_fault(self, model: Any, params: dict, **_) -> tuple[AWSResponse, dict] | None:
        """botocore `before-call` handler: a response short-circuits the call."""
        integration = f"{model.service_model.service_name}:{model.name}".lower()
        with self._faults_lock:
            queue = self._faults.get(integration)
            fault = queue.popleft() if queue else None
        if fault is None:
            return None
        status, parsed = fault.response(params)
        return AWSResponse(params.get("url"), status, {}, None), parsed

    # -- install ------------------------------------------------------------

    def install(self) -> None:
        with MotoSeams._active_lock:
            if MotoSeams._active is not None:
                raise RuntimeError("another local app already patched moto in this process")
            MotoSeams._active = self
        lambda_eval_utils = _import(LAMBDA_EVAL_UTILS)
        original_client_for = lambda_eval_utils.boto_client_for

        def boto_client_for(region: str, service: str, state_credentials: Any = None):
            if service == "lambda":
                return self._lambda_client
            return original_client_for(
                region=region, service=service, state_credentials=state_credentials
            )

        self._patch(lambda_eval_utils, "boto_client_for", boto_client_for)

        def shared_client_for(region: str, service: str, state_credentials: Any = None):
            key = (region, service, os.environ.get("MOTO_PORT", ""))  # moto's own port lookup
            with self._clients_lock:
                if key not in self._clients:
                    client = original_client_for(
                        region=region, service=service, state_credentials=state_credentials
                    )
                    client.meta.events.register("before-call", self._answer_fault)
                    self._clients[key] = client
                return self._clients[key]

        for module in service_task_modules():
            if "boto_client_for" in vars(module):
                self._patch(module, "boto_client_for", shared_client_for)

        for module in (_import(JSON_PATH), _import(RESULT_PATH), _import(JSONPATH_EXT)):
            self._patch(module, "parse", functools.lru_cache(maxsize=4096)(module.parse))

        backends = _import(BACKENDS)
        moto_modules = tuple(backends.list_of_moto_modules())
        self._patch(backends, "list_of_moto_modules", lambda: moto_modules)

        dynamodb_handler = _import(DYNAMODB_RESPONSES).DynamoHandler
        call_action = dynamodb_handler.__dict__["call_action"]
        dynamodb_lock = threading.Lock()

        def one_dynamodb_request_at_a_time(handler) -> Any:
            with dynamodb_lock:
                return call_action(handler)

        self._patch(dynamodb_handler, "call_action", one_dynamodb_request_at_a_time)

        dynamodb_models = _import(DYNAMODB_MODELS)
        backend_class = dynamodb_models.DynamoDBBackend
        transact_write_items = backend_class.__dict__["transact_write_items"]

        def rolled_back_by_item(backend, transact_items: list[dict]) -> None:
            snapshots = _item_snapshots(backend, transact_items)
            try:
                return transact_write_items(backend, transact_items)
            except BaseException:
                for snapshot in snapshots:  # all taken before it ran: any order restores
                    _restore(*snapshot)
                raise

        self._patch(dynamodb_models, "copy", _TablesAreNotCopied(dynamodb_models.Table))
        self._patch(backend_class, "transact_write_items", rolled_back_by_item)

        worker_class = _import(EXECUTION_WORKER).ExecutionWorker

        def cached_entrypoint(worker) -> Any:
            return self._program(worker._evaluation_details.state_machine_details.definition)

        self._patch(worker_class, "_get_evaluation_entrypoint", cached_entrypoint)

        self._patch(
            _import(EVENTS_UTILS).EventTemplateParser,
            "DEFAULT_EVENT_INPUT_TEMPLATE",
            _EVENT_ENVELOPE_WITH_ACCOUNT,
        )

        if self.virtual_time:
            self._patch(_import(RETRIER_DECL), "time", _VirtualTime(self._record))

            def wait_interval(function, env, wait_seconds) -> None:
                self._record(VirtualSleep("wait", float(wait_seconds)))

            self._patch(_import(WAIT_FUNCTION).WaitFunction, "_wait_interval", wait_interval)

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._originals):
            setattr(owner, name, original)
        self._originals.clear()
        with MotoSeams._active_lock:
            if MotoSeams._active is self:
                MotoSeams._active = None

    @classmethod
    def unpatched(cls, owner: Any, name: str) -> Any:
        """`owner.name` as moto defines it, even while a running app has patched it."""
        with cls._active_lock:
            active = cls._active
        for patched_owner, patched_name, original in active._originals if active else []:
            if patched_owner is owner and patched_name == name:
                return original
        return owner.__dict__[name]

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._originals.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    # -- behaviour ----------------------------------------------------------

    def _record(self, sleep: VirtualSleep) -> None:
        with self._sleeps_lock:
            self.sleeps.append(sleep)

    def _program(self, definition: str) -> Any:
        with self._programs_lock:
            program = self._programs.get(definition)
            if program is None:
                parser = _import(f"{_PARSER}.asl.parse.asl_parser").AmazonStateLanguageParser
                program = parser.parse(definition)[0]
                _warm_heap_keys(program, set())
                self._programs[definition] = program
            return program
