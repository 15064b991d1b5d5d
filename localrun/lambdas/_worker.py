"""One Lambda execution environment: imports a handler once, then serves invocations.

Run by `localrun.lambdas.environments` as
`python -I -u _worker.py CODE_DIR HANDLER SOCKET_FD SPAWNED_AT [AWS_CALL_LOG]`, with the
environment the template gives the function. Standard library only (boto3 only to record calls),
and `-I` keeps this file's directory and the developer's PYTHON* variables off sys.path: the
handler sees its CodeUri plus the interpreter's site-packages (boto3, Powertools: the runtime and
the layer), nothing else.

Protocol on the socket (multiprocessing.connection frames, JSON): the worker sends
{"type": "ready", "initMs", "error"} once, then answers each {"requestId", "payload",
"deadlineMs", "invokedArn", "clientContext", "crashAfterHandler"?} with {"payload"} or
{"error"} (with "crashAfterHandler", it runs the handler and exits with status 1 unanswered).
stdout/stderr are the function's log stream (START/END/REPORT lines as in CloudWatch).

With AWS_CALL_LOG, every AWS API call the function's code makes through boto3 is appended to that
file as a JSON line {"function", "service", "operation", "parts"?} ("parts": the item kinds of a
DynamoDB transaction): what tests compare with the function's IAM policy.
"""

import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, request: dict[str, Any]):
        self.aws_request_id = request["requestId"]
        self.invoked_function_arn = request["invokedArn"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.client_context = request.get("clientContext")
        self.identity = None
        self._deadline_ms = request["deadlineMs"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(error_type: str, exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": error_type,
        "errorMessage": str(exc),
        # The function's frames only, like the runtime: not this bootstrap's.
        "stackTrace": traceback.format_list(
            [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        ),
    }


def _load_handler(handler: str) -> tuple[Handler | None, dict[str, Any] | None]:
    """Import the handler the way the python3.12 runtime does, with its error types."""
    module_name, _, attribute = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, {
            "errorType": "Runtime.ImportModuleError",
            "errorMessage": f"Unable to import module '{module_name}': {exc}",
            "stackTrace": [],
        }
    except Exception as exc:
        return None, _error(type(exc).__name__, exc)
    function = getattr(module, attribute, None)
    if not callable(function):
        return None, {
            "errorType": "Runtime.HandlerNotFound",
            "errorMessage": f"Handler '{attribute}' missing on module '{module_name}'",
            "stackTrace": [],
        }
    return function, None


def _record_aws_calls(path: str) -> None:
    """Log every call made through boto3's default session (the one `boto3.client` uses) as it
    is built, before it is sent: a call IAM would refuse is still attempted."""
    import boto3  # only when recording: the function's own init imports it anyway

    function = os.environ["AWS_LAMBDA_FUNCTION_NAME"]

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        call: dict[str, Any] = {
            "function": function,
            "service": model.service_model.signing_name,  # the IAM prefix: states, not sfn
            "operation": model.name,
        }
        if model.name in ("TransactWriteItems", "TransactGetItems"):  # IAM checks each part
            call["parts"] = sorted(
                {kind for item in params.get("TransactItems", []) for kind in item}
            )
        with open(path, "a", encoding="utf-8") as log:  # O_APPEND: one whole line per write
            log.write(json.dumps(call) + "\n")

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", record)


def _peak_memory_mb() -> int:
    """This process's peak RSS. Not getrusage: ru_maxrss survives exec, so it would report
    the (much larger) runner's peak inherited through fork."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def _exit_when_orphaned(parent_pid: int) -> None:
    # The socket's EOF ends an idle worker; this ends one stuck in a handler when the runner died.
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def _trace_header() -> str:
    """What the runtime puts in _X_AMZN_TRACE_ID for each invocation: a new trace, sampled when
    the runner gave the function an X-Ray daemon to send segments to."""
    root = f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    sampled = 1 if "AWS_XRAY_DAEMON_ADDRESS" in os.environ else 0
    return f"Root={root};Parent={os.urandom(8).hex()};Sampled={sampled}"


def _invoke(handler: Handler, request: dict[str, Any], init_ms: float | None) -> dict[str, Any]:
    started = time.perf_counter()
    request_id = request["requestId"]
    reply: dict[str, Any]
    os.environ["_X_AMZN_TRACE_ID"] = _trace_header()
    print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
    try:
        result = handler(json.loads(request["payload"]), LambdaContext(request))
        reply = {"payload": json.dumps(result)}
    except Exception as exc:
        reply = {"error": _error(type(exc).__name__, exc)}
        print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    except SystemExit as exc:
        reply = {"error": _error("Runtime.ExitError", exc), "discard": True}
    duration_ms = (time.perf_counter() - started) * 1000
    if "payload" in reply:
        try:
            json.loads(reply["payload"])
        except ValueError as exc:  # NaN and friends: Lambda refuses to marshal them too
            reply = {"error": _error("Runtime.MarshalError", exc)}
    max_memory_mb = _peak_memory_mb()
    print(f"END RequestId: {request_id}", flush=True)
    print(
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, round(duration_ms))} ms\t"
        f"Memory Size: {os.environ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']} MB\t"
        f"Max Memory Used: {max_memory_mb} MB"
        + (f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""),
        flush=True,
    )
    reply["durationMs"] = duration_ms
    return reply


def main() -> None:
    code_dir, handler_name, fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    spawned_at = float(sys.argv[4])
    aws_call_log = sys.argv[5] if len(sys.argv) > 5 else None
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the runner, which stops us
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    sys.path.insert(0, code_dir)
    connection = Connection(socket.socket(fileno=fd).detach())

    if aws_call_log:
        _record_aws_calls(aws_call_log)
    handler, init_error = _load_handler(handler_name)
    # Like Lambda's Init Duration: runtime start (the interpreter) plus the handler's import.
    init_ms = (time.time() - spawned_at) * 1000
    connection.send_bytes(
        json.dumps({"type": "ready", "initMs": init_ms, "error": init_error}).encode()
    )
    if handler is None:  # the init failed: the ready message carried its error
        return
    first_invocation_init_ms: float | None = init_ms  # REPORT shows Init Duration once
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            # The runner is done with us. Skip interpreter finalisation (it tears down the
            # whole boto3/pydantic module graph for ~0.3 s of CPU): Lambda freezes and kills
            # environments without running atexit either.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        reply = _invoke(handler, request, first_invocation_init_ms)
        first_invocation_init_ms = None
        if request.get("crashAfterHandler"):
            # An injected crash (CrashAfterHandlerFault): the handler's work is done, and the
            # environment dies before its answer leaves, as a runtime that crashes there does.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
        connection.send_bytes(json.dumps(reply).encode())
        if reply.get("discard"):
            return


if __name__ == "__main__":
    main()
