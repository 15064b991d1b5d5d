"""The REST API (API Gateway v1, Lambda proxy integration) served on loopback.

Routes come from the template's OpenAPI `DefinitionBody`; each request becomes the proxy event
API Gateway sends and the function's proxy response becomes the HTTP response. The URL has the
deployed shape with the stage as first segment: http://127.0.0.1:PORT/{stage}/orders/{orderId}.
Routes whose operation requires a user pool authorizer get API Gateway's check of the ID token
first (`localrun.authorizer`): refused -> 401, accepted -> the claims in the event.
Errors mirror API Gateway: unknown resource or method -> 403 "Missing Authentication Token",
function error or malformed response -> 502 "Internal server error", a body over the payload
quota (or an event over Lambda's) -> 413 "Request Too Long", no answer from the function within
the integration timeout -> 504 "Endpoint request timed out" while the function goes on.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localrun.authorizer import Refusal, UserPoolAuthorizer
from localrun.lambdas import InvocationResult, LambdaService, LambdaServiceError
from localrun.loopback import LoopbackHandler, LoopbackServer
from localrun.template import ACCOUNT_ID, Api, ApiRoute

LOG = logging.getLogger("localrun.api")
_PARAMETER = re.compile(r"\{([^}]+)\}")
# API Gateway's REST API quotas: the default maximum integration timeout, and the payload size.
INTEGRATION_TIMEOUT_SECONDS = 29.0
MAX_REQUEST_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class _CompiledRoute:
    route: ApiRoute
    pattern: re.Pattern[str]
    specificity: tuple[int, int]  # literal segments first, greedy {proxy+} last


def _compile(route: ApiRoute) -> _CompiledRoute:
    regex, position, greedy = "", 0, 0
    for match in _PARAMETER.finditer(route.resource):
        regex += re.escape(route.resource[position : match.start()])
        name = match.group(1)
        if name.endswith("+"):
            regex += f"(?P<{name[:-1]}>.+)"
            greedy += 1
        else:
            regex += f"(?P<{name}>[^/]+)"
        position = match.end()
    regex += re.escape(route.resource[position:])
    literals = sum(1 for s in route.resource.split("/") if s and "{" not in s)
    return _CompiledRoute(route, re.compile(f"^{regex}$"), (-greedy, literals))


class RouteTable:
    def __init__(self, routes: list[ApiRoute]):
        self._routes = sorted(
            (_compile(r) for r in routes), key=lambda c: c.specificity, reverse=True
        )

    def has_path(self, path: str) -> bool:
        """Whether any method is served at `path` (a resource of the API)."""
        return any(compiled.pattern.match(path) for compiled in self._routes)

    def match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found and compiled.route.method in (method, "ANY"):
                # A greedy {proxy+} is named without its "+", as API Gateway does.
                parameters = {k: unquote(v) for k, v in found.groupdict().items()}
                return compiled.route, parameters
        return None


def proxy_event(
    *,
    api: Api,
    route: ApiRoute,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
    claims: dict[str, str] | None = None,
) -> dict:
    """The REST API (v1) Lambda proxy event for one request; `claims` from a user pool
    authorizer go to `requestContext.authorizer.claims`."""
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    try:
        text_body, is_base64 = (body.decode("utf-8"), False) if body else (None, False)
    except UnicodeDecodeError:
        text_body, is_base64 = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    host = single_headers.get("Host") or single_headers.get("host") or "localhost"
    event: dict[str, Any] = {
        "resource": route.resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api.rest_api_id,
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": source_ip,
                "user": None,
                "userAgent": single_headers.get("User-Agent"),
                "userArn": None,
            },
            "path": f"/{api.stage_name}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.resource).hex[:6],
            "resourcePath": route.resource,
            "stage": api.stage_name,
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    from_gateway: bool = False  # API Gateway's own answer, not the function's


def _message(status: int, message: str, error_type: str | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps({"message": message}).encode(), True)


def request_too_long() -> HttpResponse:
    """A body over the payload quota, or an event over Lambda's (API Gateway answers both so)."""
    return _message(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long", "BadRequestException")


def proxy_response(payload: bytes) -> HttpResponse:
    """Map a proxy integration response; anything malformed is API Gateway's 502."""
    try:
        response = json.loads(payload)
        status = int(response["statusCode"])
        headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers.extend((name, str(v)) for v in values)
        body = response.get("body") or ""
        if not isinstance(body, str):
            raise TypeError("body must be a string")
        data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    except (ValueError, KeyError, TypeError, AttributeError):
        LOG.warning("malformed Lambda proxy response: %.500s", payload)
        return _message(HTTPStatus.BAD_GATEWAY, "Internal server error")
    return HttpResponse(status, headers, data)


class ApiGateway:
    """Serve one `AWS::Serverless::Api` through the local Lambda service."""

    def __init__(
        self,
        api: Api,
        lambdas: LambdaService,
        *,
        integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        authorizers: dict[str, UserPoolAuthorizer] | None = None,
    ):
        """The limits default to API Gateway's; tests pass small ones to reach them quickly.
        `authorizers`: by name, one for each of the API's user pool authorizers."""
        missing = set(api.authorizers) - set(authorizers or {})
        if missing:
            raise ValueError(f"{api.logical_id}: no verifier for authorizers {sorted(missing)}")
        self.authorizers = authorizers or {}
        self.api = api
        self.lambdas = lambdas
        self.integration_timeout = integration_timeout
        self.max_request_bytes = max_request_bytes
        self.routes = RouteTable(api.routes)
        self._server: LoopbackServer | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = LoopbackServer(_ApiHandler, self, f"api-{self.api.logical_id}")
        self._server.start(host, port)
        return self.url

    @property
    def url(self) -> str:
        base_url = self._server.base_url if self._server is not None else None
        if base_url is None:
            raise RuntimeError("ApiGateway.start() first")
        return f"{base_url}/{self.api.stage_name}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        return self.with_gateway_headers(self._route(method, target, headers, body, source_ip))

    def with_gateway_headers(self, response: HttpResponse) -> HttpResponse:
        """An error API Gateway answers itself gets its `GatewayResponses` headers (the CORS
        origin, so that a browser can read a 401); the function's responses are its own."""
        if not response.from_gateway or response.status < 400:
            return response
        kind = "DEFAULT_4XX" if response.status < 500 else "DEFAULT_5XX"
        extra = self.api.gateway_response_headers.get(kind, {})
        return HttpResponse(
            response.status, response.headers + list(extra.items()), response.body, True
        )

    def _preflight(self) -> HttpResponse:
        """SAM's `Cors`: an OPTIONS method on every path, a mock integration answering 200 with
        the configured headers, whoever asks (no authorizer: a preflight carries no token)."""
        cors = self.api.cors
        assert cors is not None
        headers = [("Access-Control-Allow-Origin", cors.allow_origin)]
        for name, value in (
            ("Access-Control-Allow-Headers", cors.allow_headers),
            ("Access-Control-Allow-Methods", cors.allow_methods),
            ("Access-Control-Max-Age", cors.max_age),
        ):
            if value is not None:
                headers.append((name, value))
        return HttpResponse(HTTPStatus.OK, [("Content-Type", "application/json"), *headers], b"")

    def _route(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        parts = urlsplit(target)
        prefix = f"/{self.api.stage_name}"
        if not (parts.path == prefix or parts.path.startswith(prefix + "/")):
            return _message(HTTPStatus.FORBIDDEN, "Forbidden", "ForbiddenException")
        path = parts.path[len(prefix) :] or "/"
        matched = self.routes.match(method, path)
        preflight = method == "OPTIONS" and self.api.cors is not None
        if matched is None and preflight and self.routes.has_path(path):
            return self._preflight()
        if matched is None:
            return _message(
                HTTPStatus.FORBIDDEN,
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
            )
        route, parameters = matched
        claims = None
        if route.authorizer is not None:
            authorized = self.authorizers[route.authorizer].authorize(headers)
            if isinstance(authorized, Refusal):
                return _message(authorized.status, authorized.message, authorized.error_type)
            claims = authorized
        event = proxy_event(
            api=self.api,
            route=route,
            method=method,
            path=path,
            query=parts.query,
            headers=headers,
            body=body,
            path_parameters=parameters,
            source_ip=source_ip,
            claims=claims,
        )
        started = time.perf_counter()
        try:
            result = self._integrate(route.function_arn, event)
        except LambdaServiceError as error:
            LOG.warning("%s %s: Lambda service error %s", method, path, error)
            if error.code == "RequestEntityTooLargeException":
                return request_too_long()
            return _message(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
        except TimeoutError:
            LOG.warning(
                "%s %s: no answer within the %.0f s integration timeout; the function goes on",
                method,
                path,
                self.integration_timeout,
            )
            return _message(HTTPStatus.GATEWAY_TIMEOUT, "Endpoint request timed out")
        LOG.debug(
            "%s %s -> %s in %.1f ms",
            method,
            path,
            route.function_arn,
            (time.perf_counter() - started) * 1000,
        )
        if result.function_error:
            LOG.warning("%s %s: function error %s", method, path, result.payload[:500])
            return _message(HTTPStatus.BAD_GATEWAY, "Internal server error")
        return proxy_response(result.payload)

    def _integrate(self, function_arn: str, event: dict) -> InvocationResult:
        """Invoke the function; TimeoutError past the integration timeout, when API Gateway
        stops waiting but the invocation runs to its end (in its own thread here).

        The timeout counts from when the invocation has an execution environment (a cold
        start included): a wait for a free one is the local service's limit, where Lambda
        would have scaled out, so it must not turn into a 504 that AWS would not give.
        """
        outcome: Future[InvocationResult] = Future()
        running = threading.Event()

        def invoke() -> None:
            try:
                outcome.set_result(self.lambdas.invoke(function_arn, event, on_start=running.set))
            except Exception as error:
                outcome.set_exception(error)
            finally:
                running.set()

        threading.Thread(target=invoke, daemon=True, name=f"integration-{function_arn}").start()
        running.wait()
        return outcome.result(timeout=self.integration_timeout)


class _ApiHandler(LoopbackHandler):
    server_version = "localrun-apigateway"
    log, log_label = LOG, "api"

    def _handle(self) -> None:
        gateway: ApiGateway = self.server.owner
        if self.content_length() > gateway.max_request_bytes:
            self.discard_body()  # read, not left unread: closing on unread data resets the client
            response = gateway.with_gateway_headers(request_too_long())
        else:
            body = self.read_body()
            headers = list(self.headers.items())
            headers += [
                ("X-Forwarded-For", self.client_address[0]),
                ("X-Forwarded-Proto", "http"),
                ("X-Forwarded-Port", str(self.server.server_port)),
            ]
            response = gateway.handle(
                self.command, self.path, headers, body, self.client_address[0]
            )
        self.send_response(response.status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) reaches the emulated API Gateway too, which
        # refuses it as it refuses an unknown route, instead of http.server's own 501 page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)
