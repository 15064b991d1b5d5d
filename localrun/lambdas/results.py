"""What an invocation returns or how it fails: results, records, Lambda's error payloads, faults."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class InvocationResult:
    function_name: str
    request_id: str
    payload: bytes  # what Invoke returns as Payload
    function_error: str | None  # "Unhandled" like X-Amz-Function-Error, or None
    init_duration_ms: float | None  # set when this invocation paid a cold start
    duration_ms: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class InvocationRecord:
    """What tests and `bench` look at: one line per invocation."""

    function: str  # logical id
    request_id: str
    cold_start: bool
    init_duration_ms: float | None
    duration_ms: float
    error_type: str | None


class LambdaServiceError(Exception):
    """An error of the Lambda service itself (the Invoke call fails, not the function)."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class FunctionErrorFault:
    """The invocation fails as if the handler raised `error_type` (the handler does not run)."""

    error_type: str
    error_message: str = "Injected by localrun"


@dataclass(frozen=True)
class ServiceErrorFault:
    """The Invoke call itself fails, e.g. ServiceException (500), TooManyRequestsException (429).

    Step Functions reports these as `Lambda.<code>`.
    """

    code: str = "ServiceException"
    status: int = 500
    message: str = "Injected by localrun"


@dataclass(frozen=True)
class TimeoutFault:
    """The invocation times out at once (Sandbox.Timedout) without waiting for the timeout."""


@dataclass(frozen=True)
class CrashAfterHandlerFault:
    """The handler runs to completion (its writes happen), then its environment dies before the
    result is returned: the call answers `Runtime.ExitError` and the environment is discarded,
    as when a runtime crashes. A crash after a task's write but before it returns."""


@dataclass(frozen=True)
class DuplicateDeliveryFault:
    """The handler is invoked twice with the same payload, the second right after the first,
    and the second result is returned: an at-least-once delivery."""


# Faults answered instead of running the handler; CrashAfterHandlerFault and
# DuplicateDeliveryFault run it.
HandlerSkippedFault = FunctionErrorFault | ServiceErrorFault | TimeoutFault
Fault = HandlerSkippedFault | CrashAfterHandlerFault | DuplicateDeliveryFault


def error_payload(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    body: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if stack is not None:
        body["stackTrace"] = stack
    return json.dumps(body).encode()


def timeout_payload(request_id: str, seconds: float) -> bytes:
    return error_payload(
        "Sandbox.Timedout",
        f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
    )


def payload_text(payload: bytes | str | dict[str, Any] | None) -> str:
    """The event as JSON text; InvalidRequestContentException when it is not JSON."""
    if payload is None or payload in (b"", ""):
        return "{}"
    if isinstance(payload, dict | list):
        return json.dumps(payload)
    text = payload.decode() if isinstance(payload, bytes) else payload
    try:
        json.loads(text)
    except ValueError as error:
        raise LambdaServiceError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: {error}",
            HTTPStatus.BAD_REQUEST,
        ) from error
    return text
