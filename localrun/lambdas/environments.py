"""Execution environments: one worker process per environment, pooled per function.

Why processes: a handler module imports once per execution environment and keeps module state
(boto3 resources, Powertools objects) across invocations, and a timeout has to be able to kill
it. Each environment is a `_worker.py` process with exactly the function's template environment
plus what the Lambda runtime adds (`runtime_environment`); a function's pool grows when all its
environments are busy, like Lambda scaling out.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from localrun.lambdas.results import LambdaServiceError
from localrun.template import REGION, Function

LOG = logging.getLogger("localrun.lambda")
_WORKER = Path(__file__).with_name("_worker.py")
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

LogSink = Callable[[Function, str], None]


def log_to_logging(function: Function, line: str) -> None:
    """Default log sink: one `localrun.lambda` log record per line the function prints."""
    LOG.info("[%s] %s", function.logical_id, line)


def runtime_environment(
    function: Function,
    *,
    aws_endpoint_url: str,
    lambda_endpoint_url: str,
    xray_daemon_address: str | None = None,
) -> dict[str, str]:
    """The template's variables plus what the Lambda runtime sets, and nothing of ours.

    The runtime's reserved variables win over the template's, as in Lambda (which refuses
    to deploy a template setting them); POWERTOOLS_* defaults yield to the template.
    Tracing is off unless `xray_daemon_address` names a daemon (host:port, UDP) to send the
    segments to, as Lambda's own daemon receives them with `Tracing: Active`.
    """
    stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    tracing = "false" if xray_daemon_address else "true"
    defaults = {"POWERTOOLS_TRACE_DISABLED": tracing, "POWERTOOLS_DEV": "false"}
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
        **({"AWS_XRAY_DAEMON_ADDRESS": xray_daemon_address} if xray_daemon_address else {}),
        **FAKE_CREDENTIALS,
        # Every SDK call goes to the emulator, and Lambda calls come back to this service.
        "AWS_ENDPOINT_URL": aws_endpoint_url,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint_url,
    }
    return {**defaults, **function.environment, **reserved}


class WorkerGone(Exception):
    """The worker process ended or stopped answering; the environment is discarded."""


class Environment:
    """One worker process serving one function, one invocation at a time."""

    def __init__(
        self,
        function: Function,
        env: dict[str, str],
        log_sink: LogSink,
        aws_call_log: Path | None = None,
    ):
        """`aws_call_log`: a file the worker appends each AWS API call of the function to."""
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
                    *([str(aws_call_log)] if aws_call_log else []),
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

    def wait_ready(self, timeout: float) -> dict[str, Any] | None:
        """Wait for the import; returns the init error payload, or None when ready."""
        message = self._receive(timeout)
        self.init_ms = message["initMs"]
        return message["error"]

    def invoke(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            self.connection.send_bytes(json.dumps(request).encode())
        except OSError as error:
            raise WorkerGone(str(error)) from error
        return self._receive(timeout)

    def _receive(self, timeout: float) -> dict[str, Any]:
        """The worker's next message; TimeoutError if none within `timeout` seconds."""
        try:
            ready = self.connection.poll(timeout)
            message = self.connection.recv_bytes() if ready else None
        except (EOFError, OSError) as error:
            try:
                status = self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                status = None
            raise WorkerGone(f"exit status {status}") from error
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


class Pool:
    """The execution environments of one function."""

    def __init__(self, function: Function, max_environments: int):
        self.function = function
        self.limit = function.reserved_concurrency or max_environments
        self.idle: list[Environment] = []
        self.busy = 0
        self.condition = threading.Condition()

    def acquire(self) -> Environment | None:
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

    def release(self, environment: Environment | None) -> None:
        with self.condition:
            self.busy -= 1
            if environment is not None:
                self.idle.append(environment)
            self.condition.notify()

    def drain(self) -> list[Environment]:
        with self.condition:
            environments, self.idle = self.idle, []
            return environments
