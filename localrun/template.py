"""Read the SAM application (root template + nested `Location` templates) into a resource model.

Why a direct reading instead of the SAM translator: the runner needs only a handful of resource
types, the physical names and ARNs moto will see, and nested-stack outputs and SSM-typed
parameters resolved across stacks -- none of which the translator does (it translates one
template and leaves intrinsics alone). Anything this module does not understand is an error or
is listed in `AppModel.ignored`, never silently guessed.

Names are deterministic: a nested stack is `<parent stack>-<LogicalId>` and an unnamed resource is
`<stack>-<LogicalId>` (shortened with a hash where AWS limits the length). ARNs use moto's default
account and region.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
DEFAULT_STACK_NAME = "checkout"

_SSM_PARAMETER_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(?P<inner>.+)>$")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_APIGW_LAMBDA_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<arn>.+)/invocations$"
)
# AWS name length limits for the resources whose names we generate.
_NAME_LIMITS = {
    "AWS::Serverless::Function": 64,
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::Events::Rule": 64,
    "AWS::Serverless::StateMachine": 80,
    "AWS::StepFunctions::StateMachine": 80,
}


class TemplateError(Exception):
    """The templates use something the runner cannot evaluate faithfully."""


# --------------------------------------------------------------------------- YAML loading


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (!Ref, !Sub, ...) into their long form."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML (or JSON) template, short tags included."""
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=_CfnLoader)
    except OSError as error:
        raise TemplateError(f"cannot read template {path}: {error.strerror}") from error
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return document


# --------------------------------------------------------------------------- model


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


@dataclass(frozen=True)
class StateMachine:
    stack: str
    logical_id: str
    name: str
    arn: str
    type: str
    definition: str  # JSON text with DefinitionSubstitutions applied


@dataclass(frozen=True)
class ApiRoute:
    method: str  # upper case, or ANY
    resource: str  # the OpenAPI path template, e.g. /orders/{orderId}
    function_arn: str


@dataclass(frozen=True)
class Api:
    stack: str
    logical_id: str
    rest_api_id: str
    stage_name: str
    routes: list[ApiRoute]


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
    outputs: dict[str, Any] = field(default_factory=dict)  # root stack outputs
    # (stack, logical id, type) of what is not emulated: log groups, alarms, IAM, permissions,
    # and function events other than SQS ("event:<Type>": those never fire locally).
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


# --------------------------------------------------------------------------- evaluation

_NO_VALUE = object()  # AWS::NoValue: the key holding it disappears


@dataclass
class _Stack:
    name: str
    path: Path
    template: dict[str, Any]
    given_parameters: dict[str, Any]  # unevaluated expressions, evaluated in `parent`
    parent: _Stack | None
    children: dict[str, _Stack] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})

    @property
    def directory(self) -> Path:
        return self.path.parent


class _Resolver:
    """Evaluates intrinsics lazily with memoisation, across the whole tree of stacks.

    Lazy because CloudFormation has no fixed order between a parameter, the SSM parameter it
    names (maybe in another stack) and a nested stack output; cycles raise instead of looping.
    """

    def __init__(self, root: _Stack, extra_ssm: Mapping[str, str]):
        self.root = root
        self.extra_ssm = dict(extra_ssm)
        self._memo: dict[tuple[str, str], Any] = {}
        self._in_progress: list[tuple[str, str]] = []

    # -- tree ---------------------------------------------------------------

    def stacks(self) -> Iterator[_Stack]:
        pending = [self.root]
        while pending:
            stack = pending.pop(0)
            yield stack
            pending.extend(stack.children.values())

    def active_resources(self, stack: _Stack) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in stack.resources.items():
            condition = resource.get("Condition")
            if condition is None or self.condition(stack, condition):
                yield logical_id, resource

    # -- memoised lookups ---------------------------------------------------

    def _memoised(self, key: tuple[str, str], compute) -> Any:
        if key in self._memo:
            return self._memo[key]
        if key in self._in_progress:
            chain = " -> ".join(":".join(k) for k in [*self._in_progress, key])
            raise TemplateError(f"circular reference: {chain}")
        self._in_progress.append(key)
        try:
            value = compute()
        finally:
            self._in_progress.pop()
        self._memo[key] = value
        return value

    def parameter(self, stack: _Stack, name: str) -> Any:
        def compute() -> Any:
            declared = stack.template.get("Parameters", {}).get(name)
            if declared is None:
                raise TemplateError(f"{stack.path}: unknown parameter {name}")
            if name in stack.given_parameters:
                given = stack.given_parameters[name]
                # A nested stack's parameters are expressions of its parent; the root's are
                # literal overrides.
                value = self.evaluate(stack.parent, given) if stack.parent else given
            elif "Default" in declared:
                value = declared["Default"]
            else:
                raise TemplateError(f"{stack.path}: parameter {name} has no value and no Default")
            allowed = declared.get("AllowedValues")
            if allowed is not None and value not in allowed:
                raise TemplateError(f"{stack.name}: {name}={value!r} not in {allowed}")
            declared_type = str(declared.get("Type", "String"))
            ssm = _SSM_PARAMETER_TYPE.match(declared_type)
            if ssm:
                value = self.ssm_value(str(value), stack, name)
                declared_type = ssm.group("inner")
            if declared_type.startswith("List<") or declared_type == "CommaDelimitedList":
                value = [item.strip() for item in str(value).split(",")]
            return value

        return self._memoised((stack.name, f"Parameters.{name}"), compute)

    def condition(self, stack: _Stack, name: str) -> bool:
        def compute() -> bool:
            expression = stack.template.get("Conditions", {}).get(name)
            if expression is None:
                raise TemplateError(f"{stack.path}: unknown condition {name}")
            return bool(self.evaluate(stack, expression))

        return self._memoised((stack.name, f"Conditions.{name}"), compute)

    def ssm_value(self, parameter_name: str, stack: _Stack, for_parameter: str) -> str:
        for candidate in self.stacks():
            for logical_id, resource in self.active_resources(candidate):
                if resource.get("Type") != "AWS::SSM::Parameter":
                    continue
                if self.ref(candidate, logical_id) == parameter_name:
                    return str(self.evaluate(candidate, resource["Properties"]["Value"]))
        if parameter_name in self.extra_ssm:
            return self.extra_ssm[parameter_name]
        raise TemplateError(
            f"{stack.name}: parameter {for_parameter} reads SSM parameter {parameter_name!r}, "
            "which no template of this app creates (pass it in extra_ssm)"
        )

    # -- Ref / GetAtt -------------------------------------------------------

    def ref(self, stack: _Stack, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
            "AWS::StackId": _stack_id(stack.name),
        }
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in stack.template.get("Parameters", {}):
            return self.parameter(stack, name)
        resource = self._resource(stack, name)
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return self.get_att(stack, name, "QueueUrl")
        if kind in (
            "AWS::Serverless::StateMachine",
            "AWS::StepFunctions::StateMachine",
            "AWS::Serverless::Application",
            "AWS::CloudFormation::Stack",
        ):
            return self.get_att(stack, name, "Arn")
        if kind == "AWS::Serverless::Api":
            return _fake_id(f"{stack.name}/{name}", 10)
        return self.physical_name(stack, name)

    def physical_name(self, stack: _Stack, logical_id: str) -> str:
        def compute() -> str:
            resource = self._resource(stack, logical_id)
            kind = resource["Type"]
            props = resource.get("Properties", {})
            name_property = {
                "AWS::DynamoDB::Table": "TableName",
                "AWS::SQS::Queue": "QueueName",
                "AWS::Events::EventBus": "Name",
                "AWS::Events::Rule": "Name",
                "AWS::SSM::Parameter": "Name",
                "AWS::Serverless::Function": "FunctionName",
                "AWS::Lambda::Function": "FunctionName",
                "AWS::Serverless::StateMachine": "Name",
                "AWS::StepFunctions::StateMachine": "StateMachineName",
                "AWS::Logs::LogGroup": "LogGroupName",
                "AWS::IAM::Role": "RoleName",
            }.get(kind)
            if name_property and name_property in props:
                return str(self.evaluate(stack, props[name_property]))
            if kind in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
                return f"{stack.name}-{logical_id}"
            generated = _generated_name(stack.name, logical_id, _NAME_LIMITS.get(kind, 255))
            if kind == "AWS::SSM::Parameter":
                return f"/{stack.name}/{logical_id}"
            if kind == "AWS::SQS::Queue" and props.get("FifoQueue"):
                return _generated_name(stack.name, logical_id, 75) + ".fifo"
            return generated

        return self._memoised((stack.name, f"Name.{logical_id}"), compute)

    def get_att(self, stack: _Stack, logical_id: str, attribute: str) -> Any:
        resource = self._resource(stack, logical_id)
        kind = resource["Type"]
        if kind in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
            if attribute.startswith("Outputs."):
                return self.nested_output(stack.children[logical_id], attribute[8:])
            if attribute == "Arn":
                return _stack_id(self.physical_name(stack, logical_id))
        name = self.physical_name(stack, logical_id) if kind != "AWS::Serverless::Api" else None
        arn = f"arn:{PARTITION}:{{service}}:{REGION}:{ACCOUNT_ID}:{{resource}}"
        table: dict[tuple[str, str], Any] = {}
        if kind == "AWS::SQS::Queue":
            table = {
                ("AWS::SQS::Queue", "Arn"): arn.format(service="sqs", resource=name),
                ("AWS::SQS::Queue", "QueueName"): name,
                ("AWS::SQS::Queue", "QueueUrl"): f"https://sqs.{REGION}.amazonaws.com/"
                f"{ACCOUNT_ID}/{name}",
            }
        elif kind == "AWS::DynamoDB::Table":
            table = {(kind, "Arn"): arn.format(service="dynamodb", resource=f"table/{name}")}
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            table = {(kind, "Arn"): arn.format(service="lambda", resource=f"function:{name}")}
        elif kind == "AWS::Events::EventBus":
            table = {
                (kind, "Arn"): arn.format(service="events", resource=f"event-bus/{name}"),
                (kind, "Name"): name,
            }
        elif kind == "AWS::Events::Rule":
            table = {(kind, "Arn"): arn.format(service="events", resource=f"rule/{name}")}
        elif kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            table = {
                (kind, "Arn"): arn.format(service="states", resource=f"stateMachine:{name}"),
                (kind, "Name"): name,
            }
        elif kind == "AWS::SSM::Parameter":
            props = resource["Properties"]
            table = {
                (kind, "Value"): self.evaluate(stack, props["Value"]),
                (kind, "Type"): props.get("Type", "String"),
            }
        elif kind == "AWS::Logs::LogGroup":
            table = {(kind, "Arn"): arn.format(service="logs", resource=f"log-group:{name}:*")}
        elif kind == "AWS::IAM::Role":
            table = {(kind, "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}"}
        elif kind == "AWS::Serverless::Api":
            table = {(kind, "RootResourceId"): _fake_id(f"{stack.name}/{logical_id}/root", 10)}
        if (kind, attribute) not in table:
            raise TemplateError(
                f"{stack.name}: Fn::GetAtt {logical_id}.{attribute} ({kind}) "
                "is not supported by the local runner"
            )
        return table[(kind, attribute)]

    def nested_output(self, child: _Stack, output: str) -> Any:
        def compute() -> Any:
            declared = child.template.get("Outputs", {}).get(output)
            if declared is None:
                raise TemplateError(f"{child.path}: no output named {output}")
            return self.evaluate(child, declared["Value"])

        return self._memoised((child.name, f"Outputs.{output}"), compute)

    def _resource(self, stack: _Stack, logical_id: str) -> dict[str, Any]:
        resource = stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{stack.path}: no parameter or resource named {logical_id}")
        return resource

    # -- expressions --------------------------------------------------------

    def evaluate(self, stack: _Stack, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.evaluate(stack, item) for item in node]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                return self.ref(stack, argument)
            if key == "Condition" and isinstance(argument, str):
                return self.condition(stack, argument)
            if key.startswith("Fn::"):
                return self._function(stack, key[4:], argument)
        result = {}
        for key, value in node.items():
            evaluated = self.evaluate(stack, value)
            if evaluated is not _NO_VALUE:
                result[key] = evaluated
        return result

    def _function(self, stack: _Stack, name: str, argument: Any) -> Any:
        if name == "GetAtt":
            logical_id, attribute = (
                argument.split(".", 1) if isinstance(argument, str) else argument
            )
            return self.get_att(stack, logical_id, self.evaluate(stack, attribute))
        if name == "Sub":
            return self._sub(stack, argument)
        if name == "If":
            condition, if_true, if_false = argument
            branch = if_true if self.condition(stack, condition) else if_false
            return self.evaluate(stack, branch)
        if name == "Equals":
            left, right = (self.evaluate(stack, item) for item in argument)
            return str(left) == str(right)
        if name == "Not":
            return not self.evaluate(stack, argument[0])
        if name == "And":
            return all(self.evaluate(stack, item) for item in argument)
        if name == "Or":
            return any(self.evaluate(stack, item) for item in argument)
        if name == "Join":
            separator, items = argument
            return separator.join(str(item) for item in self.evaluate(stack, items))
        if name == "Select":
            index, items = argument
            return self.evaluate(stack, items)[int(self.evaluate(stack, index))]
        if name == "Split":
            separator, text = argument
            return str(self.evaluate(stack, text)).split(separator)
        raise TemplateError(f"{stack.path}: Fn::{name} is not supported by the local runner")

    def _sub(self, stack: _Stack, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument
            variables = {k: self.evaluate(stack, v) for k, v in variables.items()}
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and not expression.startswith("AWS::"):
                logical_id, attribute = expression.split(".", 1)
                return str(self.get_att(stack, logical_id, attribute))
            return str(self.ref(stack, expression))

        return _SUB_VARIABLE.sub(replace, text)


def _stack_id(stack_name: str) -> str:
    suffix = _fake_id(stack_name, 12)
    return f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{suffix}"


def _fake_id(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _generated_name(stack_name: str, logical_id: str, limit: int) -> str:
    name = f"{stack_name}-{logical_id}"
    if len(name) <= limit:
        return name
    digest = _fake_id(name, 8)
    return f"{name[: limit - 9]}-{digest}"


# --------------------------------------------------------------------------- building the model


def _load_stack(path: Path, name: str, parameters: dict[str, Any], parent: _Stack | None) -> _Stack:
    stack = _Stack(
        name=name,
        path=path,
        template=load_template(path),
        given_parameters=parameters,
        parent=parent,
    )
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") not in (
            "AWS::Serverless::Application",
            "AWS::CloudFormation::Stack",
        ):
            continue
        props = resource.get("Properties", {})
        location = props.get("Location", props.get("TemplateURL"))
        if not isinstance(location, str) or "://" in location:
            raise TemplateError(f"{path}: {logical_id} must have a local file Location")
        stack.children[logical_id] = _load_stack(
            (stack.directory / location).resolve(),
            f"{name}-{logical_id}",
            dict(props.get("Parameters", {})),
            stack,
        )
    return stack


class _ModelBuilder:
    def __init__(self, resolver: _Resolver):
        self.r = resolver
        self.ignored: list[tuple[str, str, str]] = []  # found while building resources

    @cached_property
    def model(self) -> AppModel:
        model = AppModel(root_stack=self.r.root.name)
        builders = {
            "AWS::SSM::Parameter": (model.ssm_parameters, self.ssm_parameter),
            "AWS::DynamoDB::Table": (model.tables, self.table),
            "AWS::SQS::Queue": (model.queues, self.queue),
            "AWS::Events::EventBus": (model.event_buses, self.event_bus),
            "AWS::Events::Rule": (model.rules, self.rule),
            "AWS::Serverless::Function": (model.functions, self.function),
            "AWS::Serverless::StateMachine": (model.state_machines, self.state_machine),
            "AWS::StepFunctions::StateMachine": (model.state_machines, self.state_machine),
            "AWS::Serverless::Api": (model.apis, self.api),
        }
        nested = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")
        for stack in self.r.stacks():
            for logical_id, resource in self.r.active_resources(stack):
                kind = resource["Type"]
                if kind in builders:
                    target, build = builders[kind]
                    target.append(build(stack, logical_id, resource))
                elif kind not in nested:
                    model.ignored.append((stack.name, logical_id, kind))
        model.ignored.extend(self.ignored)
        root_outputs = self.r.root.template.get("Outputs", {})
        for name, output in root_outputs.items():
            condition = output.get("Condition")
            if condition is None or self.r.condition(self.r.root, condition):
                model.outputs[name] = self.r.evaluate(self.r.root, output["Value"])
        return model

    def props(self, stack: _Stack, resource: dict[str, Any]) -> dict[str, Any]:
        return self.r.evaluate(stack, resource.get("Properties", {}))

    def ssm_parameter(self, stack: _Stack, logical_id: str, resource: dict) -> SsmParameter:
        props = self.props(stack, resource)
        return SsmParameter(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            type=props.get("Type", "String"),
            value=str(props["Value"]),
        )

    def table(self, stack: _Stack, logical_id: str, resource: dict) -> Table:
        props = self.props(stack, resource)
        ttl = props.get("TimeToLiveSpecification") or {}
        indexes = [
            {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            for index in props.get("GlobalSecondaryIndexes", [])
        ]
        return Table(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            attribute_definitions=props["AttributeDefinitions"],
            key_schema=props["KeySchema"],
            global_secondary_indexes=indexes,
            local_secondary_indexes=props.get("LocalSecondaryIndexes", []),
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        )

    def queue(self, stack: _Stack, logical_id: str, resource: dict) -> Queue:
        props = self.props(stack, resource)
        attributes = {}
        for key, value in props.items():
            if key in ("QueueName", "Tags"):
                continue
            if isinstance(value, (dict, list)):
                attributes[key] = json.dumps(value)
            elif isinstance(value, bool):
                attributes[key] = "true" if value else "false"
            else:
                attributes[key] = str(value)
        return Queue(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            url=self.r.get_att(stack, logical_id, "QueueUrl"),
            arn=self.r.get_att(stack, logical_id, "Arn"),
            attributes=attributes,
        )

    def event_bus(self, stack: _Stack, logical_id: str, resource: dict) -> EventBus:
        return EventBus(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            arn=self.r.get_att(stack, logical_id, "Arn"),
        )

    def rule(self, stack: _Stack, logical_id: str, resource: dict) -> Rule:
        props = self.props(stack, resource)
        if "ScheduleExpression" in props and "EventPattern" not in props:
            raise TemplateError(f"{stack.name}: {logical_id}: scheduled rules are not emulated")
        bus = str(props.get("EventBusName", "default"))
        if bus.startswith("arn:"):
            bus = bus.rsplit("/", 1)[-1]
        return Rule(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            event_bus_name=bus,
            event_pattern=props["EventPattern"],
            state=props.get("State", "ENABLED"),
            targets=props.get("Targets", []),
        )

    def function(self, stack: _Stack, logical_id: str, resource: dict) -> Function:
        merged = _merge_function_globals(
            stack.template.get("Globals", {}).get("Function", {}),
            resource.get("Properties", {}),
        )
        props = self.r.evaluate(stack, merged)
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str) or "://" in code_uri:
            raise TemplateError(f"{stack.name}: {logical_id}: CodeUri must be a local directory")
        if props.get("PackageType", "Zip") != "Zip" or "InlineCode" in props:
            raise TemplateError(f"{stack.name}: {logical_id}: only zip CodeUri functions run")
        variables = (props.get("Environment") or {}).get("Variables") or {}
        return Function(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            arn=self.r.get_att(stack, logical_id, "Arn"),
            handler=props["Handler"],
            code_dir=(stack.directory / code_uri).resolve(),
            runtime=props.get("Runtime", ""),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment={k: _env_string(v) for k, v in variables.items()},
            reserved_concurrency=(
                int(props["ReservedConcurrentExecutions"])
                if "ReservedConcurrentExecutions" in props
                else None
            ),
            sqs_event_sources=self.sqs_event_sources(stack, logical_id, props),
        )

    def sqs_event_sources(self, stack: _Stack, logical_id: str, props: dict) -> list:
        """The function's SQS events; other event types are listed as ignored, loudly."""
        sources = []
        for event_name, event in (props.get("Events") or {}).items():
            if event.get("Type") != "SQS":
                self.ignored.append(
                    (stack.name, f"{logical_id}.Events.{event_name}", f"event:{event.get('Type')}")
                )
                continue
            properties = event["Properties"]
            sources.append(
                SqsEventSource(
                    queue_arn=properties["Queue"],
                    batch_size=int(properties.get("BatchSize", 10)),
                    maximum_batching_window_seconds=int(
                        properties.get("MaximumBatchingWindowInSeconds", 0)
                    ),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in properties.get("FunctionResponseTypes", []),
                    enabled=bool(properties.get("Enabled", True)),
                )
            )
        return sources

    def state_machine(self, stack: _Stack, logical_id: str, resource: dict) -> StateMachine:
        props = self.props(stack, resource)
        definition_file = props.get("DefinitionUri")
        if isinstance(definition_file, str):
            definition = (stack.directory / definition_file).read_text(encoding="utf-8")
        elif "Definition" in props:
            definition = json.dumps(props["Definition"])
        elif "DefinitionString" in props:
            definition = props["DefinitionString"]
        else:
            raise TemplateError(f"{stack.name}: {logical_id}: no local definition")
        definition = _substitute(
            definition, props.get("DefinitionSubstitutions", {}), f"{stack.name}: {logical_id}"
        )
        json.loads(definition)  # fail here, naming the file, rather than inside moto
        return StateMachine(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            arn=self.r.get_att(stack, logical_id, "Arn"),
            type=str(props.get("Type", props.get("StateMachineType", "STANDARD"))),
            definition=definition,
        )

    def api(self, stack: _Stack, logical_id: str, resource: dict) -> Api:
        props = self.props(stack, resource)
        body = props.get("DefinitionBody")
        if not isinstance(body, dict):
            raise TemplateError(f"{stack.name}: {logical_id}: needs an inline DefinitionBody")
        routes = []
        for path, operations in body.get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict):  # path-level "parameters", ...
                    continue
                integration = operation.get("x-amazon-apigateway-integration")
                if not integration:
                    continue
                if integration.get("type") != "aws_proxy":
                    raise TemplateError(f"{logical_id} {method} {path}: only aws_proxy integrates")
                match = _APIGW_LAMBDA_URI.match(integration.get("uri", ""))
                if not match:
                    raise TemplateError(f"{logical_id} {method} {path}: not a Lambda uri")
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                routes.append(ApiRoute(method=verb, resource=path, function_arn=match["arn"]))
        return Api(
            stack=stack.name,
            logical_id=logical_id,
            rest_api_id=self.r.ref(stack, logical_id),
            stage_name=str(props.get("StageName", "Prod")),
            routes=routes,
        )


def _merge_function_globals(globals_: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics for what we read: maps merge (function wins), scalars override."""
    merged = dict(globals_)
    for key, value in props.items():
        if key == "Environment" and "Environment" in globals_:
            variables = dict(globals_["Environment"].get("Variables", {}))
            variables.update((value or {}).get("Variables", {}))
            merged[key] = {"Variables": variables}
        else:
            merged[key] = value
    return merged


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _substitute(definition: str, substitutions: Mapping[str, Any], where: str) -> str:
    """DefinitionSubstitutions: replace ${key}; a placeholder left over is a template bug."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in substitutions:
            raise TemplateError(f"{where}: ${{{key}}} has no DefinitionSubstitutions entry")
        return str(substitutions[key])

    return _SUB_VARIABLE.sub(replace, definition)


def load_app(
    template_path: Path,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: Mapping[str, Any] | None = None,
    extra_ssm: Mapping[str, str] | None = None,
) -> AppModel:
    """Read `template_path` and its nested templates into an `AppModel`.

    `parameters` override the root template's parameter defaults (like
    `sam deploy --parameter-overrides`); `extra_ssm` supplies SSM parameters that the templates
    read but no template of this app creates.
    """
    root = _load_stack(Path(template_path).resolve(), stack_name, dict(parameters or {}), None)
    unknown = set(parameters or {}) - set(root.template.get("Parameters", {}))
    if unknown:
        raise TemplateError(f"unknown root parameters: {sorted(unknown)}")
    return _ModelBuilder(_Resolver(root, extra_ssm or {})).model
