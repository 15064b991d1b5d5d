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


def test_the_stripe_api_base_is_a_url_or_absent():
    assert PaymentsSettings.from_environment(ENVIRONMENT).stripe_api_base is None
    # The template declares it blank (for sam local's env-vars): blank is absent.
    blank = ENVIRONMENT | {"STRIPE_API_BASE": ""}
    assert PaymentsSettings.from_environment(blank).stripe_api_base is None
    local = ENVIRONMENT | {"STRIPE_API_BASE": "http://127.0.0.1:8420"}
    assert str(PaymentsSettings.from_environment(local).stripe_api_base).startswith("http://127")
    with pytest.raises(ConfigurationError, match="STRIPE_API_BASE"):
        PaymentsSettings.from_environment(ENVIRONMENT | {"STRIPE_API_BASE": "not a url"})
