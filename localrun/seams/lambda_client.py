"""The Lambda client the state machine's Lambda tasks get (see `fidelity.LambdaTasksRunLocally`)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from localrun.lambdas import InvocationResult, LambdaServiceError
from localrun.template import REGION

Invoke = Callable[[str, bytes], InvocationResult]  # (function, payload): the service's own


class LocalLambdaClient:
    """What moto's Lambda tasks get as their Lambda client (they only call `invoke`)."""

    def __init__(self, invoke: Invoke, http_client: Any):
        self._invoke = invoke
        self._http = http_client  # the same service over its Invoke API
        self.meta = http_client.meta

    def invoke(self, **parameters: Any) -> dict[str, Any]:
        synchronous = parameters.get("InvocationType", "RequestResponse") == "RequestResponse"
        if not synchronous or set(parameters) - {"FunctionName", "Payload", "InvocationType"}:
            return self._http.invoke(**parameters)
        request_id = str(uuid.uuid4())
        try:
            result = self._invoke(parameters["FunctionName"], parameters.get("Payload", b""))
        except LambdaServiceError as error:
            raise ClientError(
                {
                    "Error": {"Code": error.code, "Message": error.message},
                    "ResponseMetadata": {
                        "RequestId": request_id,
                        "HostId": "",
                        "HTTPStatusCode": error.status,
                        "HTTPHeaders": {},
                        "RetryAttempts": 0,
                    },
                },
                "Invoke",
            ) from None
        response = {
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": 200,
                "RetryAttempts": 0,
            },
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(result.payload), len(result.payload)),
        }
        if result.function_error:
            response["FunctionError"] = result.function_error
        return response


def lambda_client_for(lambda_endpoint_url: str, invoke: Invoke | None) -> Any:
    """The client for the local Lambda service: in process when `invoke` is given (a synchronous
    Invoke is handed to the service as Step Functions reaches Lambda inside AWS, with the response
    botocore would have parsed, without an HTTP round trip per task), else over its Invoke API."""
    http_lambda_client = boto3.client(
        "lambda",
        endpoint_url=lambda_endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # As moto's own client: no SDK retries, so the ASL Retry sees every failure.
        config=Config(
            parameter_validation=False,
            read_timeout=900,
            connect_timeout=10,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            max_pool_connections=64,  # one per concurrent execution, beyond the default 10
        ),
    )
    return LocalLambdaClient(invoke, http_lambda_client) if invoke else http_lambda_client
