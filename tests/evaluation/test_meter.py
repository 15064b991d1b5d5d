"""How the meter counts requests and reads function logs, on requests and lines built here."""

import json

import pytest

from evaluation.meter import AwsMeter, FunctionLogs, attribute_value_size, item_size
from localrun.bench import BASELINE as SOME_FUNCTION


def test_item_sizes_follow_dynamodbs_rules():
    assert attribute_value_size({"S": "héllo"}) == 6  # UTF-8 bytes
    assert attribute_value_size({"N": "12345"}) == 4  # 5 significant digits: 3 + 1
    assert attribute_value_size({"N": "100"}) == 2  # one significant digit
    assert attribute_value_size({"BOOL": True}) == 1
    assert attribute_value_size({"L": [{"S": "ab"}, {"NULL": True}]}) == 3 + (2 + 1) + (1 + 1)
    assert item_size({"pk": {"S": "ORDER#1"}, "m": {"M": {"k": {"S": "v"}}}}) == 2 + 7 + 1 + (
        3 + 1 + 1 + 1
    )


def test_request_units_by_operation_and_item_size():
    meter = AwsMeter()
    meter.count("DynamoDB_20120810.PutItem", {"TableName": "a"}, {})
    meter.count("DynamoDB_20120810.GetItem", {"TableName": "a", "ConsistentRead": True}, {})
    meter.count("DynamoDB_20120810.GetItem", {"TableName": "a"}, {})
    transaction = {"TransactItems": [{"Update": {"TableName": "b"}}, {"Put": {"TableName": "b"}}]}
    meter.count("DynamoDB_20120810.TransactWriteItems", transaction, {})
    items = [{"pk": {"S": "x" * 3000}}] * 3  # 9 KB returned: 3 units of 4 KB, halved
    meter.count("DynamoDB_20120810.Query", {"TableName": "a"}, {"Items": items})
    usage = meter.usage
    # two transactional writes to b, 2 units each, x 2 KB items
    assert usage.write_units({"a": 100, "b": 1500}) == 1 + 2 * 2 * 2
    assert usage.read_units({"a": 100}) == 1 + 0.5 + 1.5


def test_events_and_sqs_requests():
    meter = AwsMeter()
    meter.count("AWSEvents.PutEvents", {"Entries": [{"Detail": "{}"}, {"Detail": "x" * 70000}]}, {})
    meter.count("AmazonSQS.SendMessage", {"QueueUrl": "http://h/1/alerts", "MessageBody": "m"}, {})
    meter.count("AmazonSQS.ReceiveMessage", {"QueueUrl": "http://h/1/notify"}, {})  # empty poll
    received = {"Messages": [{"MessageId": "1"}, {"MessageId": "2"}]}
    meter.count("AmazonSQS.ReceiveMessage", {"QueueUrl": "http://h/1/notify"}, received)
    meter.count("AmazonSQS.DeleteMessageBatch", {"QueueUrl": "http://h/1/notify"}, {})
    assert meter.usage.events == 1 + 2  # the second entry is two 64 KB chunks
    # 1 send + 1 non-empty receive + 1 delete + 2 messages a rule delivered to "notify"
    assert meter.usage.sqs_billed_requests == 5


def test_function_logs_read_report_lines_emf_and_errors():
    logs = FunctionLogs()
    logs(SOME_FUNCTION, "START RequestId: r1 Version: $LATEST")  # not capturing yet
    assert logs.log_bytes == {}
    logs.capturing = True
    logs(
        SOME_FUNCTION,
        "REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 60 MB\tInit Duration: 700.20 ms",
    )
    logs(
        SOME_FUNCTION,
        "REPORT RequestId: r2\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 61 MB",
    )
    emf = {
        "_aws": {"CloudWatchMetrics": [{"Metrics": [{"Name": "OrdersPlaced"}, {"Name": "X"}]}]},
        "OrdersPlaced": [1.0, 1.0],
        "X": 3,
    }
    logs(SOME_FUNCTION, json.dumps(emf))
    logs(SOME_FUNCTION, "[ERROR] RuntimeError: boom")
    logs(SOME_FUNCTION, "localrun: injected TimeoutFault() for RequestId: r3")
    first, second = logs.invocations
    assert (first.billed_with_init_ms, second.billed_with_init_ms) == (13 + 701, 2)
    assert second.init_ms is None
    assert logs.emf_totals() == {"OrdersPlaced": 2.0, "X": 3}
    assert logs.errors[SOME_FUNCTION.logical_id] == 1
    assert logs.log_bytes[SOME_FUNCTION.logical_id] == pytest.approx(
        sum(len(line) + 1 for line in logs_lines(emf)), abs=4
    )


def logs_lines(emf: dict) -> list[str]:
    return [
        "REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 60 MB\tInit Duration: 700.20 ms",
        "REPORT RequestId: r2\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 61 MB",
        json.dumps(emf),
        "[ERROR] RuntimeError: boom",
    ]
