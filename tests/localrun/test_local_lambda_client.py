"""The Lambda client moto's Lambda tasks get: in-process Invoke with botocore's response shape."""

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from localrun.lambdas import InvocationResult, LambdaServiceError
from localrun.seams import LocalLambdaClient


class FakeHttpClient:
    meta = SimpleNamespace(service_model=SimpleNamespace(service_name="lambda"))

    def __init__(self):
        self.calls = []

    def invoke(self, **parameters):
        self.calls.append(parameters)
        return {"StatusCode": 202}


def result(payload: dict, function_error: str | None = None) -> InvocationResult:
    return InvocationResult("fn", "req-1", json.dumps(payload).encode(), function_error, None, 1.0)


def test_a_synchronous_invoke_runs_in_process_and_reads_like_botocores_response():
    seen = []

    def invoke(function, payload):
        seen.append((function, payload))
        return result({"ok": True})

    http = FakeHttpClient()
    response = LocalLambdaClient(invoke, http).invoke(FunctionName="arn:fn", Payload=b'{"a": 1}')

    assert seen == [("arn:fn", b'{"a": 1}')] and http.calls == []
    assert (response["StatusCode"], response["ExecutedVersion"]) == (200, "$LATEST")
    assert "FunctionError" not in response
    assert json.load(response["Payload"]) == {"ok": True}


def test_a_handler_error_comes_back_as_function_error_with_its_payload():
    error = {"errorType": "PaymentDeclined", "errorMessage": "declined"}
    client = LocalLambdaClient(lambda f, p: result(error, "Unhandled"), FakeHttpClient())

    response = client.invoke(FunctionName="fn", Payload=b"{}")

    assert response["FunctionError"] == "Unhandled"
    assert json.load(response["Payload"]) == error


def test_a_service_error_raises_client_error_as_botocore_would():
    def throttled(function, payload):
        raise LambdaServiceError("TooManyRequestsException", "Rate exceeded", 429)

    with pytest.raises(ClientError) as raised:
        LocalLambdaClient(throttled, FakeHttpClient()).invoke(FunctionName="fn", Payload=b"{}")

    response = raised.value.response
    assert response["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(
    "parameters",
    [
        {"FunctionName": "fn", "Payload": b"{}", "InvocationType": "Event"},
        {"FunctionName": "fn", "Payload": b"{}", "Qualifier": "live"},
    ],
)
def test_anything_but_a_plain_synchronous_invoke_goes_over_the_invoke_api(parameters):
    http = FakeHttpClient()

    def must_not_run(function, payload):
        raise AssertionError("not in process")

    assert LocalLambdaClient(must_not_run, http).invoke(**parameters) == {"StatusCode": 202}
    assert http.calls == [parameters]
