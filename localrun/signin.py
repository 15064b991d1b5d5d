"""Customers' accounts in the local user pool (moto's cognito-idp), and signing them in.

An account is created as an administrator would (AdminCreateUser with the address already
verified, no invitation mail, then AdminSetUserPassword), and signed in with the app client's
USER_PASSWORD_AUTH flow, as `aws cognito-idp initiate-auth` does. Local accounts only: every one
gets LOCAL_PASSWORD unless told otherwise.
"""

from __future__ import annotations

import contextlib
from typing import Any

# Meets the template's password policy (12 characters, upper and lower case, a digit).
LOCAL_PASSWORD = "Local-checkout-1"


def create_customer(cognito: Any, user_pool_id: str, email: str, password: str) -> None:
    """The account `email` with `password`, its address verified; an existing one keeps its
    attributes and gets `password`."""
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True
    )


def sign_in(
    cognito: Any, user_pool_id: str, client_id: str, email: str, password: str = LOCAL_PASSWORD
) -> dict[str, Any]:
    """InitiateAuth's AuthenticationResult for `email`, whose account is created on first use."""
    try:
        return _password_auth(cognito, client_id, email, password)
    except cognito.exceptions.UserNotFoundException:  # moto tells; Cognito's pool would not
        create_customer(cognito, user_pool_id, email, password)
        return _password_auth(cognito, client_id, email, password)


def _password_auth(cognito: Any, client_id: str, email: str, password: str) -> dict[str, Any]:
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return answer["AuthenticationResult"]
