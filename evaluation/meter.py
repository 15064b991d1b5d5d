"""What a run used, counted where AWS would count it: every AWS request the application makes
(at the emulator's front door), and every line its functions write (their log streams).

`AwsMeter` counts DynamoDB request units, EventBridge events and SQS requests while `metering`
is on; `FunctionLogs` is a `LocalApp` log sink that keeps each function's lines (REPORT lines,
Powertools EMF, errors) the way CloudWatch Logs receives them.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from localrun.seams import Patches
from localrun.template import Function

WRITE_UNIT_BYTES = 1024  # a write request unit covers 1 KB of item
READ_UNIT_BYTES = 4096  # a read request unit covers 4 KB
EVENT_CHUNK_BYTES = 64 * 1024  # EventBridge and SQS bill per 64 KB chunk
# Reads: eventually consistent 0.5, strongly consistent 1, transactional 2 units per 4 KB.
# Writes: 1 unit per 1 KB, transactional 2.
_SINGLE_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_SINGLE_READS = {"GetItem"}
_PAGED_READS = {"Query", "Scan"}


# --------------------------------------------------------------------------- item sizes


def attribute_value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON attribute value, by DynamoDB's documented sizing rules."""
    [(kind, raw)] = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = Decimal(raw).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(raw)) if isinstance(raw, str) else len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in raw)
    if kind == "NS":
        return sum(attribute_value_size({"N": n}) for n in raw)
    if kind == "BS":
        return sum(attribute_value_size({"B": b}) for b in raw)
    if kind == "L":
        return 3 + sum(attribute_value_size(v) + 1 for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_value_size(v) + 1 for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    """Bytes of an item in DynamoDB JSON: attribute names plus values."""
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


# --------------------------------------------------------------------------- AWS requests


@dataclass
class AwsUsage:
    """Requests counted while metering, before item sizes turn them into request units."""

    # per table: the weight of each single-item read/write (0.5/1/2 reads, 1/2 writes)
    item_writes: Counter[str] = field(default_factory=Counter)
    item_reads: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # Query/Scan, sized already from what they returned
    paged_read_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    operations: Counter[str] = field(default_factory=Counter)  # "dynamodb:PutItem", ...
    events: int = 0  # EventBridge custom events, in 64 KB chunks
    sqs_requests: int = 0  # non-empty receives, sends, deletes (64 KB chunks)
    sqs_sent: Counter[str] = field(default_factory=Counter)  # messages sent, per queue
    sqs_received: Counter[str] = field(default_factory=Counter)  # distinct messages, per queue

    def write_units(self, largest_item: dict[str, int]) -> float:
        """Write request units, each write sized as the table's largest item (an upper bound:
        an update is billed on the larger of the item before and after)."""
        return sum(self.write_units_by_table(largest_item).values())

    def write_units_by_table(self, largest_item: dict[str, int]) -> dict[str, float]:
        return {
            table: weight * max(1, math.ceil(largest_item.get(table, 0) / WRITE_UNIT_BYTES))
            for table, weight in self.item_writes.items()
        }

    def read_units(self, largest_item: dict[str, int]) -> float:
        single = sum(
            weight * max(1, math.ceil(largest_item.get(table, 0) / READ_UNIT_BYTES))
            for table, weight in self.item_reads.items()
        )
        return single + sum(self.paged_read_units.values())

    @property
    def sqs_billed_requests(self) -> int:
        """The counted requests plus one send for each message a queue received that nobody
        sent with SendMessage: an EventBridge rule delivered it, which SQS bills as a send."""
        delivered = sum(
            max(0, received - self.sqs_sent[queue]) for queue, received in self.sqs_received.items()
        )
        return self.sqs_requests + delivered


class AwsMeter:
    """Counts the application's AWS requests at moto's WSGI front door (every SDK call of the
    functions, the interpreter's service integrations and the runner's SQS pollers reach moto
    there). Only while `metering` is set; `usage` holds the counts."""

    def __init__(self) -> None:
        self.usage = AwsUsage()
        self.metering = False
        self._lock = threading.Lock()
        self._patches = Patches()
        self._seen_messages: set[str] = set()

    def __enter__(self) -> AwsMeter:
        original = DomainDispatcherApplication.__dict__["__call__"]
        meter = self

        def metered_call(application: Any, environ: dict[str, Any], start_response: Any) -> Any:
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            if not meter.metering or "." not in target:
                return original(application, environ, start_response)
            body = environ["wsgi.input"].read()
            environ["wsgi.input"] = io.BytesIO(body)
            answer = b"".join(original(application, environ, start_response))
            with contextlib.suppress(ValueError):  # not JSON: not a request this meter prices
                meter.count(target, json.loads(body or b"{}"), json.loads(answer or b"{}"))
            return [answer]

        self._patches.replace(DomainDispatcherApplication, "__call__", metered_call)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._patches.restore()

    def count(self, target: str, request: dict[str, Any], answer: dict[str, Any]) -> None:
        """One JSON-protocol request (`X-Amz-Target` is "<service prefix>.<operation>")."""
        prefix, operation = target.split(".", 1)
        with self._lock:
            if prefix.startswith("DynamoDB"):
                self._dynamodb(operation, request, answer)
            elif prefix == "AWSEvents" and operation == "PutEvents":
                self.usage.operations["events:PutEvents"] += 1
                self.usage.events += sum(_chunks(entry) for entry in request.get("Entries", []))
            elif prefix == "AmazonSQS":
                self._sqs(operation, request, answer)

    def _dynamodb(self, operation: str, request: dict[str, Any], answer: dict[str, Any]) -> None:
        usage = self.usage
        usage.operations[f"dynamodb:{operation}"] += 1
        consistent = 1.0 if request.get("ConsistentRead") else 0.5
        if operation in _SINGLE_WRITES:
            usage.item_writes[request["TableName"]] += 1
        elif operation in _SINGLE_READS:
            usage.item_reads[request["TableName"]] += consistent
        elif operation == "TransactWriteItems":
            for action in request["TransactItems"]:
                [(_, detail)] = action.items()
                usage.item_writes[detail["TableName"]] += 2
        elif operation == "TransactGetItems":
            for action in request["TransactItems"]:
                usage.item_reads[action["Get"]["TableName"]] += 2
        elif operation == "BatchWriteItem":
            for table, writes in request["RequestItems"].items():
                usage.item_writes[table] += len(writes)
        elif operation == "BatchGetItem":
            for table, keys in request["RequestItems"].items():
                weight = 1.0 if keys.get("ConsistentRead") else 0.5
                usage.item_reads[table] += weight * len(keys["Keys"])
        elif operation in _PAGED_READS:
            read = sum(item_size(item) for item in answer.get("Items", []))
            units = max(1, math.ceil(read / READ_UNIT_BYTES)) * consistent
            usage.paged_read_units[request["TableName"]] += units

    def _sqs(self, operation: str, request: dict[str, Any], answer: dict[str, Any]) -> None:
        usage = self.usage
        queue = request.get("QueueUrl", "").rsplit("/", 1)[-1]
        if operation == "ReceiveMessage":
            messages = answer.get("Messages", [])
            if not messages:
                return  # an empty poll: the local poller's rhythm, not Lambda's (prices.json)
            for message in messages:
                if message["MessageId"] not in self._seen_messages:
                    self._seen_messages.add(message["MessageId"])
                    usage.sqs_received[queue] += 1
            usage.sqs_requests += 1
        elif operation in ("SendMessage", "SendMessageBatch"):
            entries = request.get("Entries") or [request]
            usage.sqs_sent[queue] += len(entries)
            usage.sqs_requests += max(1, sum(_chunks(e.get("MessageBody", "")) for e in entries))
        elif operation in ("DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility"):
            usage.sqs_requests += 1
        else:
            return
        usage.operations[f"sqs:{operation}"] += 1


def _chunks(entry: Any) -> int:
    size = len(json.dumps(entry).encode()) if not isinstance(entry, str) else len(entry.encode())
    return max(1, math.ceil(size / EVENT_CHUNK_BYTES))


def largest_items(client: Any, tables: Iterable[str]) -> dict[str, int]:
    """The largest item of each table now, in bytes (read after the run, not metered)."""
    largest = {}
    for table in tables:
        sizes = [
            item_size(item)
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
        ]
        largest[table] = max(sizes, default=0)
    return largest


# --------------------------------------------------------------------------- function logs

REPORT = re.compile(
    r"REPORT RequestId: (?P<request>\S+)\tDuration: (?P<duration>[\d.]+) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\t"
    r"Max Memory Used: (?P<used>\d+) MB(?:\tInit Duration: (?P<init>[\d.]+) ms)?"
)


@dataclass(frozen=True)
class Invocation:
    """One REPORT line: what Lambda's own metrics (Invocations, Duration) and Logs Insights'
    cold-start queries are built from."""

    function: str  # logical id
    at: float  # epoch seconds the line arrived
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_used_mb: int
    init_ms: float | None  # set on a cold start

    @property
    def billed_with_init_ms(self) -> float:
        """Lambda bills the init phase too (since 2025-08-01), rounded up to the ms."""
        return self.billed_ms + (math.ceil(self.init_ms) if self.init_ms is not None else 0)


@dataclass
class FunctionLogs:
    """A `LocalApp` log sink keeping, while `capturing`, what CloudWatch Logs would ingest."""

    capturing: bool = False
    invocations: list[Invocation] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # per function: runtime error lines
    log_bytes: Counter[str] = field(default_factory=Counter)  # per function
    emf: list[dict[str, Any]] = field(default_factory=list)  # Powertools metric documents
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: Function, line: str) -> None:
        if not self.capturing or line.startswith("localrun: "):  # the runner's own notes
            return
        name = function.logical_id
        with self._lock:
            self.log_bytes[name] += len(line.encode()) + 1
            if line.startswith("REPORT "):
                if match := REPORT.match(line):
                    self.invocations.append(_invocation(name, match))
            elif line.startswith("[ERROR]") or " Task timed out after " in line:
                self.errors[name] += 1
            elif line.startswith("{") and '"_aws"' in line:
                self.emf.append(json.loads(line))

    def emf_totals(self) -> Counter[str]:
        """Each EMF metric summed over the run (what a CloudWatch Sum statistic shows)."""
        totals: Counter[str] = Counter()
        for document in self.emf:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = document.get(metric["Name"], 0)
                    totals[metric["Name"]] += sum(value) if isinstance(value, list) else value
        return totals


def _invocation(function: str, match: re.Match[str]) -> Invocation:
    init = match["init"]
    return Invocation(
        function,
        time.time(),
        float(match["duration"]),
        int(match["billed"]),
        int(match["memory"]),
        int(match["used"]),
        float(init) if init is not None else None,
    )
