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


class SendNotificationSettings(Settings):
    """SendNotificationFunction's environment (services/notifications/template.yaml)."""

    # Holds the NOTIFICATION# records and the Powertools idempotency records.
    notifications_table_name: str = Field(alias="NOTIFICATIONS_TABLE_NAME", min_length=1)
    # A verified SES identity; the function's IAM policy lets it send from this address only.
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=1)
    # The user pool that signs customers in and holds their verified addresses.
    user_pool_id: str = Field(alias="USER_POOL_ID", min_length=1)
