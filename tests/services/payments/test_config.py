"""The functions' environment, read once at init: what is missing or malformed fails the cold
start with a message naming the variable (PAYMENT_PROVIDER: test_provider_selection.py)."""

import pytest

from payments_service.config import ConfigurationError, PaymentsSettings

ENVIRONMENT = {"PAYMENTS_TABLE_NAME": "payments-test", "PAYMENT_PROVIDER": "simulated"}


def test_settings_come_from_the_template_variables():
    settings = PaymentsSettings.from_environment(ENVIRONMENT | {"UNRELATED": "x"})

    assert (settings.payments_table_name, settings.payment_provider) == (
        "payments-test",
        "simulated",
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"PAYMENT_PROVIDER": "simulated"}, "PAYMENTS_TABLE_NAME: Field required"),
        (ENVIRONMENT | {"PAYMENTS_TABLE_NAME": ""}, "PAYMENTS_TABLE_NAME: String should have"),
    ],
)
def test_a_missing_or_malformed_variable_is_named(environment, message):
    with pytest.raises(ConfigurationError, match=f"^PaymentsSettings: .*{message}"):
        PaymentsSettings.from_environment(environment)
