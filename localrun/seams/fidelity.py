"""FIDELITY seams: without them the local app behaves otherwise than on AWS (or the tests cannot
drive the paths they test). Each must be carried over to a new moto, or moto must learn it."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localrun.seams.base import (
    DYNAMODB_RESPONSES,
    EVENTS_UTILS,
    LAMBDA_EVAL_UTILS,
    RETRIER_DECL,
    WAIT_FUNCTION,
    Patches,
    Seam,
    moto_module,
    service_task_modules,
)
from localrun.seams.faults import IntegrationFaults

_EVENT_ENVELOPE_WITH_ACCOUNT = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
    '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
    '"detail": <detail>}'
)


class LambdaTasksRunLocally(Seam):
    """`lambda_eval_utils.boto_client_for`: `arn:aws:states:::lambda:invoke` (and plain Lambda
    ARN) tasks get a Lambda client of the local Lambda service; other services unchanged.

    Why: moto cannot run a Lambda without Docker. With the service's own `invoke`, a synchronous
    Invoke is handed to it in this process (`LocalLambdaClient`), anything else goes over the
    Invoke API. Relies on the module attribute being looked up at each call
    (`exec_lambda_function` and `_invoke_lambda_function` call `boto_client_for(...).invoke`).
    """

    def __init__(self, lambda_client: Any):
        self._lambda_client = lambda_client

    def install(self, patches: Patches) -> None:
        module = moto_module(LAMBDA_EVAL_UTILS)
        original_client_for = module.boto_client_for
        lambda_client = self._lambda_client

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            if service == "lambda":
                return lambda_client
            return original_client_for(
                region=region, service=service, state_credentials=state_credentials
            )

        patches.replace(module, "boto_client_for", boto_client_for)


@dataclass(frozen=True)
class VirtualSleep:
    kind: str  # "retry" (a Retry interval) or "wait" (a Wait state)
    seconds: float


class _VirtualTimeModule(types.SimpleNamespace):
    """Stands in for the `time` module inside retrier_decl: sleep() records instead of waiting."""

    def __init__(self, record: Callable[[VirtualSleep], None]):
        super().__init__()
        self._record = record

    def sleep(self, seconds: float) -> None:
        self._record(VirtualSleep("retry", float(seconds)))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class VirtualTime(Seam):
    """`retrier_decl.time` (its `time.sleep(interval)`) and `WaitFunction._wait_interval`: Retry
    backoffs and Wait states are recorded (`record`) and skipped instead of slept.

    Why: a test of a 3-retry backoff or a 30 s Wait takes milliseconds and can assert the
    intervals. Installed only with `virtual_time` (the demo waits for real). Relies on
    retrier_decl's module-level `import time` and on WaitFunction._eval_body calling
    self._wait_interval.
    """

    def __init__(self, record: Callable[[VirtualSleep], None]):
        self._record = record

    def install(self, patches: Patches) -> None:
        record = self._record
        patches.replace(moto_module(RETRIER_DECL), "time", _VirtualTimeModule(record))

        def wait_interval(function: Any, env: Any, wait_seconds: float) -> None:
            record(VirtualSleep("wait", float(wait_seconds)))

        patches.replace(moto_module(WAIT_FUNCTION).WaitFunction, "_wait_interval", wait_interval)


class EventEnvelopeWithAccount(Seam):
    """`EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE` (moto.events.utils): the envelope of an
    event delivered to a target without an InputTransformer gets its "account" back.

    Why: moto's lacks "account", which EventBridge always sends and consumers may validate. Its
    test fails once moto sends it, so the seam can go.
    """

    def install(self, patches: Patches) -> None:
        patches.replace(
            moto_module(EVENTS_UTILS).EventTemplateParser,
            "DEFAULT_EVENT_INPUT_TEMPLATE",
            _EVENT_ENVELOPE_WITH_ACCOUNT,
        )


class IntegrationFaultsAnswered(Seam):
    """`boto_client_for` in each service-integration module (events:putEvents, sqs:sendMessage,
    ...): every client it makes answers the injected `faults` through botocore's `before-call`
    event, the hook botocore's own Stubber uses.

    Why: the e2e tests drive the ASL's Retry/Catch of integration tasks (an event bus refusing
    entries, a queue failing) without touching the application. Relies on the modules calling
    their own module attribute `boto_client_for` at each call.
    """

    def __init__(self, faults: IntegrationFaults):
        self._faults = faults

    def install(self, patches: Patches) -> None:
        for module in service_task_modules():
            if "boto_client_for" in vars(module):
                patches.replace(module, "boto_client_for", self._answering(module.boto_client_for))

    def _answering(self, client_for: Callable[..., Any]) -> Callable[..., Any]:
        answer = self._faults.answer

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            client = client_for(region=region, service=service, state_credentials=state_credentials)
            client.meta.events.register("before-call", answer)
            return client

        return boto_client_for


class OneDynamoDBRequestAtATime(Seam):
    """`DynamoHandler.call_action` (moto.dynamodb.responses): one DynamoDB request at a time, so
    each is atomic as in DynamoDB.

    Why: moto's server runs requests in threads and its backend has no locks: two conditional
    writes could both pass their condition (an oversell), and a transaction could read tables
    other threads are writing ("dictionary changed size during iteration", HTTP 500).
    """

    def install(self, patches: Patches) -> None:
        handler_class = moto_module(DYNAMODB_RESPONSES).DynamoHandler
        call_action = handler_class.__dict__["call_action"]
        lock = threading.Lock()

        def one_dynamodb_request_at_a_time(handler: Any) -> Any:
            with lock:
                return call_action(handler)

        patches.replace(handler_class, "call_action", one_dynamodb_request_at_a_time)
