"""A fake Stripe on loopback: localstripe (a stateful fake of Stripe's API, on aiohttp) in a
thread of its own, for the payments functions' real Stripe SDK (they reach it through
STRIPE_API_BASE, which only the local run sets).

What it does not do as Stripe does (docs/local-run.md): it ignores `Idempotency-Key` (a repeated
request acts again; tests/services/payments checks the keys the adapter sends), and it keeps
its objects for the life of the process only. It predates PaymentIntents'
`allowed_payment_method_types` (Stripe's API since 2026-07-29, and the SDK's only way to name
the types): the fake takes `["card"]` there, the one type localstripe has, and refuses others.

Faults: `fail(times, status, after=, path=)` lets `after` API requests (whose path matches `path`,
a regular expression) through, then answers the next `times` of them with Stripe's error shape
and `status` (503: Stripe's outage; 429: rate limiting) before localstripe sees them, so the
adapter's own mapping of Stripe's errors is what the checkout meets.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from typing import Any

from aiohttp import web

LOCAL_SECRET_KEY = "sk_test_localrun"  # what the local run's Secrets Manager holds for Stripe


def _event_loop() -> asyncio.AbstractEventLoop:
    """The one loop localstripe's application runs on in this process (aiohttp binds an
    application to the first loop that serves it), in a daemon thread started on first use."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="fake-stripe", daemon=True).start()
        return _LOOP


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


class FakeStripe:
    _running: FakeStripe | None = None  # localstripe's store is per process: one at a time

    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._fault: _Fault | None = None
        self._faults_lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API request served

    def start(self, port: int = 0) -> str:
        if FakeStripe._running is not None:
            raise RuntimeError("a FakeStripe is already running in this process")
        from localstripe import resources, server

        # localstripe pickles its whole store to /tmp/localstripe.pickle on every write (a
        # cost that grows with the run, and a file other runs on the machine share): keep it in
        # memory, and start from an empty store.
        resources.store.dump_to_disk = lambda: None
        resources.store.clear()
        _accept_allowed_payment_method_types(resources)
        app = server.app  # localstripe's one application: the middleware goes in only once
        if _answer_injected_faults not in app.middlewares:
            app.middlewares.insert(0, _answer_injected_faults)

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        host, bound = sock.getsockname()
        runner = self._runner = web.AppRunner(app, access_log=None)

        async def serve() -> None:
            await runner.setup()
            await web.SockSite(runner, sock).start()

        asyncio.run_coroutine_threadsafe(serve(), _event_loop()).result(timeout=10)
        FakeStripe._running = self
        self.url = f"http://{host}:{bound}"
        return self.url

    def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        asyncio.run_coroutine_threadsafe(runner.cleanup(), _event_loop()).result(timeout=10)
        if FakeStripe._running is self:
            FakeStripe._running = None

    def fail(self, times: int, status: int = 503, *, after: int = 0, path: str = "") -> None:
        """After `after` API requests whose path matches `path` went through, the next `times`
        of them get `status` with Stripe's error body (replacing any fault set before)."""
        with self._faults_lock:
            self._fault = _Fault(re.compile(path), after, times, status)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._fault = None

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as localstripe holds it: status, amounts, its latest charge."""
        from localstripe.resources import PaymentIntent

        intent = PaymentIntent._api_retrieve(payment_intent_id)
        charge = intent.latest_charge
        return {
            "id": intent.id,
            "status": intent.status,
            "amount": intent.amount,
            "currency": intent.currency,
            "captured": bool(charge and charge.captured),
            "refunded": bool(charge and charge.amount_refunded),
        }

    def _next_fault(self, method: str, path: str) -> int | None:
        with self._faults_lock:
            self.requests.append((method, path))
            fault = self._fault
            if fault is None or not fault.path.search(path):
                return None
            if fault.after:
                fault.after -= 1
                return None
            fault.times -= 1
            if fault.times == 0:
                self._fault = None
            return fault.status


class _Fault:
    def __init__(self, path: re.Pattern[str], after: int, times: int, status: int) -> None:
        self.path, self.after, self.times, self.status = path, after, times, status


def _accept_allowed_payment_method_types(resources: Any) -> None:
    """PaymentIntent creation takes `allowed_payment_method_types=["card"]` (localstripe refuses
    any parameter it does not know, and this one is newer than it)."""
    intents = resources.PaymentIntent
    if getattr(intents, "_localrun_accepts_allowed_types", False):
        return
    create = intents._api_create.__func__

    def _api_create(cls: Any, allowed_payment_method_types: Any = None, **data: Any) -> Any:
        if allowed_payment_method_types not in (None, ["card"]):
            raise resources.UserError(400, "Bad request: only card payments here")
        return create(cls, **data)

    intents._api_create = classmethod(_api_create)
    intents._localrun_accepts_allowed_types = True


@web.middleware
async def _answer_injected_faults(request: web.Request, handler: Any) -> web.StreamResponse:
    fake = FakeStripe._running
    if fake is not None and request.path.startswith("/v1/"):
        status = fake._next_fault(request.method, request.path)
        if status is not None:
            kind = "rate_limit_error" if status == 429 else "api_error"
            return web.json_response(
                {"error": {"type": kind, "message": "injected by the local run"}}, status=status
            )
    return await handler(request)
