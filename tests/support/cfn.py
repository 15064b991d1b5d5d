"""Reads the SAM templates in tests, so test tables are built from the IaC, never beside it."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _CfnLoader(yaml.SafeLoader):
    """Accepts CloudFormation short tags (!Ref, !Sub, ...) as {"Fn::X": value} mappings."""


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: str | Path) -> dict:
    with open(ROOT / path) as handle:
        return yaml.load(handle, Loader=_CfnLoader)


def create_tables(dynamodb_client, template_path: str | Path) -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of a template; returns {logical id: table name}."""
    names = {}
    for logical_id, resource in load_template(template_path)["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        spec = {
            "TableName": logical_id,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb_client.create_table(**spec)
        names[logical_id] = logical_id
    return names


def table_items(dynamodb_resource, table_name: str) -> list[dict]:
    return dynamodb_resource.Table(table_name).scan(ConsistentRead=True)["Items"]
