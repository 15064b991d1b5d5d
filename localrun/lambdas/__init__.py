"""A local Lambda service: the template's functions in worker processes, behind the Invoke API.

Each function runs in its own execution environments, worker processes that import the handler
once (`environments`, `_worker.py`); `service.LambdaService` invokes them with Lambda's results
and error shapes, and takes injected faults for tests (`results`); `invoke_api` serves it over
HTTP as `POST /2015-03-31/functions/{name-or-arn}/invocations`, so boto3's `lambda.invoke` works
against it (the functions' own AWS_ENDPOINT_URL_LAMBDA, the state machine's Lambda tasks, people).
"""

from localrun.lambdas.environments import FAKE_CREDENTIALS, LogSink, log_to_logging
from localrun.lambdas.results import (
    CrashAfterHandlerFault,
    DuplicateDeliveryFault,
    Fault,
    FunctionErrorFault,
    InvocationRecord,
    InvocationResult,
    LambdaServiceError,
    ServiceErrorFault,
    TimeoutFault,
)
from localrun.lambdas.service import INIT_TIMEOUT_SECONDS, LambdaService

__all__ = [
    "FAKE_CREDENTIALS",
    "INIT_TIMEOUT_SECONDS",
    "CrashAfterHandlerFault",
    "DuplicateDeliveryFault",
    "Fault",
    "FunctionErrorFault",
    "InvocationRecord",
    "InvocationResult",
    "LambdaService",
    "LambdaServiceError",
    "LogSink",
    "ServiceErrorFault",
    "TimeoutFault",
    "log_to_logging",
]
