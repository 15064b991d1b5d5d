"""What a template's roles may do, as CloudFormation will create them: the SAM translator's
output, statement by statement, with the AWS managed policies SAM attaches spelled out.

moto does not apply the SAM transform, so this is the translator itself (aws-sam-translator,
the library `sam validate` and CloudFormation's transform run), offline.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from tests.support.cfn import ROOT, load_template

# Services whose actions read or change the application's data (or act on its behalf): these
# are held to named resources of the principal's own template. CloudWatch Logs and X-Ray are
# the runtime's telemetry, not data.
DATA_SERVICES = frozenset(
    {
        "dynamodb",
        "sqs",
        "sns",
        "s3",
        "ses",
        "secretsmanager",
        "ssm",
        "events",
        "states",
        "lambda",
        "kms",
        "kinesis",
        "cognito-idp",
    }
)

# The only AWS managed policies a role may carry, with their statements as AWS publishes them
# (IAM console, policy versions current in 2026), so every statement is checked the same way.
# Anything else (AWSLambdaSQSQueueExecutionRole, *FullAccess, ...) is refused.
ALLOWED_MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    # SAM attaches it to every function role: the function's own log stream.
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    # SAM attaches it for `Tracing: Active` (functions) and `Tracing.Enabled` (state machines).
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}

_PRINCIPAL_ROLE_PROPERTY = {
    "AWS::Lambda::Function": "Role",
    "AWS::StepFunctions::StateMachine": "RoleArn",
}
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Grant:
    """One action a role allows on one resource (a CloudFormation expression)."""

    action: str
    resource: Any
    managed_policy: str | None = None  # the AWS managed policy it comes from, if any


@dataclass
class Principal:
    """A function or state machine of a template, and what its role allows."""

    logical_id: str
    grants: list[Grant]
    refused_managed_policies: list[str]


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The template as `sam package` leaves it: local code, layers, ASL and nested templates
    uploaded to S3 (the translator refuses local paths; none of them changes what a role may
    do)."""
    template = copy.deepcopy(template)
    function_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = "s3://artifacts/code.zip"
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = "s3://artifacts/code.zip"
        if isinstance(properties.get("ContentUri"), str):
            properties["ContentUri"] = "s3://artifacts/layer.zip"
        if isinstance(properties.get("DefinitionUri"), str):
            properties["DefinitionUri"] = "s3://artifacts/definition.asl.json"
        if resource["Type"] == "AWS::Serverless::Application":
            properties["Location"] = "https://s3.amazonaws.com/artifacts/nested.yaml"
    return template


def translate(template: dict[str, Any] | str) -> dict[str, Any]:
    """The CloudFormation template SAM's transform makes of `template` (a dict, or a path
    from the repository root)."""
    source = load_template(template) if isinstance(template, str) else template
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        boto_session=boto3.session.Session(region_name="us-east-1"),
    )
    # Policy names that are not SAM policy templates would be looked up in IAM: none resolve
    # here, so they stay as written and are refused as unknown managed policies.
    return translator.translate(packaged(source), parameter_values={}, get_managed_policy_map=dict)


def principals(translated: dict[str, Any]) -> dict[str, Principal]:
    """Each function and state machine of a translated template, by its SAM logical id."""
    resources = translated["Resources"]
    found = {}
    for logical_id, resource in resources.items():
        role_property = _PRINCIPAL_ROLE_PROPERTY.get(resource["Type"])
        if role_property is None:
            continue
        role_ref = resource["Properties"][role_property]
        role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
        grants: list[Grant] = []
        refused = []
        for policy in role.get("Policies", []):
            grants.extend(_grants(policy["PolicyDocument"]["Statement"]))
        for arn in role.get("ManagedPolicyArns", []):
            name = arn if isinstance(arn, str) else repr(arn)
            if name in ALLOWED_MANAGED_POLICIES:
                grants.extend(_grants(ALLOWED_MANAGED_POLICIES[name], managed_policy=name))
            else:
                refused.append(name)
        found[logical_id] = Principal(logical_id, grants, refused)
    return found


def _grants(statements: Any, managed_policy: str | None = None) -> list[Grant]:
    grants = []
    for statement in statements if isinstance(statements, list) else [statements]:
        assert statement.get("Effect") == "Allow", f"only Allow statements expected: {statement}"
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                grants.append(Grant(action, resource, managed_policy))
    return grants


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def service_of(action: str) -> str:
    return action.split(":", 1)[0]


def references(expression: Any) -> set[str]:
    """The logical ids and parameters an expression names (Ref, GetAtt, Sub), pseudo
    parameters and Sub's own variables left out."""
    if isinstance(expression, list):
        return set().union(*(references(item) for item in expression)) if expression else set()
    if not isinstance(expression, dict):
        return set()
    if "Ref" in expression:
        name = expression["Ref"]
        return set() if name.startswith("AWS::") else {name}
    if "Fn::GetAtt" in expression:
        target = expression["Fn::GetAtt"]
        return {target[0] if isinstance(target, list) else target.split(".")[0]}
    if "Fn::Sub" in expression:
        sub = expression["Fn::Sub"]
        text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
        named = {name.split(".")[0] for name in _SUB_NAME.findall(text)}
        named = {name for name in named if not name.startswith("AWS::")} - set(variables)
        return named | references(list(variables.values()))
    return references(list(expression.values()))


def literal_text(expression: Any) -> str:
    """The characters an expression writes itself (what a wildcard could hide in)."""
    if isinstance(expression, str):
        return expression
    if isinstance(expression, list):
        return " ".join(literal_text(item) for item in expression)
    if isinstance(expression, dict):
        if "Ref" in expression or "Fn::GetAtt" in expression:
            return ""
        if "Fn::Sub" in expression:
            sub = expression["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            return _SUB_NAME.sub("", text) + " " + literal_text(list(variables.values()))
        return literal_text(list(expression.values()))
    return ""


def iam_actions_of_call(call: dict[str, Any]) -> set[str]:
    """The IAM actions one recorded API call (localrun's AWS call log) needs.

    DynamoDB authorizes a transaction by the actions of its parts; Lambda's Invoke operation is
    the lambda:InvokeFunction action. Every other operation is its own action.
    """
    operation = f"{call['service']}:{call['operation']}"
    if operation == "lambda:Invoke":
        return {"lambda:InvokeFunction"}
    if operation in ("dynamodb:TransactWriteItems", "dynamodb:TransactGetItems"):
        item_actions = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem",
        }
        return {f"dynamodb:{item_actions[part]}" for part in call["parts"]}
    return {operation}


def recorded_actions(function_by_name: Callable[[str], Any], calls: Path) -> set[tuple[str, str]]:
    """(function logical id, IAM action) of every call in a localrun AWS call log.
    `function_by_name` maps a function's name to an object with its `logical_id`
    (`AppModel.function`)."""
    recorded = set()
    for line in calls.read_text().splitlines() if calls.exists() else []:
        call = json.loads(line)
        function = function_by_name(call["function"]).logical_id
        recorded.update((function, action) for action in iam_actions_of_call(call))
    return recorded


def ungranted_calls(function_by_name: Callable[[str], Any], calls: Path) -> set[tuple[str, str]]:
    """The recorded (function, action) pairs that the function's role (in the service
    templates) does not grant."""
    granted = granted_data_actions()
    return {
        (function, action)
        for function, action in recorded_actions(function_by_name, calls)
        if action not in granted.get(function, set())
    }


@functools.cache
def granted_data_actions() -> dict[str, set[str]]:
    """Per function logical id (all services), the data actions its translated role grants."""
    templates = sorted(ROOT.glob("services/*/template.yaml"))
    return {
        logical_id: {g.action for g in principal.grants if service_of(g.action) in DATA_SERVICES}
        for template in templates
        for logical_id, principal in principals(translate(str(template.relative_to(ROOT)))).items()
    }
