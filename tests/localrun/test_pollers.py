"""SQS event source: the event Lambda builds and how partial batch responses are read."""

import base64

import pytest

from localrun.pollers import failed_message_ids, sqs_record

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"


def test_record_has_lambdas_sqs_event_shape():
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh",
        "MD5OfBody": "md5",
        "Body": '{"a": 1}',
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "MD5OfMessageAttributes": "md5a",
        "MessageAttributes": {
            "kind": {"StringValue": "x", "DataType": "String"},
            "blob": {"BinaryValue": b"\x01", "DataType": "Binary"},
        },
    }

    record = sqs_record(message, QUEUE_ARN)

    assert record == {
        "messageId": "m-1",
        "receiptHandle": "rh",
        "body": '{"a": 1}',
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "messageAttributes": {
            "kind": {
                "stringValue": "x",
                "binaryValue": None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            },
            "blob": {
                "stringValue": None,
                "binaryValue": base64.b64encode(b"\x01").decode(),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Binary",
            },
        },
        "md5OfBody": "md5",
        "md5OfMessageAttributes": "md5a",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),
        ({"batchItemFailures": [{}]}, {"a", "b"}),
        ({"batchItemFailures": "b"}, {"a", "b"}),
        ("a string", {"a", "b"}),
    ],
)
def test_partial_batch_response_is_read_like_lambda(payload, failed):
    assert failed_message_ids(payload, ["a", "b"]) == failed
