"""The user pool authorizer's decisions on tokens it is handed (the e2e tests drive it over
HTTP against moto; these look at what it passes on and how it reads the header)."""

import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localrun.authorizer import EXPIRED, UNAUTHORIZED, Refusal, UserPoolAuthorizer
from localrun.template import load_app

ROOT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def model():
    return load_app(ROOT_TEMPLATE)


@pytest.fixture
def authorizer(model, monkeypatch):
    """The API's authorizer, the pool's JWKS answering with KEY's public half as kid k1."""
    public = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    jwks = {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda client: jwks)
    [api] = model.apis
    jwks_url = "http://127.0.0.1:9/{}/.well-known/jwks.json".format
    return UserPoolAuthorizer(api.authorizers["CustomerSignIn"], model, jwks_url)


def id_token(model, **changes) -> str:
    pool = model.user_pool()
    [client] = model.clients_of(pool)
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool.id}",
        "sub": "5a8ac02e-14ae-4429-b5f0-eabacd81de7e",
        "aud": client.id,
        "token_use": "id",
        "auth_time": 1796170000,
        "iat": 1796170000,
        "exp": 4102444800,  # 2100-01-01
        "email": "ada@example.com",
        "email_verified": True,
        **changes,
    }
    # Signed as given (jwt.encode would refuse some of the malformed claims tested here).
    payload = json.dumps(claims).encode()
    return jwt.api_jws.encode(payload, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_claims_reach_the_function_as_api_gateway_writes_them(authorizer, model):
    claims = authorizer.authorize([("authorization", id_token(model))])

    assert claims["sub"] == "5a8ac02e-14ae-4429-b5f0-eabacd81de7e"
    assert claims["email_verified"] == "true"
    assert claims["auth_time"] == "1796170000"
    assert claims["exp"] == "Fri Jan 01 00:00:00 UTC 2100"
    assert claims["iat"] == "Wed Dec 02 00:06:40 UTC 2026"
    assert all(isinstance(value, str) for value in claims.values())


def test_the_header_is_found_in_any_case_with_or_without_bearer(authorizer, model):
    token = id_token(model)
    for header in [("Authorization", token), ("AUTHORIZATION", f"Bearer {token}")]:
        assert isinstance(authorizer.authorize([header]), dict)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": 1000}, EXPIRED),
        ({"token_use": "access"}, UNAUTHORIZED),
        ({"aud": "another-client"}, UNAUTHORIZED),
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, UNAUTHORIZED),
        ({"iss": ["not", "a", "string"]}, UNAUTHORIZED),
        ({"sub": None}, UNAUTHORIZED),
    ],
    ids=["expired", "access token", "another client", "another pool", "issuer a list", "no sub"],
)
def test_a_token_api_gateway_refuses_is_refused_with_its_message(
    authorizer, model, changes, message
):
    assert authorizer.authorize([("Authorization", id_token(model, **changes))]) == Refusal(
        401, message
    )
