"""The local Lambda service: environments, cold starts, Lambda's error shapes, the Invoke API."""

import json
import os
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localrun.lambdas import (
    CrashAfterHandlerFault,
    DuplicateDeliveryFault,
    FunctionErrorFault,
    LambdaService,
    LambdaServiceError,
    ServiceErrorFault,
    TimeoutFault,
)

from .conftest import lambda_service, pid_alive, simultaneous_requests


def lambda_client(service: LambdaService):
    return boto3.client(
        "lambda",
        endpoint_url=service.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )


def test_handler_runs_with_the_template_environment_and_nothing_of_the_runner(
    lambdas, fixture_model, monkeypatch
):
    monkeypatch.setenv("LOCALRUN_MUST_NOT_LEAK", "1")
    keys = [
        "TABLE_NAME",
        "STAGE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_LAMBDA",
        "POWERTOOLS_TRACE_DISABLED",
        "POWERTOOLS_DEV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_TIMEOUT",
        "AWS_DEFAULT_REGION",
        "LOCALRUN_MUST_NOT_LEAK",
    ]
    work = fixture_model.function("WorkFunction")

    result = lambdas.invoke("WorkFunction", {"env": keys})

    body = result.json()
    assert result.function_error is None
    assert body["env"] == {
        "TABLE_NAME": "fx-ServiceApp-Table",
        "STAGE": "test",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_LAMBDA": lambdas.endpoint_url,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        "AWS_LAMBDA_FUNCTION_NAME": "fx-ServiceApp-WorkFunction",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LOCALRUN_MUST_NOT_LEAK": None,
    }
    assert body["sysPath0"] == str(work.code_dir)
    assert body["functionName"] == work.name
    assert body["memory"] == "128"
    assert 0 < body["remainingMs"] <= 5000


TRACING = ["POWERTOOLS_TRACE_DISABLED", "AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID"]


def test_each_invocation_gets_its_own_trace_header_unsampled_without_a_daemon(lambdas):
    first, second = (lambdas.invoke("WorkFunction", {"env": TRACING}).json() for _ in range(2))

    assert first["env"]["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert first["env"]["AWS_XRAY_DAEMON_ADDRESS"] is None
    headers = [body["env"]["_X_AMZN_TRACE_ID"] for body in (first, second)]
    assert all(h.startswith("Root=1-") and h.endswith(";Sampled=0") for h in headers)
    assert headers[0] != headers[1]


def test_a_daemon_address_turns_tracing_on_and_samples_every_invocation(fixture_model):
    with lambda_service(fixture_model, xray_daemon_address="127.0.0.1:2999") as service:
        body = service.invoke("WorkFunction", {"env": TRACING}).json()

    assert body["env"]["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert body["env"]["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2999"
    assert body["env"]["_X_AMZN_TRACE_ID"].endswith(";Sampled=1")


def test_cold_start_is_paid_once_per_environment_and_module_state_survives(lambdas):
    first = lambdas.invoke("WorkFunction", {})
    second = lambdas.invoke("WorkFunction", {})

    assert first.init_duration_ms is not None and first.init_duration_ms > 0
    assert second.init_duration_ms is None
    assert first.json()["pid"] == second.json()["pid"]
    assert second.json()["invocations"] == 2
    assert [r.cold_start for r in lambdas.records] == [True, False]


def test_pool_grows_when_every_environment_is_busy(lambdas):
    results = []

    def invoke():
        results.append(lambdas.invoke("WorkFunction", {"action": "sleep", "seconds": 0.5}))

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r.json()["pid"] for r in results}) == 2
    assert all(r.init_duration_ms is not None for r in results)
    assert lambdas.environments("WorkFunction") == 2


def test_unhandled_exception_has_lambdas_error_shape_and_keeps_the_environment(lambdas):
    warm = lambdas.invoke("WorkFunction", {})
    failed = lambdas.invoke(
        "WorkFunction", {"action": "raise", "errorType": "PaymentDeclined", "message": "no"}
    )
    after = lambdas.invoke("WorkFunction", {})

    assert failed.function_error == "Unhandled"
    error = failed.json()
    assert error["errorType"] == "PaymentDeclined"
    assert error["errorMessage"] == "no"
    assert any("handlers.py" in line for line in error["stackTrace"])
    assert after.json()["pid"] == warm.json()["pid"]


def test_timeout_kills_the_environment_and_reports_sandbox_timedout(lambdas):
    warm = lambdas.invoke("SlowFunction", {})
    pid = warm.json()["pid"]

    result = lambdas.invoke("SlowFunction", {"action": "sleep", "seconds": 5})

    assert result.function_error == "Unhandled"
    error = result.json()
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert result.request_id in error["errorMessage"]
    assert not pid_alive(pid)
    assert lambdas.invoke("SlowFunction", {}).init_duration_ms is not None  # a new cold start


def test_import_error_is_reported_like_the_python_runtime(lambdas):
    result = lambdas.invoke("BrokenFunction", {})

    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.ImportModuleError"
    assert "fixture_service.missing_module" in result.json()["errorMessage"]
    assert lambdas.environments("BrokenFunction") == 0


def test_sys_exit_discards_the_environment(lambdas):
    result = lambdas.invoke("WorkFunction", {"action": "exit"})

    assert result.json()["errorType"] == "Runtime.ExitError"
    assert lambdas.environments("WorkFunction") == 0


def test_invalid_json_payload_is_a_service_error(lambdas):
    with pytest.raises(LambdaServiceError) as raised:
        lambdas.invoke("WorkFunction", b"{not json")
    assert raised.value.code == "InvalidRequestContentException"


def test_boto3_invoke_by_name_and_arn(lambdas, fixture_model):
    client = lambda_client(lambdas)
    arn = fixture_model.function("WorkFunction").arn

    ok = client.invoke(FunctionName=arn + ":$LATEST", Payload=json.dumps({"a": 1}))
    failed = client.invoke(
        FunctionName="fx-ServiceApp-WorkFunction",
        Payload=json.dumps({"action": "raise", "errorType": "OutOfStock"}),
    )

    assert ok["StatusCode"] == 200
    assert "FunctionError" not in ok
    assert json.load(ok["Payload"])["echo"] == {"a": 1}
    assert failed["FunctionError"] == "Unhandled"
    assert json.load(failed["Payload"])["errorType"] == "OutOfStock"


def test_boto3_invoke_unknown_function_is_resource_not_found(lambdas):
    with pytest.raises(ClientError) as raised:
        lambda_client(lambdas).invoke(FunctionName="nope", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_boto3_event_and_dry_run_invocations(lambdas):
    client = lambda_client(lambdas)
    assert client.invoke(FunctionName="WorkFunction", InvocationType="DryRun")["StatusCode"] == 204
    assert client.invoke(FunctionName="WorkFunction", InvocationType="Event")["StatusCode"] == 202


def test_a_function_can_invoke_another_through_aws_endpoint_url_lambda(lambdas):
    result = lambdas.invoke(
        "WorkFunction",
        {"action": "invoke", "function": "fx-ServiceApp-SlowFunction", "payload": {"x": 1}},
    )

    assert result.function_error is None, result.payload
    assert result.json()["nested"]["echo"] == {"x": 1}


def test_injected_function_error_is_consumed_once(lambdas):
    lambdas.inject("WorkFunction", FunctionErrorFault("Lambda.Unknown", "boom"))

    first = lambdas.invoke("WorkFunction", {})
    second = lambdas.invoke("WorkFunction", {})

    assert first.function_error == "Unhandled"
    assert first.json()["errorType"] == "Lambda.Unknown"
    assert second.function_error is None


def test_injected_faults_can_wait_for_invocations_to_pass_first(lambdas):
    lambdas.inject("WorkFunction", FunctionErrorFault("First"), after=1)
    lambdas.inject("WorkFunction", FunctionErrorFault("Second"), after=2)

    results = [lambdas.invoke("WorkFunction", {}) for _ in range(6)]

    assert [r.json().get("errorType") for r in results] == [
        None,
        "First",
        None,
        None,
        "Second",
        None,
    ]


def test_injected_service_error_fails_the_invoke_call(lambdas):
    lambdas.inject("WorkFunction", ServiceErrorFault("TooManyRequestsException", 429), times=2)

    with pytest.raises(LambdaServiceError):
        lambdas.invoke("WorkFunction", {})
    with pytest.raises(ClientError) as raised:
        lambda_client(lambdas).invoke(FunctionName="WorkFunction", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_injected_timeout_does_not_wait(lambdas):
    lambdas.inject("SlowFunction", TimeoutFault())
    result = lambdas.invoke("SlowFunction", {})
    assert result.json()["errorType"] == "Sandbox.Timedout"
    assert result.duration_ms == 0.0


def records_in(path) -> list[dict]:
    """What the fixture handler's `record` action wrote, one line per run of the handler."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_crash_after_the_handler_keeps_its_write_loses_its_answer_and_the_environment(
    lambdas, tmp_path
):
    pid = lambdas.invoke("WorkFunction", {}).json()["pid"]
    lambdas.inject("WorkFunction", CrashAfterHandlerFault())

    result = lambdas.invoke("WorkFunction", {"action": "record", "path": str(tmp_path / "w")})

    assert [r["requestId"] for r in records_in(tmp_path / "w")] == [result.request_id]
    assert result.function_error == "Unhandled"
    error = result.json()
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"] == (
        f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 1"
    )
    assert lambdas.records[-1].error_type == "Runtime.ExitError"
    assert not pid_alive(pid)
    assert lambdas.environments("WorkFunction") == 0
    after = lambdas.invoke("WorkFunction", {})
    assert after.function_error is None and after.init_duration_ms is not None  # a cold start


def test_a_duplicate_delivery_runs_the_handler_twice_and_answers_with_the_second(lambdas, tmp_path):
    lambdas.inject("WorkFunction", DuplicateDeliveryFault())
    event = {"action": "record", "path": str(tmp_path / "w")}

    result = lambdas.invoke("WorkFunction", event)

    first, second = records_in(tmp_path / "w")
    assert first["event"] == second["event"] == event
    assert first["requestId"] != second["requestId"] == result.request_id
    assert result.function_error is None
    assert result.json()["invocations"] == 2  # the second run's answer, in the same environment
    assert [r.request_id for r in lambdas.records] == [first["requestId"], second["requestId"]]
    lambdas.invoke("WorkFunction", event)
    assert len(records_in(tmp_path / "w")) == 3  # consumed: the next invocation runs once


def test_stop_ends_every_worker(fixture_model):
    service = LambdaService(fixture_model.functions, aws_endpoint_url="http://127.0.0.1:9")
    service.start()
    pids = [service.invoke(name, {}).json()["pid"] for name in ("WorkFunction", "SlowFunction")]
    assert all(pid_alive(pid) for pid in pids)

    service.stop()

    assert not any(pid_alive(pid) for pid in pids)
    with pytest.raises(LambdaServiceError):
        service.invoke("WorkFunction", {})


def test_workers_exit_when_the_runner_dies(tmp_path):
    """A runner killed with SIGKILL (no cleanup) must not leave its workers behind."""
    import subprocess
    import sys
    import time

    from .conftest import FIXTURE_TEMPLATE, REPO_ROOT

    script = tmp_path / "runner.py"
    script.write_text(
        "import sys, time\n"
        "from localrun.lambdas import LambdaService\n"
        "from localrun.template import load_app\n"
        f"model = load_app(__import__('pathlib').Path({str(FIXTURE_TEMPLATE)!r}))\n"
        "service = LambdaService(model.functions, aws_endpoint_url='http://127.0.0.1:9')\n"
        "service.start()\n"
        "print(service.invoke('WorkFunction', {}).json()['pid'], flush=True)\n"
        "time.sleep(60)\n"
    )
    runner = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": "."},
    )
    worker_pid = int(runner.stdout.readline())
    runner.kill()
    runner.wait()
    runner.stdout.close()

    deadline = time.monotonic() + 5
    while pid_alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    # The worker is not our child: once it exits, init reaps it (or it lingers as a zombie of
    # init for an instant), so check its state rather than only its existence.
    assert not pid_alive(worker_pid) or _is_zombie(worker_pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_prewarm_starts_one_environment_per_function_in_parallel(lambdas, fixture_model):
    init_ms = lambdas.prewarm(["WorkFunction", "BrokenFunction"])

    assert init_ms["fx-ServiceApp-WorkFunction"] > 0
    assert init_ms["fx-ServiceApp-BrokenFunction"] is None  # its import fails
    assert lambdas.environments("WorkFunction") == 1
    assert lambdas.invoke("WorkFunction", {}).init_duration_ms is None  # warm


# -- an init past Lambda's init window (10 s; 0.2 s here) --------------------------------------


@pytest.fixture
def short_init_window(fixture_model):
    """A service whose init window is 0.2 s: SlowInitFunction's 1 s import passes it."""
    logs: list[str] = []
    with lambda_service(
        fixture_model, init_timeout=0.2, log_sink=lambda function, line: logs.append(line)
    ) as service:
        service.logs = logs
        yield service


def test_an_init_past_the_init_window_goes_on_inside_the_first_invocation(short_init_window):
    result = short_init_window.invoke("SlowInitFunction", {"a": 1})

    assert result.function_error is None, result.payload
    assert result.json()["echo"] == {"a": 1}
    assert result.init_duration_ms > 1000
    # The rest of the init (>= 0.8 s) came out of the invocation's 3 s, as on AWS.
    assert result.json()["remainingMs"] < 2300
    assert any(
        line.startswith("INIT_REPORT Init Duration: 200.00 ms") and "Status: timeout" in line
        for line in short_init_window.logs
    )
    warm = short_init_window.invoke("SlowInitFunction", {})
    assert warm.init_duration_ms is None
    assert warm.json()["pid"] == result.json()["pid"]


def test_a_suppressed_init_and_its_handler_share_the_function_timeout(short_init_window):
    """2.5 s of handler fits the 3 s Timeout, but not after the rest of a suppressed init."""
    cold = short_init_window.invoke("SlowInitFunction", {"action": "sleep", "seconds": 2.5})

    assert cold.function_error == "Unhandled"
    assert cold.json()["errorType"] == "Sandbox.Timedout"
    assert cold.json()["errorMessage"].endswith("Task timed out after 3.00 seconds")
    assert short_init_window.environments("SlowInitFunction") == 0

    short_init_window.invoke("SlowInitFunction", {})  # a cold start that ends within the Timeout
    warm = short_init_window.invoke("SlowInitFunction", {"action": "sleep", "seconds": 2.5})
    assert warm.function_error is None, warm.payload


def test_an_init_outlasting_window_and_timeout_fails_as_a_timeout(fixture_model):
    slow = fixture_model.function("SlowInitFunction")
    slower = replace(slow, timeout=1, environment={**slow.environment, "INIT_SECONDS": "3"})
    with LambdaService(
        [slower], aws_endpoint_url="http://127.0.0.1:9", init_timeout=0.2
    ) as service:
        result = service.invoke("SlowInitFunction", {})

        assert result.function_error == "Unhandled"
        assert result.json()["errorType"] == "Sandbox.Timedout"
        assert result.request_id in result.json()["errorMessage"]
        assert service.environments("SlowInitFunction") == 0


def test_concurrent_cold_invocations_during_a_slow_init_each_get_an_environment(
    short_init_window,
):
    results = invoke_concurrently(short_init_window, "SlowInitFunction", 3)

    assert all(r.function_error is None for r in results), [r.payload for r in results]
    assert len({r.json()["pid"] for r in results}) == 3
    assert short_init_window.environments("SlowInitFunction") == 3


def test_concurrent_invocations_wait_for_the_only_environment_during_a_slow_init(fixture_model):
    with lambda_service(fixture_model, init_timeout=0.2, max_environments=1) as service:
        results = invoke_concurrently(service, "SlowInitFunction", 2)

        assert all(r.function_error is None for r in results), [r.payload for r in results]
        assert len({r.json()["pid"] for r in results}) == 1
        assert sorted(r.init_duration_ms is None for r in results) == [False, True]


def test_prewarm_waits_past_the_init_window_like_provisioned_concurrency(short_init_window):
    init_ms = short_init_window.prewarm(["SlowInitFunction"])

    assert init_ms["fx-ServiceApp-SlowInitFunction"] > 1000
    assert short_init_window.invoke("SlowInitFunction", {}).init_duration_ms is None


def invoke_concurrently(service: LambdaService, function: str, count: int) -> list:
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(service.invoke(function, {})))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_invoke_api_queues_a_burst_of_connections(lambdas):
    host, port = urlsplit(lambdas.endpoint_url).netloc.split(":")
    request = (
        b"POST /2015-03-31/functions/WorkFunction/invocations HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )

    outcomes = simultaneous_requests((host, int(port)), request, 200)

    assert Counter(outcomes) == {"HTTP/1.1 200 OK": 200}


# -- Lambda's payload quotas (6 MB synchronous, 1 MB Event; 1,000 and 500 bytes here) ----------


def test_a_synchronous_payload_over_the_quota_is_refused_before_any_cold_start(
    small_payload_quotas,
):
    with pytest.raises(LambdaServiceError) as raised:
        small_payload_quotas.invoke("WorkFunction", {"pad": "x" * 1000})
    assert (raised.value.code, raised.value.status) == ("RequestEntityTooLargeException", 413)
    assert raised.value.message == (
        "Request must be smaller than 1000 bytes for the InvokeFunction operation"
    )
    assert small_payload_quotas.environments("WorkFunction") == 0

    with pytest.raises(ClientError) as refused:
        lambda_client(small_payload_quotas).invoke(
            FunctionName="WorkFunction", Payload=json.dumps({"pad": "x" * 1000})
        )
    assert refused.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    at_the_quota = json.dumps({"action": "raise", "errorType": "Ran", "pad": ""}).ljust(1000)
    assert small_payload_quotas.invoke("WorkFunction", at_the_quota).json()["errorType"] == "Ran"


def test_an_event_payload_over_the_asynchronous_quota_is_refused(small_payload_quotas):
    client = lambda_client(small_payload_quotas)
    payload = json.dumps({"pad": "x" * 600})

    with pytest.raises(ClientError) as refused:
        client.invoke(FunctionName="WorkFunction", InvocationType="Event", Payload=payload)

    assert refused.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert refused.value.response["Error"]["Message"] == (
        f"{len(payload)} byte payload is too large for the Event invocation type (limit 500 bytes)"
    )
    small = json.dumps({"pad": "x" * 400})
    assert (
        client.invoke(FunctionName="WorkFunction", InvocationType="Event", Payload=small)[
            "StatusCode"
        ]
        == 202
    )


def test_a_response_over_the_quota_is_a_function_error(small_payload_quotas):
    result = small_payload_quotas.invoke("WorkFunction", {"pad": "x" * 900})  # echoed back

    assert result.function_error == "Unhandled"
    error = result.json()
    assert error["errorType"] == "Function.ResponseSizeTooLarge"
    assert error["errorMessage"].startswith("Response payload size (")
    assert error["errorMessage"].endswith(
        "bytes) exceeded maximum allowed payload size (1000 bytes)."
    )


def test_a_caller_that_leaves_before_its_answer_prints_no_traceback(lambdas, capfd):
    """As a function killed at its Timeout while it waited on another one does."""
    host, port = urlsplit(lambdas.endpoint_url).netloc.split(":")
    body = json.dumps({"action": "sleep", "seconds": 0.5}).encode()
    with socket.create_connection((host, int(port))) as caller:
        caller.sendall(
            b"POST /2015-03-31/functions/WorkFunction/invocations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        caller.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # closed with a reset: the answer, once the sleep ends, has nowhere to go
    deadline = time.monotonic() + 10
    while not lambdas.records and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the answer's write

    assert lambdas.records and "Traceback" not in capfd.readouterr().err
