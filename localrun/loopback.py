"""The runner's own HTTP endpoints (API Gateway, the Lambda Invoke API): threaded, on loopback."""

from __future__ import annotations

import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

LOG = logging.getLogger("localrun.loopback")
# Connections the kernel holds for the accept loop (socketserver's default is 5). A burst of
# clients overflows a short queue: Linux then drops their handshakes, and a client whose
# handshake it dropped hangs or is reset instead of waiting its turn. The kernel caps this at
# net.core.somaxconn (4096 on current Linux).
LISTEN_BACKLOG = 1024


class _OwnedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self, address: tuple[str, int], handler: type[LoopbackHandler], owner: Any
    ) -> None:
        super().__init__(address, handler)
        self.owner = owner  # what the handler serves: an ApiGateway, a LambdaService

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that left before its answer (a function killed at its Timeout while it
        # waited on another) is not the server's error: no traceback on the console.
        if isinstance(sys.exception(), ConnectionError):
            LOG.debug("client %s left before its answer", client_address)
            return
        super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """A request handler on kept-alive HTTP/1.1 connections; `self.server.owner` serves it."""

    server: _OwnedServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms on loopback) on every response of a kept-alive connection.
    disable_nagle_algorithm = True
    log: ClassVar[logging.Logger]  # the request log goes there, at DEBUG, after `log_label: `
    log_label: ClassVar[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.log.debug(f"{self.log_label}: " + format, *args)

    def content_length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    def read_body(self) -> bytes:
        return self.rfile.read(self.content_length())

    def discard_body(self) -> None:
        """Read the body without keeping it, so the connection can carry the next request."""
        left = self.content_length()
        while left > 0 and (chunk := self.rfile.read(min(left, 1 << 20))):
            left -= len(chunk)


class LoopbackServer:
    """`handler` serving `owner` in a thread named `name`, until `stop()`."""

    def __init__(self, handler: type[LoopbackHandler], owner: Any, name: str) -> None:
        self._handler, self._owner, self._name = handler, owner, name
        self._server: _OwnedServer | None = None

    def start(self, host: str, port: int) -> None:
        self._server = _OwnedServer((host, port), self._handler, self._owner)
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll interval
            daemon=True,
            name=self._name,
        ).start()

    @property
    def base_url(self) -> str | None:
        """http://HOST:PORT once started, else None."""
        if self._server is None:
            return None
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
