"""The resource model: what the runner creates, with the names and ARNs moto will see.

Names are deterministic: a nested stack is `<parent stack>-<LogicalId>` and an unnamed resource is
`<stack>-<LogicalId>` (shortened with a hash where AWS limits the length). ARNs use moto's default
account and region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
DEFAULT_STACK_NAME = "checkout"


class TemplateError(Exception):
    """The templates use something the runner cannot evaluate faithfully."""


@dataclass(frozen=True)
class Table:
    stack: str
    logical_id: str
    name: str
    attribute_definitions: list[dict[str, str]]
    key_schema: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    local_secondary_indexes: list[dict[str, Any]]
    ttl_attribute: str | None


@dataclass(frozen=True)
class Queue:
    stack: str
    logical_id: str
    name: str
    url: str
    arn: str
    attributes: dict[str, str]  # SQS SetQueueAttributes shape (strings), RedrivePolicy included


@dataclass(frozen=True)
class EventBus:
    stack: str
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class Rule:
    stack: str
    logical_id: str
    name: str
    event_bus_name: str
    event_pattern: dict[str, Any]
    state: str
    targets: list[dict[str, Any]]  # PutTargets shape


@dataclass(frozen=True)
class SsmParameter:
    stack: str
    logical_id: str
    name: str
    type: str
    value: str


@dataclass(frozen=True)
class SqsEventSource:
    queue_arn: str
    batch_size: int
    maximum_batching_window_seconds: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass(frozen=True)
class ScheduleEventSource:
    """A function's `Type: Schedule` event: EventBridge invokes it at `expression`."""

    name: str  # the event's name in the template
    expression: str  # rate(...) or cron(...)
    enabled: bool


@dataclass(frozen=True)
class Function:
    stack: str
    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    reserved_concurrency: int | None
    sqs_event_sources: list[SqsEventSource]
    schedules: list[ScheduleEventSource] = field(default_factory=list)


@dataclass(frozen=True)
class StateMachine:
    stack: str
    logical_id: str
    name: str
    arn: str
    type: str
    definition: str  # JSON text with DefinitionSubstitutions applied


@dataclass(frozen=True)
class UserPool:
    stack: str
    logical_id: str
    name: str
    id: str  # e.g. us-east-1_0a1b2c3d4: what Ref gives, and the tokens' issuer names
    arn: str
    settings: dict[str, Any]  # CreateUserPool's request, PoolName aside (CFN names the same)


@dataclass(frozen=True)
class UserPoolClient:
    stack: str
    logical_id: str
    name: str
    id: str  # what Ref gives: the ID tokens' `aud`
    user_pool_id: str
    settings: dict[str, Any]  # CreateUserPoolClient's request, UserPoolId and ClientName aside


@dataclass(frozen=True)
class CognitoAuthorizer:
    """An OpenAPI security scheme of `x-amazon-apigateway-authtype: cognito_user_pools`."""

    name: str
    header: str  # where the token is (the identity source), e.g. Authorization
    user_pool_arns: list[str]


@dataclass(frozen=True)
class ApiRoute:
    method: str  # upper case, or ANY
    resource: str  # the OpenAPI path template, e.g. /orders/{orderId}
    function_arn: str
    authorizer: str | None = None  # the name of the Cognito authorizer it requires, if any


@dataclass(frozen=True)
class ApiCors:
    """SAM's `Cors` on the API: the preflight (OPTIONS) answer API Gateway gives by itself."""

    allow_origin: str
    allow_headers: str | None = None
    allow_methods: str | None = None
    max_age: str | None = None


@dataclass(frozen=True)
class Api:
    stack: str
    logical_id: str
    rest_api_id: str
    stage_name: str
    routes: list[ApiRoute]
    authorizers: dict[str, CognitoAuthorizer] = field(default_factory=dict)
    cors: ApiCors | None = None
    # `GatewayResponses`: the headers API Gateway adds to the errors it answers itself, by
    # response type (DEFAULT_4XX, DEFAULT_5XX).
    gateway_response_headers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class AppModel:
    """Everything the runner creates, in creation order within each list."""

    root_stack: str
    ssm_parameters: list[SsmParameter] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    event_buses: list[EventBus] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    state_machines: list[StateMachine] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)
    user_pools: list[UserPool] = field(default_factory=list)
    user_pool_clients: list[UserPoolClient] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # root stack outputs
    # (stack, logical id, type) of what is not emulated: log groups, alarms, IAM, permissions,
    # function events other than SQS ("event:<Type>": those never fire locally) and rule targets
    # that are SNS topics ("target:sns": nothing is delivered to them locally).
    ignored: list[tuple[str, str, str]] = field(default_factory=list)

    def function(self, ref: str) -> Function:
        """Find a function by name, ARN (qualifier allowed) or logical id (if unambiguous)."""
        name = function_name_from(ref)
        matches = [f for f in self.functions if name in (f.name, f.logical_id)]
        if len(matches) != 1:
            known = ", ".join(sorted(f.logical_id for f in self.functions))
            problem = "is ambiguous" if matches else "is not a function of this app"
            raise KeyError(f"{ref!r} {problem}; functions: {known}")
        return matches[0]

    def queue_by_arn(self, arn: str) -> Queue:
        for queue in self.queues:
            if queue.arn == arn:
                return queue
        raise KeyError(f"no queue with ARN {arn}")

    def user_pool(self, ref: str | None = None) -> UserPool:
        """The user pool by id, ARN or logical id, or the only one when `ref` is None."""
        matches = [
            pool
            for pool in self.user_pools
            if ref is None or ref in (pool.id, pool.arn, pool.logical_id)
        ]
        if len(matches) != 1:
            raise KeyError(f"user pool {ref!r}: {len(matches)} matches")
        return matches[0]

    def clients_of(self, pool: UserPool) -> list[UserPoolClient]:
        return [c for c in self.user_pool_clients if c.user_pool_id == pool.id]

    def state_machine(self, ref: str | None = None) -> StateMachine:
        """The state machine by name/logical id, or the only one when `ref` is None."""
        matches = [
            sm for sm in self.state_machines if ref is None or ref in (sm.name, sm.logical_id)
        ]
        if len(matches) != 1:
            raise KeyError(f"state machine {ref!r}: {len(matches)} matches")
        return matches[0]


def function_name_from(ref: str) -> str:
    """`arn:aws:lambda:r:a:function:NAME[:qualifier]` or a plain name -> NAME."""
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if len(parts) >= 7 and parts[5] == "function":
            return parts[6]
        raise KeyError(f"not a Lambda function ARN: {ref}")
    return ref.split(":", 1)[0]
