"""Reads the SAM templates in tests, so test tables are built from the IaC, never beside it."""

import re
from pathlib import Path

from localrun.template import load_template as read_template

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_TEMPLATE = "platform/template.yaml"
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/template.yaml"))
# The platform calls a service's function by its fixed name: ecommerce-<env>-<function>.
FIXED_FUNCTION_NAME = re.compile(r"ecommerce-\$\{Environment\}-(?P<function>[a-z0-9-]+)")

# CloudFormation properties that create_table takes under the same name and shape.
_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
)


def load_template(path: str | Path) -> dict:
    """A template by its path from the repository root, e.g. "services/orders/template.yaml".

    The local runner's reader: tests and the local run see the templates the same way.
    """
    return read_template(ROOT / path)


def ssm_reference(name: str) -> str:
    """How a template reads SSM parameter `name` (a dynamic reference, resolved at deploy)."""
    return "{{resolve:ssm:" + name + "}}"


def service_functions() -> dict[str, tuple[str, str]]:
    """Every service function by its FunctionName (`ecommerce-${Environment}-<function>`): the
    (service folder, logical id) that owns it."""
    found = {}
    for service in SERVICES:
        resources = load_template(f"services/{service}/template.yaml")["Resources"]
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::Serverless::Function":
                found[resource["Properties"]["FunctionName"]["Fn::Sub"]] = (service, logical_id)
    return found


def function_named(reference) -> tuple[str, str]:
    """The (service folder, logical id) of the function a platform reference names: a `!Sub` of
    its ARN or name, or a plain string holding `ecommerce-${Environment}-<function>`."""
    text = reference["Fn::Sub"] if isinstance(reference, dict) else reference
    match = FIXED_FUNCTION_NAME.search(text)
    if match is None:
        raise LookupError(f"{reference!r} names no function by its fixed name")
    return service_functions()[match.group(0)]


def create_table(dynamodb, template_path: str | Path, logical_id: str, table_name: str = ""):
    """Creates the template's table `logical_id` through a (moto) boto3 DynamoDB resource, named
    `table_name` (default: the logical id, as the template's TableName is usually a !Sub).

    Keys, indexes, billing, streams and TTL come from the template, so a test cannot pass against
    a table the stack would not deploy. SSE and point-in-time recovery are left out: nothing a
    test does against moto can tell them apart. Returns the boto3 Table.
    """
    properties = load_template(template_path)["Resources"][logical_id]["Properties"]
    name = table_name or logical_id
    table = dynamodb.create_table(
        TableName=name,
        **{key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties},
    )
    if "TimeToLiveSpecification" in properties:
        dynamodb.meta.client.update_time_to_live(
            TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
        )
    return table


def table_items(table) -> list[dict]:
    """Every item of a boto3 Table, all pages, read consistently: what a test compares before
    and after a call to prove what it wrote (or that it wrote nothing)."""
    items, kwargs = [], {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
