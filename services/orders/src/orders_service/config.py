"""Typed configuration: each function's environment, read once at init into a model.

A missing or malformed variable fails the cold start with a message naming it, instead of a
KeyError at import or a wrong value at the first request. The `Settings` base is copied on
purpose into every service (tests/services/test_service_shape.py keeps the copies identical).
"""

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """The function's environment is not what its template promises."""


class Settings(BaseModel):
    """Environment variables by name (the field alias); unrelated variables are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Self:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in error.errors(include_url=False, include_input=False)
            )
            raise ConfigurationError(f"{cls.__name__}: {problems}") from None


class OrdersTableSettings(Settings):
    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)


class OrdersApiSettings(OrdersTableSettings):
    checkout_state_machine_arn: str = Field(alias="CHECKOUT_STATE_MACHINE_ARN", min_length=1)
    quote_prices_function_arn: str = Field(alias="QUOTE_PRICES_FUNCTION_ARN", min_length=1)
    register_payment_function_arn: str = Field(alias="REGISTER_PAYMENT_FUNCTION_ARN", min_length=1)
    # Longer than the checkout workflow's worst case (tests/template checks it against the ASL).
    reconcile_after_seconds: int = Field(alias="RECONCILE_AFTER_SECONDS", ge=60)
    # The storefront's origin, which browsers may call the API from (CORS).
    allowed_origin: str = Field(alias="ALLOWED_ORIGIN", min_length=1)


class ReconcileOrdersSettings(OrdersTableSettings):
    checkout_state_machine_arn: str = Field(alias="CHECKOUT_STATE_MACHINE_ARN", min_length=1)
    refund_payment_function_arn: str = Field(alias="REFUND_PAYMENT_FUNCTION_ARN", min_length=1)
    release_stock_function_arn: str = Field(alias="RELEASE_STOCK_FUNCTION_ARN", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    event_source: str = Field(alias="EVENT_SOURCE", min_length=1)
