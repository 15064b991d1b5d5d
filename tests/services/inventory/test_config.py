"""Each function reads its environment once, at init, and a missing variable stops the cold start
with a message naming it."""

import os
import subprocess
import sys

import pytest

from inventory_service.config import ConfigurationError, InventorySettings
from tests.support.cfn import ROOT

HANDLERS = ["catalog_api", "quote_prices", "reserve_stock", "commit_stock", "release_stock"]


def test_settings_read_the_table_name():
    settings = InventorySettings.from_environment({"INVENTORY_TABLE_NAME": "t", "OTHER": "x"})
    assert settings.inventory_table_name == "t"


@pytest.mark.parametrize("environment", [{}, {"INVENTORY_TABLE_NAME": ""}])
def test_settings_name_a_missing_or_empty_variable(environment):
    with pytest.raises(ConfigurationError, match="InventorySettings: INVENTORY_TABLE_NAME"):
        InventorySettings.from_environment(environment)


@pytest.mark.parametrize("module", HANDLERS)
def test_handler_init_fails_naming_the_missing_variable(module):
    environment = {
        name: value for name, value in os.environ.items() if name != "INVENTORY_TABLE_NAME"
    }
    init = subprocess.run(
        [sys.executable, "-c", f"import inventory_service.handlers.{module}"],
        cwd=ROOT / "services/inventory/src",
        env=environment,
        capture_output=True,
        text=True,
    )
    assert init.returncode != 0
    settings = "CatalogApiSettings" if module == "catalog_api" else "InventorySettings"
    assert f"ConfigurationError: {settings}: INVENTORY_TABLE_NAME" in init.stderr


def test_the_catalog_api_init_fails_without_the_storefronts_origin():
    environment = {name: value for name, value in os.environ.items() if name != "ALLOWED_ORIGIN"}
    init = subprocess.run(
        [sys.executable, "-c", "import inventory_service.handlers.catalog_api"],
        cwd=ROOT / "services/inventory/src",
        env={**environment, "INVENTORY_TABLE_NAME": "t"},
        capture_output=True,
        text=True,
    )
    assert init.returncode != 0
    assert "ConfigurationError: CatalogApiSettings: ALLOWED_ORIGIN" in init.stderr
