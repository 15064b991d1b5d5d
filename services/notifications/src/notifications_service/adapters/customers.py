"""Cognito adapter: where a customer's address is read, at the moment it is needed.

Events and the checkout carry only the customer id (the user pool's `sub`); the address lives
in the user pool, which owns it. An address changed after the order gets the email.
"""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from notifications_service.errors import CustomerDirectoryUnavailable

if TYPE_CHECKING:  # the stubs are a development dependency, not in the Lambda runtime
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class CognitoCustomers:
    def __init__(self, cognito_client: "CognitoIdentityProviderClient", user_pool_id: str):
        self._cognito = cognito_client
        self._user_pool_id = user_pool_id

    def verified_email(self, customer_id: str) -> str | None:
        """The customer's email if the pool holds a verified one; None for an unknown customer
        (an account deleted since the order) or an address never verified.

        AdminGetUser takes the `sub` as the username (email is the pool's sign-in attribute).
        """
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._user_pool_id, Username=customer_id)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "UserNotFoundException":
                return None
            raise CustomerDirectoryUnavailable(code) from None
        attributes = {a["Name"]: a.get("Value", "") for a in user.get("UserAttributes", [])}
        if attributes.get("email_verified") != "true":
            return None
        return attributes.get("email") or None
