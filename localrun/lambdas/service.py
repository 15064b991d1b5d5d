"""A local Lambda service: the template's functions in worker processes, behind the Invoke API.

Nothing here knows a function by name: the functions come from the template model. Differences
from AWS, on purpose: no versions/aliases (any qualifier is $LATEST), no log tail, and without
reserved concurrency an invocation waits for a free environment beyond `max_environments`
instead of scaling to 1,000.

An init that passes Lambda's 10 s init window does not fail the call: as on AWS ("suppressed
init"), it goes on inside the first invocation, which has the function's whole Timeout for the
rest of its init and the handler. AWS restarts that init; this service lets the running one
finish, which takes at most as long as a restart would, so anything that succeeds on AWS
succeeds here.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from localrun.lambdas.environments import (
    Environment,
    LogSink,
    Pool,
    WorkerGone,
    log_to_logging,
    runtime_environment,
)
from localrun.lambdas.invoke_api import InvokeApiHandler
from localrun.lambdas.results import (
    CrashAfterHandlerFault,
    DuplicateDeliveryFault,
    Fault,
    HandlerSkippedFault,
    InvocationRecord,
    InvocationResult,
    LambdaServiceError,
    ServiceErrorFault,
    TimeoutFault,
    error_payload,
    payload_text,
    timeout_payload,
)
from localrun.loopback import LoopbackServer
from localrun.template import Function, function_name_from

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init window for on-demand functions
# Provisioned concurrency's init limit (what `prewarm` imitates): 130 s or the function's Timeout.
PROVISIONED_INIT_TIMEOUT_SECONDS = 130.0
# Lambda's synchronous invocation payload quotas, as its errors state them in bytes.
MAX_REQUEST_BYTES = 6_291_456  # "Request must be smaller than 6291456 bytes"
MAX_RESPONSE_BYTES = 6_291_556  # "exceeded maximum allowed payload size (6291556 bytes)"
MAX_ASYNC_REQUEST_BYTES = 1_048_576  # an Event invocation's payload (1 MB)


class LambdaService:
    """Runs the model's functions. `start()` also serves the Invoke API on loopback."""

    def __init__(
        self,
        functions: list[Function],
        *,
        aws_endpoint_url: str,
        max_environments: int = 10,
        log_sink: LogSink = log_to_logging,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_async_request_bytes: int = MAX_ASYNC_REQUEST_BYTES,
        xray_daemon_address: str | None = None,
        aws_call_log: Path | None = None,
    ):
        """The limits default to Lambda's; tests pass small ones to reach them quickly.
        `xray_daemon_address` (host:port) turns tracing on: segments go there over UDP.
        `aws_call_log`: a file every function appends its AWS API calls to (JSON lines)."""
        self.functions = list(functions)
        self.aws_endpoint_url = aws_endpoint_url
        self.xray_daemon_address = xray_daemon_address
        self.log_sink = log_sink
        self.init_timeout = init_timeout
        self.max_request_bytes = max_request_bytes
        self.max_response_bytes = max_response_bytes
        self.max_async_request_bytes = max_async_request_bytes
        self.aws_call_log = aws_call_log
        self._pools = {f.name: Pool(f, max_environments) for f in self.functions}
        # Per function, what its next invocations get: a fault, or None to let one through.
        self._faults: dict[str, collections.deque[Fault | None]] = collections.defaultdict(
            collections.deque
        )
        self._faults_lock = threading.Lock()
        self._all: set[Environment] = set()
        self._all_lock = threading.Lock()
        self._invoke_api = LoopbackServer(InvokeApiHandler, self, "lambda-invoke-api")
        self._stopped = False
        self.records: collections.deque[InvocationRecord] = collections.deque(maxlen=10_000)

    # -- lifecycle ----------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._invoke_api.start(host, port)
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        url = self._invoke_api.base_url
        if url is None:
            raise RuntimeError("LambdaService.start() first")
        return url

    def stop(self) -> None:
        """Stop serving and end every worker: idle ones exit on EOF, busy ones are killed."""
        self._stopped = True
        self._invoke_api.stop()
        idle = {env for pool in self._pools.values() for env in pool.drain()}
        with self._all_lock:
            environments, self._all = self._all, set()
        for environment in environments:
            if environment in idle:
                environment.connection.close()
            else:
                environment.process.kill()
        deadline = time.monotonic() + 2
        for environment in environments:  # in parallel: they are all exiting already
            environment.connection.close()
            environment.reap(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> LambdaService:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults (tests) -----------------------------------------------------

    def inject(self, function: str, fault: Fault, times: int = 1, *, after: int = 0) -> None:
        """Let the next `after` invocations of `function` through, then end `times` with `fault`
        (FIFO per function, after what is already waiting), like `MotoSeams.inject`.

        Test-only: drives the state machine's Catch/Retry paths for failures product code
        cannot produce on demand (Lambda service errors, timeouts, crashes, duplicates).
        """
        name = self.function(function).name
        with self._faults_lock:
            self._faults[name].extend([None] * after + [fault] * times)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _next_fault(self, name: str) -> Fault | None:
        with self._faults_lock:
            queue = self._faults.get(name)
            return queue.popleft() if queue else None

    # -- invoking -----------------------------------------------------------

    def function(self, ref: str) -> Function:
        name = function_name_from(ref)
        for function in self.functions:
            if name in (function.name, function.logical_id):
                return function
        raise LambdaServiceError(
            "ResourceNotFoundException", f"Function not found: {ref}", HTTPStatus.NOT_FOUND
        )

    def prewarm(self, refs: list[str] | None = None) -> dict[str, float | None]:
        """Start one environment per function that has no idle one, all in parallel; returns
        the init ms of those started, by name.

        For measurements that should not include cold starts (Lambda's provisioned
        concurrency, in effect, with its longer init limit). A function whose init fails
        reports None.
        """
        functions = [self.function(ref) for ref in refs] if refs else self.functions
        init_ms: dict[str, float | None] = {}

        def warm(function: Function) -> None:
            pool = self._pools[function.name]
            idle = pool.acquire()
            if idle is not None:  # already warm (e.g. seeding went through its API)
                pool.release(idle)
                return
            environment = self._start_environment(function)
            try:
                limit = max(PROVISIONED_INIT_TIMEOUT_SECONDS, function.timeout)
                failed = environment.wait_ready(limit) is not None
            except (TimeoutError, WorkerGone):
                failed = True
            kept: Environment | None = environment
            ms = environment.init_ms
            if failed:
                self._discard(environment)
                kept, ms = None, None
            init_ms[function.name] = ms
            pool.release(kept)

        threads = [threading.Thread(target=warm, args=(f,)) for f in functions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return init_ms

    def environments(self, ref: str) -> int:
        """How many execution environments the function has (idle + busy)."""
        name = self.function(ref).name
        with self._all_lock:
            return sum(1 for env in self._all if env.function.name == name)

    def invoke(
        self,
        ref: str,
        payload: bytes | str | dict[str, Any] | None = None,
        *,
        client_context: Any = None,
        on_start: Callable[[], None] | None = None,
    ) -> InvocationResult:
        """Invoke synchronously (RequestResponse). Raises LambdaServiceError like Invoke does.

        `on_start` is called once the invocation has an environment: a wait for a free one
        (beyond `max_environments`) is this service's, where Lambda would scale out.
        """
        if self._stopped:
            raise LambdaServiceError("ServiceException", "runner stopped", 503)
        function = self.function(ref)
        body = payload_text(payload)
        self.check_payload_size(len(body.encode()))
        request = {
            "requestId": str(uuid.uuid4()),
            "payload": body,
            "invokedArn": ref if ref.startswith("arn:") else function.arn,
            "clientContext": client_context,
        }
        fault = self._next_fault(function.name)
        if fault is None:
            return self._run(function, request, on_start)
        self.log_sink(function, f"localrun: injected {fault} for RequestId: {request['requestId']}")
        if isinstance(fault, DuplicateDeliveryFault):
            self._run(function, request, on_start)
            return self._run(function, {**request, "requestId": str(uuid.uuid4())})
        if isinstance(fault, CrashAfterHandlerFault):
            return self._run(function, {**request, "crashAfterHandler": True}, on_start)
        return self._faulted(function, request["requestId"], fault)

    def _run(
        self,
        function: Function,
        request: dict[str, Any],
        on_start: Callable[[], None] | None = None,
    ) -> InvocationResult:
        """One invocation of the handler, in an idle environment or a new one (a cold start)."""
        request_id = request["requestId"]
        pool = self._pools[function.name]
        environment = pool.acquire()
        if on_start is not None:
            on_start()
        kept: Environment | None = None
        try:
            init_ms: float | None = None
            cold_start = environment is None
            deadline = time.time() + function.timeout
            if environment is None:
                environment = self._start_environment(function)
                deadline, init_error = self._initialise(function, environment, request_id)
                init_ms = environment.init_ms
                if init_error is not None:
                    return self._record(
                        function,
                        request_id,
                        True,
                        init_ms,
                        0.0,
                        json.dumps(init_error).encode(),
                        "Unhandled",
                    )
            reply = self._exchange(
                function, environment, {**request, "deadlineMs": deadline * 1000}, deadline
            )
            if not reply.pop("discard", False):
                kept = environment
            if "error" in reply:
                answer, function_error = json.dumps(reply["error"]).encode(), "Unhandled"
            else:
                answer, function_error = reply["payload"].encode(), None
                if len(answer) > self.max_response_bytes:
                    answer, function_error = self._response_too_large(len(answer)), "Unhandled"
            return self._record(
                function,
                request_id,
                cold_start,
                init_ms,
                reply["durationMs"],
                answer,
                function_error,
            )
        finally:
            if kept is None and environment is not None:
                self._discard(environment)
            pool.release(kept)

    def check_payload_size(self, size: int, invocation_type: str = "RequestResponse") -> None:
        """Lambda refuses an Invoke whose payload passes its invocation type's quota (413)."""
        if invocation_type == "Event":
            limit = self.max_async_request_bytes
            message = (
                f"{size} byte payload is too large for the Event invocation type "
                f"(limit {limit} bytes)"
            )
        else:
            limit = self.max_request_bytes
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        if size > limit:
            raise LambdaServiceError(
                "RequestEntityTooLargeException", message, HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )

    def _response_too_large(self, size: int) -> bytes:
        return error_payload(
            "Function.ResponseSizeTooLarge",
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
            f"({self.max_response_bytes} bytes).",
        )

    def _start_environment(self, function: Function) -> Environment:
        """A new worker process importing the function's handler (a cold start)."""
        environment = Environment(
            function,
            runtime_environment(
                function,
                aws_endpoint_url=self.aws_endpoint_url,
                lambda_endpoint_url=self.endpoint_url,
                xray_daemon_address=self.xray_daemon_address,
            ),
            self.log_sink,
            self.aws_call_log,
        )
        with self._all_lock:
            self._all.add(environment)
        return environment

    def _initialise(
        self, function: Function, environment: Environment, request_id: str
    ) -> tuple[float, dict[str, Any] | None]:
        """Wait for the init of the environment a cold invocation started.

        Returns the invocation's deadline (epoch seconds) and the init's error payload, if any.
        Within the init window, the handler then has the function's whole Timeout. Past it, the
        init is suppressed as on AWS: the rest of the init and the handler share one Timeout,
        counted from the end of the window (when AWS would start the init again).
        """
        try:
            return time.time() + function.timeout, environment.wait_ready(self.init_timeout)
        except TimeoutError:
            pass
        except WorkerGone as gone:
            return time.time(), _init_exit_error(gone)
        self.log_sink(
            function,
            f"INIT_REPORT Init Duration: {self.init_timeout * 1000:.2f} ms\t"
            "Phase: init\tStatus: timeout",
        )
        deadline = time.time() + function.timeout
        try:
            return deadline, environment.wait_ready(function.timeout)
        except TimeoutError:
            self._log_timeout(function, request_id)
            return deadline, json.loads(timeout_payload(request_id, function.timeout))
        except WorkerGone as gone:
            return deadline, _init_exit_error(gone)

    def _log_timeout(self, function: Function, request_id: str) -> None:
        self.log_sink(
            function,
            f"{datetime.now(UTC).isoformat()} {request_id} "
            f"Task timed out after {function.timeout:.2f} seconds",
        )

    def _exchange(
        self,
        function: Function,
        environment: Environment,
        request: dict[str, Any],
        deadline: float,
    ) -> dict[str, Any]:
        """Run one request until `deadline` (epoch seconds); timeouts and crashes become
        Lambda's error payloads + discard."""
        request_id = request["requestId"]
        try:
            return environment.invoke(request, timeout=max(0.0, deadline - time.time()))
        except TimeoutError:
            self._log_timeout(function, request_id)
            return {
                "discard": True,
                "durationMs": function.timeout * 1000.0,
                "error": json.loads(timeout_payload(request_id, function.timeout)),
            }
        except WorkerGone as gone:
            return {
                "discard": True,
                "durationMs": 0.0,
                "error": {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"{gone}",
                },
            }

    def _faulted(
        self, function: Function, request_id: str, fault: HandlerSkippedFault
    ) -> InvocationResult:
        """The invocation ends with `fault` without running the handler."""
        if isinstance(fault, ServiceErrorFault):
            raise LambdaServiceError(fault.code, fault.message, fault.status)
        if isinstance(fault, TimeoutFault):
            payload = timeout_payload(request_id, function.timeout)
        else:
            payload = error_payload(fault.error_type, fault.error_message, [])
        return self._record(function, request_id, False, None, 0.0, payload, "Unhandled")

    def _record(
        self,
        function: Function,
        request_id: str,
        cold_start: bool,
        init_ms: float | None,
        duration_ms: float,
        payload: bytes,
        function_error: str | None,
    ) -> InvocationResult:
        error_type = json.loads(payload).get("errorType") if function_error else None
        self.records.append(
            InvocationRecord(
                function.logical_id, request_id, cold_start, init_ms, duration_ms, error_type
            )
        )
        return InvocationResult(
            function.name, request_id, payload, function_error, init_ms, duration_ms
        )

    def _discard(self, environment: Environment) -> None:
        with self._all_lock:
            self._all.discard(environment)
        environment.kill()


def _init_exit_error(gone: WorkerGone) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"Runtime exited during init: {gone}",
    }
