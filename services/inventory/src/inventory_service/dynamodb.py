"""DynamoDB as every service here speaks it: copied on purpose, since services share no code.

tests/services/test_service_shape.py keeps the copies identical. The repository (and any adapter
that keeps records in the table) uses these and nothing else of boto3's DynamoDB helpers:
- the low-level client: the Powertools idempotency layer needs one, and one client per function
  keeps the cold start low (no `boto3.resource` beside it);
- items cross this module as plain Python: `to_item` in, `from_item` out (numbers come back as
  int, since every number stored here is a count: cents, quantities, attempts, epoch seconds);
- a failed condition is told by `is_condition_failure`, the item that failed it (asked with
  `ReturnValuesOnConditionCheckFailure`) by `item_on_failure`, and why each part of a cancelled
  transaction failed by `cancellation_reasons`;
- a page token is the key of the last item served, opaque to clients; a token this API did not
  issue raises `InvalidPageToken`, which the API answers with 400.
"""

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

# Key attributes in this project are short strings (prefixes, ids, ISO timestamps). DynamoDB
# takes a sort key of up to 1024 bytes of UTF-8 (a partition key 2048): a page token's values
# are held to the smaller.
_MAX_KEY_VALUE_BYTES = 1024

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python -> DynamoDB JSON (the low-level client's item shape)."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON -> plain Python, integral numbers as int."""
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def is_condition_failure(error: ClientError) -> bool:
    """A conditional write found the item otherwise than its condition wants."""
    return error_code(error) == "ConditionalCheckFailedException"


def item_on_failure(error: ClientError) -> dict[str, Any] | None:
    """The item as it was when its condition failed (None when there was no item)."""
    response: Mapping[str, Any] = error.response  # "Item" is not in botocore's error stubs
    item = response.get("Item")
    return from_item(item) if item else None


@dataclass(frozen=True)
class CancellationReason:
    """Why one part of a cancelled transaction failed: `code` is DynamoDB's ("None" when that
    part was fine), `item` the item as it was, when the request asked for it."""

    code: str
    item: dict[str, Any] | None


def cancellation_reasons(error: ClientError) -> list[CancellationReason]:
    """One reason per TransactItems entry, in request order; [] when the error is not a
    cancelled transaction."""
    if error_code(error) != "TransactionCanceledException":
        return []
    reasons: Iterable[Mapping[str, Any]] = error.response.get("CancellationReasons", [])
    return [
        CancellationReason(
            code=reason.get("Code", "None"),
            item=from_item(reason["Item"]) if reason.get("Item") else None,
        )
        for reason in reasons
    ]


class InvalidPageToken(ValueError):
    """A page token this API did not issue (or issued for another listing)."""


def encode_page_token(key: Mapping[str, str]) -> str:
    """The key of the last item served (table and index key attributes), opaque to clients."""
    raw = json.dumps(dict(key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, key_names: Iterable[str]) -> dict[str, str]:
    """The key a token carries, checked to be exactly `key_names`, each a key value DynamoDB takes.

    Whatever a client sends, the result is a well-formed key or `InvalidPageToken`: nothing
    malformed reaches DynamoDB as an ExclusiveStartKey.
    """
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError) as error:  # nested arrays recurse
        raise InvalidPageToken("nextToken is not a token this API issued") from error
    if (
        not isinstance(key, dict)
        or set(key) != set(key_names)
        or not all(_is_key_value(value) for value in key.values())
    ):
        raise InvalidPageToken("nextToken is not a token this API issued")
    return key


def _is_key_value(value: Any) -> bool:
    """A non-empty string DynamoDB takes as a key value: UTF-8 (JSON escapes can carry a lone
    surrogate, which is not) within the key size limit."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return len(value.encode()) <= _MAX_KEY_VALUE_BYTES
    except UnicodeEncodeError:
        return False
