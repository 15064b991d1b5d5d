"""SendNotificationFunction's settings: read once at init, a missing variable named."""

import gc
import importlib.util

import pytest

from notifications_service.config import ConfigurationError, SendNotificationSettings

ENVIRONMENT = {
    "NOTIFICATIONS_TABLE_NAME": "notifications-test",
    "SENDER_EMAIL": "orders@x.com",
    "USER_POOL_ID": "us-east-1_Abc",
}


def test_reads_the_table_the_sender_and_the_user_pool():
    settings = SendNotificationSettings.from_environment({**ENVIRONMENT, "LOG_LEVEL": "INFO"})

    assert settings.notifications_table_name == "notifications-test"
    assert settings.sender_email == "orders@x.com"
    assert settings.user_pool_id == "us-east-1_Abc"


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_or_empty_variable_fails_naming_it(name, value):
    environment = {**ENVIRONMENT, name: value}
    if value is None:
        del environment[name]

    with pytest.raises(ConfigurationError, match=rf"^SendNotificationSettings: {name}: "):
        SendNotificationSettings.from_environment(environment)


def test_the_handler_fails_its_cold_start_naming_the_variable(monkeypatch):
    monkeypatch.delenv("SENDER_EMAIL")
    # A fresh copy of the module, as a new execution environment would run it.
    spec = importlib.util.find_spec("notifications_service.handlers.send_notification")
    assert spec is not None and spec.loader is not None
    try:
        with pytest.raises(ConfigurationError, match="SendNotificationSettings: SENDER_EMAIL: "):
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
    finally:
        gc.enable()  # the handlers package turns it off for init, and this init never ended
