"""API Gateway's Cognito user pool authorizer (REST API), in front of the routes that ask for it.

What API Gateway checks for a `cognito_user_pools` authorizer without OAuth scopes, and how it
answers, reproduced here against the pools' keys as moto serves them (Cognito's JWKS URL):

- the token is read from the scheme's header (Authorization), with or without "Bearer ";
  missing or empty -> 401 {"message": "Unauthorized"};
- it is a JWT signed RS256 by a key of the pool that issued it (`kid` in the pool's JWKS), and
  that pool is one of the authorizer's providers (`iss`) -> else 401 Unauthorized;
- it has not expired -> else 401 {"message": "The incoming token has expired"};
- it is an ID token (`token_use` = id: with no scopes on the method, API Gateway takes ID
  tokens only) issued to an app client of that pool (`aud`) -> else 401 Unauthorized.

The function then gets the token's claims in `requestContext.authorizer.claims`, every value a
string as API Gateway sends them (`exp`/`iat` as "Wed Dec 02 01:22:34 UTC 2026").
API Gateway caches an authorizer's result for the same token (300 s by default); this does not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from localrun.template import REGION, AppModel
from localrun.template.model import CognitoAuthorizer

LOG = logging.getLogger("localrun.authorizer")
UNAUTHORIZED = "Unauthorized"
EXPIRED = "The incoming token has expired"


@dataclass(frozen=True)
class Refusal:
    """What API Gateway answers instead of calling the function."""

    status: int
    message: str
    error_type: str = "UnauthorizedException"


@dataclass(frozen=True)
class _Pool:
    issuer: str
    client_ids: frozenset[str]
    keys: jwt.PyJWKClient


class UserPoolAuthorizer:
    """One `cognito_user_pools` authorizer of the API: its header and its pools' keys."""

    def __init__(
        self, authorizer: CognitoAuthorizer, model: AppModel, jwks_url: Callable[[str], str]
    ):
        """`jwks_url(user_pool_id)`: where that pool's keys are served (the emulator's URL)."""
        self.header = authorizer.header.lower()
        self._pools: dict[str, _Pool] = {}
        for arn in authorizer.user_pool_arns:
            pool = model.user_pool(arn)
            issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool.id}"
            self._pools[issuer] = _Pool(
                issuer=issuer,
                client_ids=frozenset(c.id for c in model.clients_of(pool)),
                keys=jwt.PyJWKClient(jwks_url(pool.id), cache_keys=True, lifespan=3600),
            )

    def authorize(self, headers: list[tuple[str, str]]) -> dict[str, str] | Refusal:
        """The claims to hand the function, or API Gateway's refusal."""
        values = [value for name, value in headers if name.lower() == self.header]
        token = values[-1].strip() if values else ""
        token = token.removeprefix("Bearer ").strip()
        if not token:
            return Refusal(401, UNAUTHORIZED)
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            pool = self._pools.get(issuer) if isinstance(issuer, str) else None
            if pool is None:
                raise jwt.InvalidIssuerError("not a token of this authorizer's user pools")
            key = pool.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=pool.issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            return Refusal(401, EXPIRED)
        except jwt.PyJWTError as error:
            LOG.info("token refused: %s", error)
            return Refusal(401, UNAUTHORIZED)
        if claims["token_use"] != "id" or claims.get("aud") not in pool.client_ids:
            LOG.info("token refused: token_use %s, aud %s", claims["token_use"], claims.get("aud"))
            return Refusal(401, UNAUTHORIZED)
        return {name: _as_api_gateway_string(name, value) for name, value in claims.items()}


def _as_api_gateway_string(name: str, value: Any) -> str:
    """A claim as API Gateway passes it: strings as they are, times as dates, booleans in
    lower case, numbers as digits; lists and maps (none in this pool's ID tokens) as JSON."""
    if name in ("exp", "iat") and isinstance(value, int):
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
