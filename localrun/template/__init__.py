"""Read the SAM application (root template + nested `Location` templates) into a resource model.

Why a direct reading instead of the SAM translator: the runner needs only a handful of resource
types, the physical names and ARNs moto will see, and nested-stack outputs and SSM-typed
parameters resolved across stacks -- none of which the translator does (it translates one
template and leaves intrinsics alone). Anything this package does not understand is an error or
is listed in `AppModel.ignored`, never silently guessed.

- `loader`: YAML with CloudFormation short tags; the tree of nested stacks.
- `model`: the dataclasses the rest of the runner uses (Table, Queue, Function, AppModel, ...).
- `resolver`: intrinsic functions, parameters (SSM-typed included), conditions, nested outputs.
- `names`: physical names, ARNs and ids, as CloudFormation would give them on moto.
- `builder`: template resources -> model objects; `load_app` puts the four together.
"""

from localrun.template.builder import load_app
from localrun.template.loader import load_template
from localrun.template.model import (
    ACCOUNT_ID,
    DEFAULT_STACK_NAME,
    REGION,
    Api,
    ApiRoute,
    AppModel,
    Function,
    ScheduleEventSource,
    SqsEventSource,
    TemplateError,
    function_name_from,
)

# What the rest of the runner and the tests use; the other model classes are in `model`.
__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_STACK_NAME",
    "REGION",
    "Api",
    "ApiRoute",
    "AppModel",
    "Function",
    "ScheduleEventSource",
    "SqsEventSource",
    "TemplateError",
    "function_name_from",
    "load_app",
    "load_template",
]
