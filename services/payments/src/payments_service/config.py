"""Typed configuration: each function's environment, read once at init into a model.

A missing or malformed variable fails the cold start with a message naming it, instead of a
KeyError at import or a wrong value at the first request. The `Settings` base is copied on
purpose into every service (tests/services/test_service_shape.py keeps the copies identical).
"""

import os
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)


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


class PaymentsTableSettings(Settings):
    """RegisterPayment's environment: the table only (it calls no provider)."""

    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)


class PaymentsSettings(PaymentsTableSettings):
    """The functions that call the provider (charge, capture, refund): the template gives them
    the same environment."""

    # The payment providers there are. No default: a payments function must never guess which
    # provider takes the money.
    payment_provider: Literal["stripe", "simulated"] = Field(alias="PAYMENT_PROVIDER")
    # The Secrets Manager secret holding Stripe's secret key (never the key itself).
    stripe_secret_name: str = Field(alias="STRIPE_SECRET_NAME", default="")
    # Where the Stripe SDK sends its requests instead of api.stripe.com: the local run's fake
    # Stripe. The template declares it blank (for `sam local invoke --env-vars`), which is unset.
    stripe_api_base: HttpUrl | None = Field(alias="STRIPE_API_BASE", default=None)

    @field_validator("stripe_api_base", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="before")
    @classmethod
    def _unset_provider_reads_as_empty(cls, environment: dict[str, Any]) -> dict[str, Any]:
        """So an unset PAYMENT_PROVIDER fails like a wrong one: naming the allowed values."""
        return {"PAYMENT_PROVIDER": ""} | environment

    @model_validator(mode="after")
    def _stripe_needs_its_secret(self) -> Self:
        if self.payment_provider == "stripe" and not self.stripe_secret_name:
            raise ValueError("STRIPE_SECRET_NAME must name the secret when PAYMENT_PROVIDER=stripe")
        return self
