"""Requests to the orders API handler, built from the events/orders sample events."""

import base64
import json

from tests.support.events import load_event

CREATE = "orders/orders-api-create-order.json"
LIST = "orders/orders-api-list-orders.json"


def create_event(body=None, key="key-1", raw_body=None):
    event = load_event(CREATE)
    if body is not None:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if key is None:
        event["headers"].pop("Idempotency-Key")
        event["multiValueHeaders"].pop("Idempotency-Key")
    else:
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
    return event


def signed_in_as(event: dict, sub: str, email: str = "", email_verified: str = "true") -> dict:
    """The event as API Gateway's authorizer passes another customer's ID token (the sample's
    other claims kept; every value a string, as API Gateway sends them)."""
    claims = event["requestContext"]["authorizer"]["claims"]
    claims.update({"sub": sub, "cognito:username": sub, "email_verified": email_verified})
    if email:
        claims["email"] = email
    return event


def binary_create_event(raw: bytes, key="key-1"):
    """A POST whose body API Gateway passes base64-encoded (bytes that are not UTF-8 text)."""
    event = create_event(key=key)
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True
    return event


def list_event(**query: str) -> dict:
    event = load_event(LIST)
    if not query:
        event["queryStringParameters"] = event["multiValueQueryStringParameters"] = None
        return event
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def page_token(key: dict, ensure_ascii: bool = True) -> str:
    """A page token as the API encodes one (base64url JSON of a key), for any key; with
    `ensure_ascii` False, text goes in as UTF-8 rather than as \\u escapes."""
    raw = json.dumps(key, ensure_ascii=ensure_ascii).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def valid_body():
    return json.loads(load_event(CREATE)["body"])


def header(response, name):
    """REST proxy responses may carry a header in either map."""
    multi = (response.get("multiValueHeaders") or {}).get(name)
    return multi[0] if multi else (response.get("headers") or {}).get(name)


def call(orders_api, event, context):
    response = orders_api.handler(event, context)
    return response["statusCode"], json.loads(response["body"]), response
