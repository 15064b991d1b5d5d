"""A local Lambda service: the template's functions in worker processes, behind the Invoke API.

Why processes: a handler module imports once per execution environment and keeps module state
(boto3 resources, Powertools objects) across invocations, and a timeout has to be able to kill
it. Each environment is a `localrun/_worker.py` process with exactly the function's template
environment plus what the Lambda runtime adds; a function's pool grows when all its
environments are busy, like Lambda scaling out. Nothing here knows a function by name: the
functions come from the template model.

Served over HTTP as `POST /2015-03-31/functions/{name-or-arn}/invocations`, so boto3's
`lambda.invoke` works against it (the functions' own AWS_ENDPOINT_URL_LAMBDA, the state
machine's Lambda tasks, people). Differences from AWS, on purpose: no versions/aliases (any
qualifier is $LATEST), no log tail, and without reserved concurrency an invocation waits for a
free environment beyond `max_environments` instead of scaling to 1,000.
"""

from __future__ import annotations

import base64
import collections
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import unquote, urlsplit

from localrun.template import REGION, Function, function_name_from

LOG = logging.getLogger("localrun.lambda")
_WORKER = Path(__file__).with_name("_worker.py")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit for the init phase of on-demand functions
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

LogSink = Callable[[Function, str], None]


def log_to_logging(function: Function, line: str) -> None:
    """Default log sink: one `localrun.lambda` log record per line the function prints."""
    LOG.info("[%s] %s", function.logical_id, line)


# --------------------------------------------------------------------------- results and faults


@dataclass(frozen=True)
class InvocationResult:
    function_name: str
    request_id: str
    payload: bytes  # what Invoke returns as Payload
    function_error: str | None  # "Unhandled" like X-Amz-Function-Error, or None
    init_duration_ms: float | None  # set when this invocation paid a cold start
    duration_ms: float

    def json(self):
        return json.loads(self.payload)


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


Fault = FunctionErrorFault | ServiceErrorFault | TimeoutFault


def _error_payload(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    body = {"errorType": error_type, "errorMessage": message}
    if stack is not None:
        body["stackTrace"] = stack
    return json.dumps(body).encode()


def _timeout_payload(request_id: str, seconds: float) -> bytes:
    return _error_payload(
        "Sandbox.Timedout",
        f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
    )


# --------------------------------------------------------------------------- environments


class _WorkerGone(Exception):
    """The worker process ended or stopped answering; the environment is discarded."""


class _Environment:
    """One worker process serving one function, one invocation at a time."""

    def __init__(self, function: Function, env: dict[str, str], log_sink: LogSink):
        self.function = function
        parent_socket, child_socket = socket.socketpair()
        with child_socket:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-u",
                    str(_WORKER),
                    str(function.code_dir),
                    function.handler,
                    str(child_socket.fileno()),
                    repr(time.time()),  # the worker measures Init Duration from here
                ],
                env=env,
                cwd=function.code_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(child_socket.fileno(),),
            )
        self.connection = Connection(parent_socket.detach())
        self.init_ms: float | None = None
        self._log_thread = threading.Thread(
            target=self._forward_logs,
            args=(log_sink,),
            daemon=True,
            name=f"logs-{function.logical_id}-{self.process.pid}",
        )
        self._log_thread.start()

    def _forward_logs(self, log_sink: LogSink) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            log_sink(self.function, raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_ready(self, timeout: float) -> dict | None:
        """Wait for the import; returns the init error payload, or None when ready."""
        message = self._receive(timeout)
        self.init_ms = message["initMs"]
        return message["error"]

    def invoke(self, request: dict, timeout: float) -> dict:
        try:
            self.connection.send_bytes(json.dumps(request).encode())
        except OSError as error:
            raise _WorkerGone(str(error)) from error
        return self._receive(timeout)

    def _receive(self, timeout: float) -> dict:
        """The worker's next message; TimeoutError if none within `timeout` seconds."""
        try:
            ready = self.connection.poll(timeout)
            message = self.connection.recv_bytes() if ready else None
        except (EOFError, OSError) as error:
            try:
                status = self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                status = None
            raise _WorkerGone(f"exit status {status}") from error
        if message is None:
            raise TimeoutError
        return json.loads(message)

    def kill(self) -> None:
        self.connection.close()
        if self.process.poll() is None:
            self.process.kill()
        self.reap(timeout=None)

    def reap(self, timeout: float | None) -> None:
        """Wait for the process to end (killing it after `timeout`) and for its last logs."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_thread.join(timeout=2)


class _Pool:
    """The execution environments of one function."""

    def __init__(self, function: Function, max_environments: int):
        self.function = function
        self.limit = function.reserved_concurrency or max_environments
        self.idle: list[_Environment] = []
        self.busy = 0
        self.condition = threading.Condition()

    def acquire(self) -> _Environment | None:
        """An idle environment, or None when the caller should start a new one."""
        with self.condition:
            while not self.idle and self.busy >= self.limit:
                if self.function.reserved_concurrency is not None:
                    raise LambdaServiceError(
                        "TooManyRequestsException", "Rate Exceeded.", HTTPStatus.TOO_MANY_REQUESTS
                    )
                self.condition.wait()
            self.busy += 1
            return self.idle.pop() if self.idle else None

    def release(self, environment: _Environment | None) -> None:
        with self.condition:
            self.busy -= 1
            if environment is not None:
                self.idle.append(environment)
            self.condition.notify()

    def drain(self) -> list[_Environment]:
        with self.condition:
            environments, self.idle = self.idle, []
            return environments


@dataclass(frozen=True)
class InvocationRecord:
    """What tests and `bench` look at: one line per invocation."""

    function: str  # logical id
    request_id: str
    cold_start: bool
    init_duration_ms: float | None
    duration_ms: float
    error_type: str | None


# --------------------------------------------------------------------------- the service


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
    ):
        self.functions = list(functions)
        self.aws_endpoint_url = aws_endpoint_url
        self.log_sink = log_sink
        self.init_timeout = init_timeout
        self._pools = {f.name: _Pool(f, max_environments) for f in self.functions}
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._faults_lock = threading.Lock()
        self._all: set[_Environment] = set()
        self._all_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._stopped = False
        self.records: collections.deque[InvocationRecord] = collections.deque(maxlen=10_000)

    # -- lifecycle ----------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = ThreadingHTTPServer((host, port), _InvokeApiHandler)
        self._server.daemon_threads = True
        self._server.lambda_service = self  # type: ignore[attr-defined]
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll interval
            daemon=True,
            name="lambda-invoke-api",
        ).start()
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LambdaService.start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and end every worker: idle ones exit on EOF, busy ones are killed."""
        self._stopped = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
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

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- faults (tests) -----------------------------------------------------

    def inject(self, function: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` invocations of `function` end with `fault` (FIFO per function).

        Test-only: drives the state machine's Catch/Retry paths for failures product code
        cannot produce on demand (Lambda service errors, timeouts, unexpected exceptions).
        """
        name = self.function(function).name
        with self._faults_lock:
            self._faults[name].extend([fault] * times)

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
        """Start one environment per function now, all in parallel; returns init ms by name.

        For measurements that should not include cold starts (Lambda's provisioned
        concurrency, in effect). A function whose init fails reports None.
        """
        functions = [self.function(ref) for ref in refs] if refs else self.functions
        init_ms: dict[str, float | None] = {}

        def warm(function: Function) -> None:
            pool = self._pools[function.name]
            if pool.acquire() is not None:
                raise RuntimeError("prewarm() runs before any invocation")
            environment, ms, error = self._cold_start(function)
            if error is not None:
                self._discard(environment)
                environment, ms = None, None
            init_ms[function.name] = ms
            pool.release(environment)

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
        self, ref: str, payload: bytes | str | dict | None = None, *, client_context=None
    ) -> InvocationResult:
        """Invoke synchronously (RequestResponse). Raises LambdaServiceError like Invoke does."""
        if self._stopped:
            raise LambdaServiceError("ServiceException", "runner stopped", 503)
        function = self.function(ref)
        body = _payload_text(payload)
        request_id = str(uuid.uuid4())
        fault = self._next_fault(function.name)
        if fault is not None:
            return self._faulted(function, request_id, fault)

        pool = self._pools[function.name]
        environment = pool.acquire()
        kept: _Environment | None = None
        try:
            init_ms: float | None = None
            cold_start = environment is None
            if environment is None:
                environment, init_ms, init_error = self._cold_start(function)
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
            request = {
                "requestId": request_id,
                "payload": body,
                "deadlineMs": (time.time() + function.timeout) * 1000,
                "invokedArn": ref if ref.startswith("arn:") else function.arn,
                "clientContext": client_context,
            }
            reply = self._exchange(function, environment, request)
            if not reply.pop("discard", False):
                kept = environment
            if "error" in reply:
                payload, function_error = json.dumps(reply["error"]).encode(), "Unhandled"
            else:
                payload, function_error = reply["payload"].encode(), None
            return self._record(
                function,
                request_id,
                cold_start,
                init_ms,
                reply["durationMs"],
                payload,
                function_error,
            )
        finally:
            if kept is None and environment is not None:
                self._discard(environment)
            pool.release(kept)

    def _cold_start(self, function: Function) -> tuple[_Environment, float | None, dict | None]:
        """Start an environment and import the handler: (environment, init ms, init error)."""
        environment = _Environment(function, self._environment_variables(function), self.log_sink)
        with self._all_lock:
            self._all.add(environment)
        try:
            init_error = environment.wait_ready(self.init_timeout)
        except TimeoutError:
            init_error = {
                "errorType": "Runtime.InitTimeout",
                "errorMessage": f"Init phase exceeded {self.init_timeout:.0f} seconds",
            }
        except _WorkerGone as gone:
            init_error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"Runtime exited during init: {gone}",
            }
        return environment, environment.init_ms, init_error

    def _exchange(self, function: Function, environment: _Environment, request: dict) -> dict:
        """Run one request; timeouts and crashes become Lambda's error payloads + discard."""
        request_id = request["requestId"]
        try:
            return environment.invoke(request, timeout=function.timeout)
        except TimeoutError:
            self.log_sink(
                function,
                f"{datetime.now(UTC).isoformat()} {request_id} "
                f"Task timed out after {function.timeout:.2f} seconds",
            )
            return {
                "discard": True,
                "durationMs": function.timeout * 1000.0,
                "error": json.loads(_timeout_payload(request_id, function.timeout)),
            }
        except _WorkerGone as gone:
            return {
                "discard": True,
                "durationMs": 0.0,
                "error": {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"{gone}",
                },
            }

    def _faulted(self, function: Function, request_id: str, fault: Fault) -> InvocationResult:
        self.log_sink(function, f"localrun: injected {fault} for RequestId: {request_id}")
        if isinstance(fault, ServiceErrorFault):
            raise LambdaServiceError(fault.code, fault.message, fault.status)
        if isinstance(fault, TimeoutFault):
            payload = _timeout_payload(request_id, function.timeout)
        else:
            payload = _error_payload(fault.error_type, fault.error_message, [])
        return self._record(function, request_id, False, None, 0.0, payload, "Unhandled")

    def _record(
        self, function, request_id, cold_start, init_ms, duration_ms, payload, function_error
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

    def _discard(self, environment: _Environment) -> None:
        with self._all_lock:
            self._all.discard(environment)
        environment.kill()

    def _environment_variables(self, function: Function) -> dict[str, str]:
        """The template's variables plus what the Lambda runtime sets, and nothing of ours.

        The runtime's reserved variables win over the template's, as in Lambda (which refuses
        to deploy a template setting them); POWERTOOLS_* defaults yield to the template.
        """
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        defaults = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_DEV": "false"}
        reserved = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            **FAKE_CREDENTIALS,
            # Every SDK call goes to the emulator, and Lambda calls come back to this service.
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url,
        }
        return {**defaults, **function.environment, **reserved}


def _payload_text(payload: bytes | str | dict | None) -> str:
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


# --------------------------------------------------------------------------- Invoke API (HTTP)

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations$")


class _InvokeApiHandler(BaseHTTPRequestHandler):
    """The subset of the Lambda REST API that boto3's `invoke` uses."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms on loopback) on every response of a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "localrun-lambda"

    def log_message(self, format: str, *args) -> None:
        LOG.debug("invoke api: " + format, *args)

    def do_POST(self) -> None:
        service: LambdaService = self.server.lambda_service  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _INVOKE_PATH.match(urlsplit(self.path).path)
        if not match:
            self._error(HTTPStatus.NOT_FOUND, "UnknownOperationException", "Unknown operation")
            return
        ref = unquote(match["function"])
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        client_context = self.headers.get("X-Amz-Client-Context")
        if client_context:
            client_context = json.loads(base64.b64decode(client_context))
        try:
            service.function(ref)
            if invocation_type == "DryRun":
                self._send(HTTPStatus.NO_CONTENT, b"", {})
                return
            if invocation_type == "Event":
                _payload_text(body)  # validate now, like the service does
                threading.Thread(
                    target=_invoke_async, args=(service, ref, body), daemon=True
                ).start()
                self._send(HTTPStatus.ACCEPTED, b"", {})
                return
            result = service.invoke(ref, body, client_context=client_context)
        except LambdaServiceError as error:
            self._error(error.status, error.code, error.message)
            return
        headers = {"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json"}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        self._send(HTTPStatus.OK, result.payload, headers)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message})
        self._send(
            status, body.encode(), {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
        )

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _invoke_async(service: LambdaService, ref: str, body: bytes) -> None:
    try:
        result = service.invoke(ref, body)
    except LambdaServiceError as error:
        LOG.warning("async invoke of %s failed: %s", ref, error)
        return
    if result.function_error:
        LOG.warning("async invoke of %s failed: %s", ref, result.payload.decode())
