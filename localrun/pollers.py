"""SQS event sources: what Lambda's event source mapping does for a function's `Type: SQS` event.

EventBridge rules deliver to SQS queues in moto (rule matching stays moto's); this module long-
polls each queue a function subscribes to, invokes the function with an AWS-shaped SQS event and
deletes what succeeded. Failed messages are left alone: they reappear after the queue's
visibility timeout, and SQS's redrive policy moves them to the DLQ after maxReceiveCount -- the
retry behaviour the templates configure, not one of ours.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from localrun.lambdas import LambdaService, LambdaServiceError
from localrun.template import REGION, Function, SqsEventSource

LOG = logging.getLogger("localrun.sqs")
POLL_WAIT_SECONDS = 1  # long-poll slice: short enough for a prompt stop()


@dataclass
class PollerStats:
    batches: int = 0
    succeeded: int = 0  # messages deleted after a successful invocation
    failed: int = 0  # messages left to the visibility timeout / redrive policy


def sqs_record(message: dict, queue_arn: str) -> dict:
    """One record of Lambda's SQS event, from a ReceiveMessage message."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": (
                    base64.b64encode(value["BinaryValue"]).decode()
                    if "BinaryValue" in value
                    else None
                ),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_message_ids(payload: object, batch_ids: list[str]) -> set[str]:
    """The messages a ReportBatchItemFailures response marks as failed.

    As Lambda does: no failures listed means all succeeded; a malformed response, or one naming
    an empty or unknown id, fails the whole batch.
    """
    if payload is None or payload == {}:
        return set()
    if not isinstance(payload, dict) or not isinstance(payload.get("batchItemFailures", []), list):
        return set(batch_ids)
    failed = set()
    for item in payload.get("batchItemFailures", []):
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    """One event source mapping: a thread polling `queue_url` for `function`."""

    def __init__(
        self,
        function: Function,
        source: SqsEventSource,
        queue_url: str,
        client_factory: Callable[[], object],
        lambdas: LambdaService,
    ):
        self.function, self.source, self.queue_url = function, source, queue_url
        self._client_factory = client_factory
        self._lambdas = lambdas
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"sqs-{function.logical_id}"
        )
        self.stats = PollerStats()

    def start(self) -> None:
        if self.source.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=POLL_WAIT_SECONDS + 10)

    def _run(self) -> None:
        sqs = self._client_factory()
        while not self._stopping.is_set():
            try:
                messages = self._receive_batch(sqs)
                if messages:
                    self._deliver(sqs, messages)
            except Exception:  # keep polling, as the service does, but say why
                if self._stopping.is_set():
                    return
                LOG.exception("poller for %s", self.function.logical_id)
                time.sleep(POLL_WAIT_SECONDS)

    def _receive_batch(self, sqs) -> list[dict]:
        """Up to BatchSize messages, waiting at most MaximumBatchingWindowInSeconds to fill."""
        messages: list[dict] = []
        window_ends = time.monotonic() + self.source.maximum_batching_window_seconds
        while len(messages) < self.source.batch_size and not self._stopping.is_set():
            response = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.source.batch_size - len(messages)),
                WaitTimeSeconds=POLL_WAIT_SECONDS if not messages else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages.extend(response.get("Messages", []))
            if not messages or time.monotonic() >= window_ends:
                break
        return messages

    def _deliver(self, sqs, messages: list[dict]) -> None:
        event = {"Records": [sqs_record(m, self.source.queue_arn) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        self.stats.batches += 1
        try:
            result = self._lambdas.invoke(self.function.name, event)
        except LambdaServiceError as error:
            LOG.warning(
                "%s: invoke failed (%s); %d messages return to the queue",
                self.function.logical_id,
                error,
                len(ids),
            )
            self.stats.failed += len(ids)
            return
        if result.function_error:
            failed = set(ids)
        elif self.source.report_batch_item_failures:
            failed = failed_message_ids(_json_or_none(result.payload), ids)
        else:
            failed = set()
        succeeded = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(succeeded), 10):
            chunk = succeeded[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
        self.stats.succeeded += len(succeeded)
        self.stats.failed += len(failed)
        if failed:
            LOG.info(
                "%s: %d of %d messages failed; they return after the visibility timeout",
                self.function.logical_id,
                len(failed),
                len(ids),
            )


def _json_or_none(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except ValueError:
        return {"invalid": True}
