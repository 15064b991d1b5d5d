"""Evaluating intrinsics (Ref, GetAtt, Sub, If, Join, Select, ...) across the tree of stacks.

Parameters come from the parent stack's expressions, the root's overrides or Defaults; SSM-typed
parameters read the SSM parameter some template of the app creates (or `extra_ssm`); GetAtt of a
nested stack's `Outputs.X` evaluates that output in the child. Intrinsic functions, pseudo
parameters, what Ref returns and the GetAtt attributes are looked up by name / resource type in
the tables below; anything not in them is a TemplateError, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from localrun.template import names
from localrun.template.loader import NESTED_STACK_TYPES, Stack
from localrun.template.model import ACCOUNT_ID, PARTITION, REGION, TemplateError

NO_VALUE = object()  # AWS::NoValue: the key holding it disappears
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# A dynamic reference, resolved when CloudFormation provisions the resource; only SSM's here.
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(?P<service>[a-z-]+):(?P<name>[^}]*)\}\}")
_SSM_PARAMETER_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(?P<inner>.+)>$")


class Resolver:
    """Evaluates intrinsics lazily with memoisation, across the whole tree of stacks.

    Lazy because CloudFormation has no fixed order between a parameter, the SSM parameter it
    names (maybe in another stack) and a nested stack output; cycles raise instead of looping.
    """

    def __init__(self, root: Stack, extra_ssm: Mapping[str, str]):
        self.root = root
        self.extra_ssm = dict(extra_ssm)
        self._memo: dict[tuple[str, str], Any] = {}
        self._in_progress: list[tuple[str, str]] = []

    # -- tree ---------------------------------------------------------------

    def stacks(self) -> Iterator[Stack]:
        pending = [self.root]
        while pending:
            stack = pending.pop(0)
            yield stack
            pending.extend(stack.children.values())

    def active_resources(self, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in stack.resources.items():
            condition = resource.get("Condition")
            if condition is None or self.condition(stack, condition):
                yield logical_id, resource

    def resource(self, stack: Stack, logical_id: str) -> dict[str, Any]:
        resource = stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{stack.path}: no parameter or resource named {logical_id}")
        return resource

    # -- memoised lookups ---------------------------------------------------

    def _memoised[T](self, key: tuple[str, str], compute: Callable[[], T]) -> T:
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

    def parameter(self, stack: Stack, name: str) -> Any:
        def compute() -> Any:
            declared = _declared(stack, "Parameters", name, f"unknown parameter {name}")
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
            return self._as_declared_type(stack, name, value, str(declared.get("Type", "String")))

        return self._memoised((stack.name, f"Parameters.{name}"), compute)

    def _as_declared_type(self, stack: Stack, name: str, value: Any, declared_type: str) -> Any:
        """An SSM-typed parameter is the SSM parameter it names; a list type splits on commas."""
        ssm = _SSM_PARAMETER_TYPE.match(declared_type)
        if ssm:
            value = self.ssm_value(str(value), stack, f"parameter {name}")
            declared_type = ssm.group("inner")
        if declared_type.startswith("List<") or declared_type == "CommaDelimitedList":
            value = [item.strip() for item in str(value).split(",")]
        return value

    def condition(self, stack: Stack, name: str) -> bool:
        def compute() -> bool:
            expression = _declared(stack, "Conditions", name, f"unknown condition {name}")
            return bool(self.evaluate(stack, expression))

        return self._memoised((stack.name, f"Conditions.{name}"), compute)

    def dynamic_references(self, stack: Stack, text: str) -> str:
        """`text` with each `{{resolve:ssm:NAME}}` replaced by that SSM parameter's value."""

        def replace(match: re.Match[str]) -> str:
            if match.group("service") != "ssm":
                unsupported = match.group(0)
                raise TemplateError(
                    f"{stack.name}: {unsupported} is not supported by the local runner"
                )
            return self.ssm_value(match.group("name"), stack, match.group(0))

        return DYNAMIC_REFERENCE.sub(replace, text)

    def ssm_value(self, parameter_name: str, stack: Stack, for_parameter: str) -> str:
        for candidate in self.stacks():
            for logical_id, resource in self.active_resources(candidate):
                if resource.get("Type") != "AWS::SSM::Parameter":
                    continue
                if self.ref(candidate, logical_id) == parameter_name:
                    return str(self.evaluate(candidate, resource["Properties"]["Value"]))
        if parameter_name in self.extra_ssm:
            return self.extra_ssm[parameter_name]
        raise TemplateError(
            f"{stack.name}: {for_parameter} reads SSM parameter {parameter_name!r}, "
            "which no template of this app creates (pass it in extra_ssm)"
        )

    def nested_output(self, child: Stack, output: str) -> Any:
        def compute() -> Any:
            declared = _declared(child, "Outputs", output, f"no output named {output}")
            return self.evaluate(child, declared["Value"])

        return self._memoised((child.name, f"Outputs.{output}"), compute)

    # -- Ref / GetAtt / names -----------------------------------------------

    def ref(self, stack: Stack, name: str) -> Any:
        if name in _PSEUDO_PARAMETERS:
            return _PSEUDO_PARAMETERS[name](stack)
        if name in stack.section("Parameters"):
            return self.parameter(stack, name)
        if name.endswith(".Alias"):  # SAM's `!Ref Function.Alias`: its AutoPublishAlias's ARN
            return self.function_alias_arn(stack, name.removesuffix(".Alias"))
        kind = self.resource(stack, name)["Type"]
        return _REF_BY_TYPE.get(kind, _physical_name)(self, stack, name)

    def function_alias_arn(self, stack: Stack, logical_id: str) -> str:
        properties = self.resource(stack, logical_id).get("Properties", {})
        globals_ = stack.template.get("Globals", {}).get("Function", {})
        alias = properties.get("AutoPublishAlias", globals_.get("AutoPublishAlias"))
        if alias is None:
            raise TemplateError(f"{stack.name}: {logical_id}.Alias, but it has no AutoPublishAlias")
        return f"{self.get_att(stack, logical_id, 'Arn')}:{self.evaluate(stack, alias)}"

    def get_att(self, stack: Stack, logical_id: str, attribute: str) -> Any:
        kind = self.resource(stack, logical_id)["Type"]
        if kind in NESTED_STACK_TYPES and attribute.startswith("Outputs."):
            return self.nested_output(stack.children[logical_id], attribute[len("Outputs.") :])
        getter = _ATTRIBUTES.get(kind, {}).get(attribute)
        if getter is None:
            raise TemplateError(
                f"{stack.name}: Fn::GetAtt {logical_id}.{attribute} ({kind}) "
                "is not supported by the local runner"
            )
        return getter(self, stack, logical_id)

    def physical_name(self, stack: Stack, logical_id: str) -> str:
        def compute() -> str:
            resource = self.resource(stack, logical_id)
            kind = resource["Type"]
            props = resource.get("Properties", {})
            name_property = names.NAME_PROPERTY.get(kind)
            if name_property and name_property in props:
                return str(self.evaluate(stack, props[name_property]))
            generate = _GENERATED_NAME.get(kind, _generated_name)
            return generate(stack, logical_id, kind, props)

        return self._memoised((stack.name, f"Name.{logical_id}"), compute)

    # -- expressions --------------------------------------------------------

    def evaluate(self, stack: Stack, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.evaluate(stack, item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(node, str):
            return self.dynamic_references(stack, node) if "{{resolve:" in node else node
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            # A `Condition` key holding a mapping is data (an IAM statement's), not the intrinsic.
            if key in _INTRINSICS and (key != "Condition" or isinstance(argument, str)):
                return _INTRINSICS[key](self, stack, argument)
            if key.startswith("Fn::"):
                raise TemplateError(f"{stack.path}: {key} is not supported by the local runner")
        result = {}
        for key, value in node.items():
            evaluated = self.evaluate(stack, value)
            if evaluated is not NO_VALUE:
                result[key] = evaluated
        return result


def _declared(stack: Stack, section: str, name: str, missing: str) -> Any:
    """`name` in the template's `section` (Parameters, Conditions, Outputs), or TemplateError."""
    declared = stack.section(section).get(name)
    if declared is None:
        raise TemplateError(f"{stack.path}: {missing}")
    return declared


# --------------------------------------------------------------------------- intrinsic functions

Intrinsic = Callable[[Resolver, Stack, Any], Any]  # (resolver, stack, argument) -> value


def _get_att(r: Resolver, stack: Stack, argument: Any) -> Any:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return r.get_att(stack, logical_id, r.evaluate(stack, attribute))


def _sub(r: Resolver, stack: Stack, argument: Any) -> str:
    if isinstance(argument, list):
        text, variables = argument
        variables = {k: r.evaluate(stack, v) for k, v in variables.items()}
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
            return str(r.get_att(stack, logical_id, attribute))
        return str(r.ref(stack, expression))

    return r.evaluate(stack, SUB_VARIABLE.sub(replace, text))


def _if(r: Resolver, stack: Stack, argument: Any) -> Any:
    condition, if_true, if_false = argument
    return r.evaluate(stack, if_true if r.condition(stack, condition) else if_false)


def _equals(r: Resolver, stack: Stack, argument: Any) -> bool:
    left, right = (r.evaluate(stack, item) for item in argument)
    return str(left) == str(right)


def _join(r: Resolver, stack: Stack, argument: Any) -> str:
    separator, items = argument
    return separator.join(str(item) for item in r.evaluate(stack, items))


def _select(r: Resolver, stack: Stack, argument: Any) -> Any:
    index, items = argument
    return r.evaluate(stack, items)[int(r.evaluate(stack, index))]


def _split(r: Resolver, stack: Stack, argument: Any) -> list[str]:
    separator, text = argument
    return str(r.evaluate(stack, text)).split(separator)


_INTRINSICS: dict[str, Intrinsic] = {
    "Ref": lambda r, stack, name: r.ref(stack, name),
    "Condition": lambda r, stack, name: r.condition(stack, name),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda r, stack, argument: not r.evaluate(stack, argument[0]),
    "Fn::And": lambda r, stack, argument: all(r.evaluate(stack, item) for item in argument),
    "Fn::Or": lambda r, stack, argument: any(r.evaluate(stack, item) for item in argument),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
}

_PSEUDO_PARAMETERS: dict[str, Callable[[Stack], Any]] = {
    "AWS::Region": lambda stack: REGION,
    "AWS::AccountId": lambda stack: ACCOUNT_ID,
    "AWS::Partition": lambda stack: PARTITION,
    "AWS::URLSuffix": lambda stack: "amazonaws.com",
    "AWS::StackName": lambda stack: stack.name,
    "AWS::StackId": lambda stack: names.stack_id(stack.name),
    "AWS::NoValue": lambda stack: NO_VALUE,
}

# --------------------------------------------------------------------------- resource types

ResourceValue = Callable[[Resolver, Stack, str], Any]  # (resolver, stack, logical id) -> value


def _physical_name(r: Resolver, stack: Stack, logical_id: str) -> str:
    return r.physical_name(stack, logical_id)


def _attribute(name: str) -> ResourceValue:
    return lambda r, stack, logical_id: r.get_att(stack, logical_id, name)


def _arn(service: str, resource: str, *, region: str = REGION) -> ResourceValue:
    """An ARN attribute; `resource` formats the resource's physical {name}."""
    return lambda r, stack, logical_id: names.arn(
        service, resource.format(name=r.physical_name(stack, logical_id)), region=region
    )


def _rest_api_id(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.fake_id(f"{stack.name}/{logical_id}", 10)


def _ssm_parameter_value(r: Resolver, stack: Stack, logical_id: str) -> Any:
    return r.evaluate(stack, r.resource(stack, logical_id)["Properties"]["Value"])


def _ssm_parameter_type(r: Resolver, stack: Stack, logical_id: str) -> Any:
    return r.resource(stack, logical_id)["Properties"].get("Type", "String")


def _queue_url(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.queue_url(r.physical_name(stack, logical_id))


def _root_resource_id(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.fake_id(f"{stack.name}/{logical_id}/root", 10)


def _user_pool_id(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.user_pool_id(stack.name, logical_id)


def _user_pool_arn(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.arn("cognito-idp", f"userpool/{_user_pool_id(r, stack, logical_id)}")


def _user_pool_provider_name(r: Resolver, stack: Stack, logical_id: str) -> str:
    return f"cognito-idp.{REGION}.amazonaws.com/{_user_pool_id(r, stack, logical_id)}"


def _user_pool_client_id(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.user_pool_client_id(stack.name, logical_id)


def _distribution_id(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.fake_id(f"{stack.name}/{logical_id}", 14).upper()


def _distribution_domain(r: Resolver, stack: Stack, logical_id: str) -> str:
    """CloudFront's domain of the distribution (not emulated: the local run serves the site
    itself, with the template's SiteOrigin parameter naming it)."""
    return f"{names.fake_id(f'{stack.name}/{logical_id}/domain', 14)}.cloudfront.net"


def _stack_arn(r: Resolver, stack: Stack, logical_id: str) -> str:
    return names.stack_id(r.physical_name(stack, logical_id))


_STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")

# What Ref returns where it is not the physical name.
_REF_BY_TYPE: dict[str, ResourceValue] = {
    "AWS::SQS::Queue": _attribute("QueueUrl"),
    "AWS::SNS::Topic": _attribute("TopicArn"),
    **dict.fromkeys(_STATE_MACHINE_TYPES + NESTED_STACK_TYPES, _attribute("Arn")),
    "AWS::Serverless::Api": _rest_api_id,
    "AWS::Cognito::UserPool": _user_pool_id,
    "AWS::Cognito::UserPoolClient": _user_pool_client_id,
    "AWS::CloudFront::Distribution": _distribution_id,
}


# Fn::GetAtt attributes by resource type.
_FUNCTION_ATTRIBUTES = {"Arn": _arn("lambda", "function:{name}")}
_STATE_MACHINE_ATTRIBUTES = {"Arn": _arn("states", "stateMachine:{name}"), "Name": _physical_name}
_ATTRIBUTES: dict[str, dict[str, ResourceValue]] = {
    "AWS::SQS::Queue": {
        "Arn": _arn("sqs", "{name}"),
        "QueueName": _physical_name,
        "QueueUrl": _queue_url,
    },
    "AWS::DynamoDB::Table": {"Arn": _arn("dynamodb", "table/{name}")},
    "AWS::SNS::Topic": {"TopicArn": _arn("sns", "{name}"), "TopicName": _physical_name},
    **{kind: _FUNCTION_ATTRIBUTES for kind in _FUNCTION_TYPES},
    "AWS::Events::EventBus": {"Arn": _arn("events", "event-bus/{name}"), "Name": _physical_name},
    "AWS::Events::Rule": {"Arn": _arn("events", "rule/{name}")},
    **{kind: _STATE_MACHINE_ATTRIBUTES for kind in _STATE_MACHINE_TYPES},
    "AWS::SSM::Parameter": {"Value": _ssm_parameter_value, "Type": _ssm_parameter_type},
    "AWS::Logs::LogGroup": {"Arn": _arn("logs", "log-group:{name}:*")},
    "AWS::IAM::Role": {"Arn": _arn("iam", "role/{name}", region="")},
    "AWS::Serverless::Api": {"RootResourceId": _root_resource_id},
    "AWS::Cognito::UserPool": {
        "Arn": _user_pool_arn,
        "UserPoolId": _user_pool_id,
        "ProviderName": _user_pool_provider_name,
        "ProviderURL": lambda r, s, i: f"https://{_user_pool_provider_name(r, s, i)}",
    },
    "AWS::Cognito::UserPoolClient": {"ClientId": _user_pool_client_id, "Name": _physical_name},
    **{kind: {"Arn": _stack_arn} for kind in NESTED_STACK_TYPES},
    "AWS::CloudFront::Distribution": {"DomainName": _distribution_domain, "Id": _distribution_id},
}

GeneratedName = Callable[[Stack, str, str, dict[str, Any]], str]  # (stack, id, type, props)


def _generated_name(stack: Stack, logical_id: str, kind: str, props: dict[str, Any]) -> str:
    return names.generated_name(stack.name, logical_id, names.NAME_LIMITS.get(kind, 255))


def _queue_name(stack: Stack, logical_id: str, kind: str, props: dict[str, Any]) -> str:
    if props.get("FifoQueue"):
        return names.generated_name(stack.name, logical_id, names.FIFO_QUEUE_NAME_LIMIT) + ".fifo"
    return _generated_name(stack, logical_id, kind, props)


# The name of a resource the template does not name, where it is not `<stack>-<LogicalId>`.
_GENERATED_NAME: dict[str, GeneratedName] = {
    **dict.fromkeys(NESTED_STACK_TYPES, lambda stack, logical_id, *_: f"{stack.name}-{logical_id}"),
    "AWS::SSM::Parameter": lambda stack, logical_id, *_: f"/{stack.name}/{logical_id}",
    "AWS::SQS::Queue": _queue_name,
}
