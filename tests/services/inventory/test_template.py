"""The template and the code must agree: handlers importable, outputs and policies as promised."""

import importlib

import pytest

FUNCTIONS = {
    "CatalogApiFunction": "catalog_api",
    "QuotePricesFunction": "quote_prices",
    "ReserveStockFunction": "reserve_stock",
    "CommitStockFunction": "commit_stock",
    "ReleaseStockFunction": "release_stock",
}


@pytest.mark.parametrize(("logical_id", "module_name"), FUNCTIONS.items())
def test_function_handler_and_policy(template, logical_id, module_name):
    resource = template["Resources"][logical_id]
    assert resource["Type"] == "AWS::Serverless::Function"
    handler_path = resource["Properties"]["Handler"]
    assert handler_path == f"inventory_service.handlers.{module_name}.handler"
    module = importlib.import_module(handler_path.rsplit(".", 1)[0])
    assert callable(module.handler)
    # Explicit statements only; tests/template/test_least_privilege.py checks what they grant.
    assert [next(iter(p)) for p in resource["Properties"]["Policies"]] == ["Statement"]
    assert "Events" not in resource["Properties"]
    assert template["Resources"][f"{logical_id}LogGroup"]["Type"] == "AWS::Logs::LogGroup"


def test_outputs_and_published_quote_arn(template):
    assert set(template["Outputs"]) == {f"{fn}Arn" for fn in FUNCTIONS} | {"InventoryTableName"}
    parameter = template["Resources"]["QuotePricesFunctionArnParameter"]
    assert parameter["Type"] == "AWS::SSM::Parameter"
    assert parameter["Properties"]["Type"] == "String"


def test_catalog_listing_index(template):
    properties = template["Resources"]["InventoryTable"]["Properties"]
    [index] = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byEntity"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["entity", "sku"]
