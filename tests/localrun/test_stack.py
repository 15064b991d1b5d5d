"""The fixture application end to end on LocalApp: state machine, events, queues, shutdown."""

import json
import threading
import time
import uuid

import pytest

from localrun.lambdas import ServiceErrorFault
from localrun.seams import VirtualSleep
from localrun.stack import LocalApp

from .conftest import FIXTURE_TEMPLATE


class LogCollector:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, function, line):
        with self._lock:
            self.lines.append((function.logical_id, line))

    def of(self, logical_id):
        with self._lock:
            return [line for fn, line in self.lines if fn == logical_id]


@pytest.fixture(scope="module")
def logs():
    return LogCollector()


@pytest.fixture(scope="module")
def app(logs):
    with LocalApp(FIXTURE_TEMPLATE, stack_name="fx", log_sink=logs).start(virtual_time=True) as app:
        yield app


@pytest.fixture(autouse=True)
def no_leftover_faults(request):
    yield
    if "app" in request.fixturenames:
        request.getfixturevalue("app").lambdas.clear_faults()


def run(app, payload):
    name = f"t-{uuid.uuid4()}"
    before = len(app.sleeps)
    app.client("stepfunctions").start_execution(
        stateMachineArn=app.state_machine_arn, name=name, input=json.dumps(payload)
    )
    execution = app.wait_for_execution(name)
    return name, execution, app.sleeps[before:]


def wait_until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_execution_runs_the_real_handler_and_skips_the_wait(app):
    _, execution, sleeps = run(app, {"hello": "world"})

    assert execution["status"] == "SUCCEEDED"
    assert execution["output"]["work"]["result"]["echo"] == {"hello": "world"}
    assert sleeps == [VirtualSleep("wait", 30.0)]


def test_retry_backoff_is_recorded_then_catch_alerts(app):
    name, execution, sleeps = run(app, {"action": "raise", "errorType": "Transient"})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "WorkFailed"
    assert sleeps == [VirtualSleep("retry", 2.0), VirtualSleep("retry", 6.0)]
    failures = [e for e in app.history(name) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failures] == ["Transient"] * 3
    alerts = (
        app.client("sqs")
        .receive_message(QueueUrl=app.model.outputs["AlertsQueueUrl"], MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    assert any(json.loads(m["Body"])["error"]["Error"] == "Transient" for m in alerts)


def test_injected_lambda_service_error_is_retried_by_the_state_machine(app):
    app.lambdas.inject("WorkFunction", ServiceErrorFault("ServiceException", 500))

    name, execution, sleeps = run(app, {"n": 1})

    assert execution["status"] == "SUCCEEDED"
    failures = [
        e["taskFailedEventDetails"]["error"] for e in app.history(name) if e["type"] == "TaskFailed"
    ]
    assert failures == ["Lambda.ServiceException"]
    assert sleeps[0] == VirtualSleep("retry", 2.0)


def test_uncaught_error_type_goes_to_the_catch_without_retry(app):
    _, execution, sleeps = run(app, {"action": "raise", "errorType": "OutOfStock"})

    assert execution["status"] == "FAILED"
    assert [s for s in sleeps if s.kind == "retry"] == []


def test_published_event_reaches_the_sqs_consumer_through_the_rule(app, logs):
    marker = str(uuid.uuid4())
    _, execution, _ = run(app, {"marker": marker})
    assert execution["status"] == "SUCCEEDED"

    consumed = wait_until(lambda: [line for line in logs.of("ConsumerFunction") if marker in line])
    event = json.loads(consumed[0])["consumed"]
    assert event["marker"] == marker  # the rule's target got EventBridge's envelope detail


def test_eventbridge_envelope_carries_account(app):
    """EventBridge always sends `account`; moto's SQS target omits it unless patched."""
    sqs, events = app.client("sqs"), app.client("events")
    dlq_url = app.model.outputs["AlertsQueueUrl"]  # any queue of the app will do
    events.put_rule(
        Name="probe", EventBusName="fixture-test", EventPattern=json.dumps({"source": ["probe"]})
    )
    events.put_targets(
        Rule="probe",
        EventBusName="fixture-test",
        Targets=[{"Id": "q", "Arn": app.model.queues[0].arn}],
    )
    try:
        events.put_events(
            Entries=[
                {
                    "EventBusName": "fixture-test",
                    "Source": "probe",
                    "DetailType": "Probe",
                    "Detail": "{}",
                }
            ]
        )
        bodies = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
        ]
    finally:
        events.remove_targets(Rule="probe", EventBusName="fixture-test", Ids=["q"])
        events.delete_rule(Name="probe", EventBusName="fixture-test")
    probe = next(b for b in bodies if b.get("source") == "probe")
    assert probe["account"] == "123456789012"
    assert set(probe) >= {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }


def test_batch_item_failures_return_to_the_queue_and_end_in_the_dlq(app, logs):
    sqs = app.client("sqs")
    queue_url = app.emulator.queue_url("fx-ServiceApp-Queue")
    dlq_url = app.emulator.queue_url("fx-ServiceApp-DeadLetterQueue")
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": good}))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": bad, "fail": True}))

    dead = wait_until(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"), timeout=20)

    assert json.loads(dead[0]["Body"])["id"] == bad
    consumed = [
        json.loads(line)["consumed"]["id"]
        for line in logs.of("ConsumerFunction")
        if good in line or bad in line
    ]
    assert consumed.count(good) == 1  # deleted after its first, successful delivery
    assert consumed.count(bad) == 2  # maxReceiveCount 2, then SQS moved it to the DLQ


def test_concurrent_executions_share_one_parsed_program_but_not_their_state(app):
    payloads = [{"action": "raise", "errorType": "Transient"}, {"ok": 1}] * 3
    results = [None] * len(payloads)

    def execute(index):
        results[index] = run(app, payloads[index])[1]["status"]

    threads = [threading.Thread(target=execute, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["FAILED", "SUCCEEDED"] * 3
    assert len(app.seams.program_cache.programs) == 1


def test_functions_can_be_invoked_with_the_apps_lambda_client(app):
    response = app.client("lambda").invoke(
        FunctionName="fx-ServiceApp-WorkFunction", Payload=b'{"action": "put", "pk": "p-1"}'
    )
    assert "FunctionError" not in response, response["Payload"].read()
    item = app.client("dynamodb").get_item(
        TableName="fx-ServiceApp-Table", Key={"pk": {"S": "p-1"}}
    )["Item"]
    assert item["kind"] == {"S": "thing"}
