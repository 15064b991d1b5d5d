"""The Lambda Invoke API over HTTP: `POST /2015-03-31/functions/{name-or-arn}/invocations`.

The subset boto3's `lambda.invoke` uses, so the functions' own AWS_ENDPOINT_URL_LAMBDA, the state
machine's Lambda tasks and people reach the local Lambda service as they would reach Lambda.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from localrun.lambdas.results import LambdaServiceError, payload_text
from localrun.loopback import LoopbackHandler

if TYPE_CHECKING:
    from localrun.lambdas.service import LambdaService

LOG = logging.getLogger("localrun.lambda")
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations$")


class InvokeApiHandler(LoopbackHandler):
    """The subset of the Lambda REST API that boto3's `invoke` uses."""

    server_version = "localrun-lambda"
    log, log_label = LOG, "invoke api"

    def do_POST(self) -> None:
        service: LambdaService = self.server.owner
        body = self.read_body()
        match = _INVOKE_PATH.match(urlsplit(self.path).path)
        if not match:
            self._error(HTTPStatus.NOT_FOUND, "UnknownOperationException", "Unknown operation")
            return
        ref = unquote(match["function"])
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        raw_context = self.headers.get("X-Amz-Client-Context")
        client_context = json.loads(base64.b64decode(raw_context)) if raw_context else raw_context
        try:
            service.function(ref)
            if invocation_type == "DryRun":
                self._send(HTTPStatus.NO_CONTENT, b"", {})
                return
            if invocation_type == "Event":
                service.check_payload_size(len(body), "Event")
                payload_text(body)  # validate now, like the service does
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
