"""Patches to moto's private seams, each a named `Seam`, grouped by why it exists.

moto 5.2.5 runs ASL for real (a port of LocalStack's interpreter) but cannot run a Lambda
without Docker, always sleeps for real, and re-parses the definition on every execution; its
EventBridge also drops `account` from events it delivers to SQS. A few private attributes fix
that; they are pinned by requirements-dev.txt (moto==5.2.5) and watched by
tests/localrun/test_moto_seams.py, which names the attribute that moved.

FIDELITY (`fidelity.py`: without them the app behaves otherwise than on AWS, or the tests cannot
drive their paths): LambdaTasksRunLocally, VirtualTime, EventEnvelopeWithAccount,
IntegrationFaultsAnswered, OneDynamoDBRequestAtATime.

SPEED (`speed.py`: moto behaves the same without them, only slower; droppable on a moto
upgrade): ParsedProgramCache, SharedIntegrationClients, JsonPathParseCache,
MotoModulesListedOnce, ItemLevelTransactionRollback.

`MotoSeams` installs the fidelity seams, then the speed seams, and uninstalls them all.
"""

from localrun.seams.base import (
    BACKENDS,
    DYNAMODB_MODELS,
    DYNAMODB_RESPONSES,
    EVENTS_UTILS,
    EXECUTION_WORKER,
    JSON_PATH,
    JSONPATH_EXT,
    LAMBDA_EVAL_UTILS,
    MOTO_VERSION,
    PARSER,
    RESULT_PATH,
    RETRIER_DECL,
    SERVICE_TASKS,
    WAIT_FUNCTION,
    Patches,
    moto_module,
    service_task_modules,
)
from localrun.seams.faults import ApiErrorFault, FailedEntriesFault, IntegrationFault
from localrun.seams.fidelity import VirtualSleep
from localrun.seams.lambda_client import LocalLambdaClient
from localrun.seams.moto_seams import MotoSeams

# What the rest of the runner and the tests use; the seams themselves are in `fidelity`/`speed`.
__all__ = [
    "BACKENDS",
    "DYNAMODB_MODELS",
    "DYNAMODB_RESPONSES",
    "EVENTS_UTILS",
    "EXECUTION_WORKER",
    "JSONPATH_EXT",
    "JSON_PATH",
    "LAMBDA_EVAL_UTILS",
    "MOTO_VERSION",
    "PARSER",
    "RESULT_PATH",
    "RETRIER_DECL",
    "SERVICE_TASKS",
    "WAIT_FUNCTION",
    "ApiErrorFault",
    "FailedEntriesFault",
    "IntegrationFault",
    "LocalLambdaClient",
    "MotoSeams",
    "Patches",
    "VirtualSleep",
    "moto_module",
    "service_task_modules",
]
