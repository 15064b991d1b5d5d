"""Faults injected into the state machine's service integrations (events:putEvents, ...).

Test-only, like `LambdaService.inject`: they drive the ASL's Retry/Catch of integration tasks
without touching the application. A client answers them through botocore's `before-call`
event, the hook botocore's own Stubber uses (see `fidelity.IntegrationFaultsAnswered`).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders


@dataclass(frozen=True)
class FailedEntriesFault:
    """events:putEvents answers 200 with every entry failed, as EventBridge does when it cannot
    take them; Step Functions then fails the task with `EventBridge.FailedEntry`."""

    error_code: str = "InternalFailure"
    error_message: str = "Injected by localrun"

    def response(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        entries = json.loads(request["body"] or b"{}").get("Entries", [])
        failed = {"ErrorCode": self.error_code, "ErrorMessage": self.error_message}
        return 200, {"FailedEntryCount": len(entries), "Entries": [failed] * len(entries)}


@dataclass(frozen=True)
class ApiErrorFault:
    """The call fails with this AWS error (what botocore raises as a ClientError)."""

    code: str = "InternalError"
    status: int = 500
    message: str = "Injected by localrun"

    def response(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        error = {"Code": self.code, "Message": self.message}
        return self.status, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": self.status}}


IntegrationFault = FailedEntriesFault | ApiErrorFault


class IntegrationFaults:
    """The faults waiting for each integration, in order; `None` lets one call through."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, deque[IntegrationFault | None]] = defaultdict(deque)
        self._lock = threading.Lock()

    def inject(
        self, integration: str, fault: IntegrationFault, times: int = 1, *, after: int = 0
    ) -> None:
        with self._lock:
            self._queues[integration.lower()].extend([None] * after + [fault] * times)

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()

    def answer(
        self, model: Any, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """botocore `before-call` handler: a response short-circuits the call."""
        integration = f"{model.service_model.service_name}:{model.name}".lower()
        with self._lock:
            queue = self._queues.get(integration)
            fault = queue.popleft() if queue else None
        if fault is None:
            return None
        status, parsed = fault.response(params)
        return AWSResponse(str(params.get("url", "")), status, HTTPHeaders(), None), parsed
