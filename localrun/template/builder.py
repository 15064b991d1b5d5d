"""Building the model: each resource type the runner emulates becomes its model object.

Resource types are dispatched by table (`ModelBuilder.model`); any other type is listed in
`AppModel.ignored`, as are function events other than SQS and Schedule and rule targets that are
SNS topics (what operators are told), never silently dropped.
An SQS event source is either a function's `Type: SQS` event or an
`AWS::Lambda::EventSourceMapping` on a queue (what the templates use, to keep SAM from
attaching an account-wide SQS policy); both become the function's `sqs_event_sources`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from localrun.template.loader import NESTED_STACK_TYPES, Stack, load_stack
from localrun.template.model import (
    DEFAULT_STACK_NAME,
    Api,
    ApiCors,
    ApiRoute,
    AppModel,
    CognitoAuthorizer,
    EventBus,
    Function,
    Queue,
    Rule,
    ScheduleEventSource,
    SqsEventSource,
    SsmParameter,
    StateMachine,
    Table,
    TemplateError,
    UserPool,
    UserPoolClient,
)
from localrun.template.resolver import SUB_VARIABLE, Resolver

_APIGW_LAMBDA_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<arn>.+)/invocations$"
)


Build = Callable[[Stack, str, dict[str, Any]], Any]  # (stack, logical id, resource) -> model


class ModelBuilder:
    def __init__(self, resolver: Resolver):
        self.r = resolver
        self.ignored: list[tuple[str, str, str]] = []  # found while building resources

    @cached_property
    def model(self) -> AppModel:
        model = AppModel(root_stack=self.r.root.name)
        # resource type -> (the model's list of that kind, the method that builds one)
        builders: dict[str, tuple[list[Any], Build]] = {
            "AWS::SSM::Parameter": (model.ssm_parameters, self.ssm_parameter),
            "AWS::DynamoDB::Table": (model.tables, self.table),
            "AWS::SQS::Queue": (model.queues, self.queue),
            "AWS::Events::EventBus": (model.event_buses, self.event_bus),
            "AWS::Events::Rule": (model.rules, self.rule),
            "AWS::Serverless::Function": (model.functions, self.function),
            "AWS::Serverless::StateMachine": (model.state_machines, self.state_machine),
            "AWS::StepFunctions::StateMachine": (model.state_machines, self.state_machine),
            "AWS::Serverless::Api": (model.apis, self.api),
            "AWS::Cognito::UserPool": (model.user_pools, self.user_pool),
            "AWS::Cognito::UserPoolClient": (model.user_pool_clients, self.user_pool_client),
        }
        mappings: list[tuple[str, SqsEventSource]] = []  # (function name, source)
        for stack in self.r.stacks():
            for logical_id, resource in self.r.active_resources(stack):
                kind = resource["Type"]
                if kind == "AWS::Lambda::EventSourceMapping":
                    mapping = self.event_source_mapping(stack, logical_id, resource)
                    if mapping is not None:
                        mappings.append(mapping)
                elif kind in builders:
                    target, build = builders[kind]
                    target.append(build(stack, logical_id, resource))
                elif kind not in NESTED_STACK_TYPES:
                    model.ignored.append((stack.name, logical_id, kind))
        for function_name, source in mappings:
            function = model.function(function_name)
            model.functions[model.functions.index(function)] = dataclasses.replace(
                function, sqs_event_sources=[*function.sqs_event_sources, source]
            )
        model.ignored.extend(self.ignored)
        root_outputs = self.r.root.section("Outputs")
        for name, output in root_outputs.items():
            condition = output.get("Condition")
            if condition is None or self.r.condition(self.r.root, condition):
                model.outputs[name] = self.r.evaluate(self.r.root, output["Value"])
        return model

    def props(self, stack: Stack, resource: dict[str, Any]) -> dict[str, Any]:
        return self.r.evaluate(stack, resource.get("Properties", {}))

    def ssm_parameter(
        self, stack: Stack, logical_id: str, resource: dict[str, Any]
    ) -> SsmParameter:
        props = self.props(stack, resource)
        return SsmParameter(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            type=props.get("Type", "String"),
            value=str(props["Value"]),
        )

    def table(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> Table:
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

    def queue(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> Queue:
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

    def event_bus(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> EventBus:
        return EventBus(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            arn=self.r.get_att(stack, logical_id, "Arn"),
        )

    def rule(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> Rule:
        props = self.props(stack, resource)
        if "ScheduleExpression" in props and "EventPattern" not in props:
            raise TemplateError(f"{stack.name}: {logical_id}: scheduled rules are not emulated")
        bus = str(props.get("EventBusName", "default"))
        if bus.startswith("arn:"):
            bus = bus.rsplit("/", 1)[-1]
        targets = []
        for target in props.get("Targets", []):
            if str(target["Arn"]).split(":")[2:3] == ["sns"]:  # operators' topics: not emulated
                where = f"{logical_id}.Targets.{target['Id']}"
                self.ignored.append((stack.name, where, "target:sns"))
            else:
                targets.append(target)
        return Rule(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            event_bus_name=bus,
            event_pattern=props["EventPattern"],
            state=props.get("State", "ENABLED"),
            targets=targets,
        )

    def function(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> Function:
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
            schedules=self.schedules(props),
        )

    def sqs_event_sources(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> list[SqsEventSource]:
        """The function's SQS events; types other than SQS and Schedule are listed as ignored,
        loudly."""
        sources: list[SqsEventSource] = []
        for event_name, event in (props.get("Events") or {}).items():
            if event.get("Type") == "Schedule":
                continue
            if event.get("Type") != "SQS":
                self.ignored.append(
                    (stack.name, f"{logical_id}.Events.{event_name}", f"event:{event.get('Type')}")
                )
                continue
            properties = event["Properties"]
            sources.append(_sqs_event_source(properties["Queue"], properties))
        return sources

    def event_source_mapping(
        self, stack: Stack, logical_id: str, resource: dict[str, Any]
    ) -> tuple[str, SqsEventSource] | None:
        """(function name, its SQS source); None, listed as ignored, for any other source."""
        props = self.props(stack, resource)
        source_arn = str(props.get("EventSourceArn", ""))
        if source_arn.split(":")[2:3] != ["sqs"]:
            self.ignored.append((stack.name, logical_id, "event:EventSourceMapping"))
            return None
        return str(props["FunctionName"]), _sqs_event_source(source_arn, props)

    @staticmethod
    def schedules(props: dict[str, Any]) -> list[ScheduleEventSource]:
        return [
            ScheduleEventSource(
                name=event_name,
                expression=event["Properties"]["Schedule"],
                enabled=bool(event["Properties"].get("Enabled", True)),
            )
            for event_name, event in (props.get("Events") or {}).items()
            if event.get("Type") == "Schedule"
        ]

    def state_machine(
        self, stack: Stack, logical_id: str, resource: dict[str, Any]
    ) -> StateMachine:
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

    def user_pool(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> UserPool:
        props = self.props(stack, resource)
        return UserPool(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            id=self.r.ref(stack, logical_id),
            arn=self.r.get_att(stack, logical_id, "Arn"),
            settings={k: v for k, v in props.items() if k not in ("UserPoolName", "UserPoolTags")},
        )

    def user_pool_client(
        self, stack: Stack, logical_id: str, resource: dict[str, Any]
    ) -> UserPoolClient:
        props = self.props(stack, resource)
        return UserPoolClient(
            stack=stack.name,
            logical_id=logical_id,
            name=self.r.physical_name(stack, logical_id),
            id=self.r.ref(stack, logical_id),
            user_pool_id=str(props["UserPoolId"]),
            settings={k: v for k, v in props.items() if k not in ("UserPoolId", "ClientName")},
        )

    def api(self, stack: Stack, logical_id: str, resource: dict[str, Any]) -> Api:
        props = self.props(stack, resource)
        body = props.get("DefinitionBody")
        if not isinstance(body, dict):
            raise TemplateError(f"{stack.name}: {logical_id}: needs an inline DefinitionBody")
        if "Auth" in props:
            raise TemplateError(f"{logical_id}: SAM's Auth is not read; put it in DefinitionBody")
        authorizers = _cognito_authorizers(body, f"{stack.name}: {logical_id}")
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
                security = operation.get("security", body.get("security")) or []
                routes.append(
                    ApiRoute(
                        method=verb,
                        resource=path,
                        function_arn=match["arn"],
                        authorizer=_required_authorizer(
                            security, authorizers, f"{logical_id} {method} {path}"
                        ),
                    )
                )
        return Api(
            stack=stack.name,
            logical_id=logical_id,
            rest_api_id=self.r.ref(stack, logical_id),
            stage_name=str(props.get("StageName", "Prod")),
            routes=routes,
            authorizers=authorizers,
            cors=_cors(props.get("Cors")),
            gateway_response_headers={
                kind: {name: _unquoted(value) for name, value in headers.items()}
                for kind, response in (props.get("GatewayResponses") or {}).items()
                if (headers := (response.get("ResponseParameters") or {}).get("Headers"))
            },
        )


def _unquoted(value: Any) -> str:
    """SAM's CORS and gateway response values are API Gateway mapping literals: 'value'."""
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _cors(cors: Any) -> ApiCors | None:
    """SAM's `Cors`: a string (the allowed origin) or its properties."""
    if cors is None:
        return None
    if isinstance(cors, str):
        return ApiCors(allow_origin=_unquoted(cors))
    optional = {
        "allow_headers": cors.get("AllowHeaders"),
        "allow_methods": cors.get("AllowMethods"),
        "max_age": cors.get("MaxAge"),
    }
    return ApiCors(
        allow_origin=_unquoted(cors["AllowOrigin"]),
        **{name: _unquoted(value) for name, value in optional.items() if value is not None},
    )


def _cognito_authorizers(body: dict[str, Any], where: str) -> dict[str, CognitoAuthorizer]:
    """The definition's security schemes (OpenAPI 3 or Swagger 2) that are user pool authorizers;
    any other API Gateway authorizer (Lambda, IAM) is not emulated, so it is an error."""
    schemes = body.get("components", {}).get("securitySchemes") or body.get(
        "securityDefinitions", {}
    )
    authorizers = {}
    for name, scheme in schemes.items():
        kind = scheme.get("x-amazon-apigateway-authtype")
        settings = scheme.get("x-amazon-apigateway-authorizer", {})
        if kind != "cognito_user_pools" or settings.get("type") != "cognito_user_pools":
            raise TemplateError(f"{where}: security scheme {name} ({kind}) is not emulated")
        if scheme.get("in") != "header" or "identityValidationExpression" in settings:
            raise TemplateError(f"{where}: {name}: only a header token, without validation regex")
        header = str(settings.get("identitySource", scheme["name"]))
        authorizers[name] = CognitoAuthorizer(
            name=name,
            header=header.removeprefix("method.request.header."),
            user_pool_arns=[str(arn) for arn in settings["providerARNs"]],
        )
    return authorizers


def _required_authorizer(
    security: list[dict[str, list[str]]], authorizers: dict[str, CognitoAuthorizer], where: str
) -> str | None:
    """The authorizer an operation's `security` asks for: none, or one user pool authorizer
    without scopes (with scopes API Gateway wants access tokens, which is not emulated)."""
    if not security:
        return None
    if len(security) != 1 or len(security[0]) != 1:
        raise TemplateError(f"{where}: one security requirement of one scheme is emulated")
    [(name, scopes)] = security[0].items()
    if name not in authorizers:
        raise TemplateError(f"{where}: security scheme {name} is not defined")
    if scopes:
        raise TemplateError(f"{where}: authorization scopes (access tokens) are not emulated")
    return name


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

    return SUB_VARIABLE.sub(replace, definition)


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
    root = load_stack(Path(template_path).resolve(), stack_name, dict(parameters or {}), None)
    unknown = set(parameters or {}) - set(root.template.get("Parameters", {}))
    if unknown:
        raise TemplateError(f"unknown root parameters: {sorted(unknown)}")
    return ModelBuilder(Resolver(root, extra_ssm or {})).model


def _sqs_event_source(queue_arn: str, properties: dict[str, Any]) -> SqsEventSource:
    """A SAM `Type: SQS` event's properties or an EventSourceMapping's: the same names."""
    return SqsEventSource(
        queue_arn=queue_arn,
        batch_size=int(properties.get("BatchSize", 10)),
        maximum_batching_window_seconds=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures"
        in properties.get("FunctionResponseTypes", []),
        enabled=bool(properties.get("Enabled", True)),
    )
