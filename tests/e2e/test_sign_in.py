"""Sign-in over HTTP: the local API refuses what API Gateway's Cognito user pool authorizer
refuses, with its answers, before the orders function runs; a signed-in customer reaches their
own orders only. Every refusal writes nothing and starts nothing."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from localrun.signin import sign_in

MUG = "SKU-MUG-WHT-12OZ"
ORDER = {"paymentToken": "pm_card_visa", "items": [{"sku": MUG, "quantity": 1}]}
UNAUTHORIZED = {"message": "Unauthorized"}
EXPIRED = {"message": "The incoming token has expired"}


@pytest.fixture(scope="module")
def ada(shop):
    return shop.id_token("ada.signin@example.com")


@pytest.fixture(scope="module")
def adas_order(shop):
    placed = shop.place_order([{"sku": MUG, "quantity": 1}], email="ada.signin@example.com")
    assert placed.status == 202, placed.body
    return placed.body


@pytest.fixture
def nothing_written(app, shop):
    """The orders table and the executions, unchanged by the test's requests."""

    def state():
        orders = shop._table("OrdersTable").scan(ConsistentRead=True)["Items"]
        sfn = app.client("stepfunctions")
        executions = sfn.list_executions(stateMachineArn=app.state_machine_arn)["executions"]
        return len(orders), len(executions)

    before = state()
    yield
    assert state() == before


def call(shop, method, path, token=None, body=None, key="sign-in-test"):
    headers = {"Idempotency-Key": key}
    if token is not None:
        headers["Authorization"] = token
    return shop.request(method, path, body, headers)


def every_orders_route(shop, token, order_id="no-such-order"):
    return [
        call(shop, "POST", "/orders", token, ORDER),
        call(shop, "GET", "/orders", token),
        call(shop, "GET", f"/orders/{order_id}", token),
    ]


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def signed(claims: dict, key, kid: str = "dummy") -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def moto_signing_key():
    """The private key moto's user pools sign with (moto ships it; its JWKS serves the public
    half under kid "dummy")."""
    private = load_resource("cognitoidp/resources/jwks-private.json")
    return jwt.PyJWK(private, algorithm="RS256").key


@pytest.mark.parametrize("header", [None, "", "Bearer ", "not-a-jwt", "Bearer not.a.jwt"])
def test_no_readable_token_is_a_401_unauthorized(shop, nothing_written, header):
    for response in every_orders_route(shop, header):
        assert (response.status, response.body) == (401, UNAUTHORIZED)
        assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_the_token_is_taken_with_or_without_the_bearer_prefix(shop, ada, adas_order):
    for token in (ada, f"Bearer {ada}"):
        response = call(shop, "GET", f"/orders/{adas_order['orderId']}", token)
        assert (response.status, response.body["orderId"]) == (200, adas_order["orderId"])


def test_an_expired_token_is_a_401_saying_so(shop, ada, nothing_written):
    now = int(time.time())
    expired = signed({**claims_of(ada), "iat": now - 3700, "exp": now - 100}, moto_signing_key())

    for response in every_orders_route(shop, expired):
        assert (response.status, response.body) == (401, EXPIRED)


def test_the_same_claims_re_signed_by_the_pools_key_pass(shop, ada, adas_order):
    """The control for the refusals around it: minting works, so what they change is why."""
    resigned = signed({**claims_of(ada), "exp": int(time.time()) + 300}, moto_signing_key())
    assert call(shop, "GET", f"/orders/{adas_order['orderId']}", resigned).status == 200


def test_a_token_signed_by_another_key_under_the_pools_kid_is_a_401(shop, ada, nothing_written):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = signed(claims_of(ada), other_key)

    for response in every_orders_route(shop, forged):
        assert (response.status, response.body) == (401, UNAUTHORIZED)


def test_a_token_of_another_user_pool_is_a_401(app, shop, nothing_written):
    cognito = app.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="another-app", UsernameAttributes=["email"])
    pool_id = pool["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="another-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        ReadAttributes=["email", "email_verified"],
    )["UserPoolClient"]
    foreign = sign_in(cognito, pool_id, client["ClientId"], "mallory@example.com")["IdToken"]
    assert claims_of(foreign)["iss"].endswith(pool_id)

    for response in every_orders_route(shop, foreign):
        assert (response.status, response.body) == (401, UNAUTHORIZED)


def test_an_access_token_is_a_401_as_no_scopes_are_asked_for(app, shop, nothing_written):
    access = app.sign_in("ada.signin@example.com")["AccessToken"]
    assert claims_of(access)["token_use"] == "access"

    for response in every_orders_route(shop, access):
        assert (response.status, response.body) == (401, UNAUTHORIZED)


def test_an_id_token_for_another_audience_is_a_401(shop, ada, nothing_written):
    other_client = signed({**claims_of(ada), "aud": "another-app-client"}, moto_signing_key())

    for response in every_orders_route(shop, other_client):
        assert (response.status, response.body) == (401, UNAUTHORIZED)


def test_another_customers_order_is_a_404_exactly_as_an_unknown_one(
    shop, adas_order, nothing_written
):
    grace = shop.id_token("grace.signin@example.com")

    theirs = call(shop, "GET", f"/orders/{adas_order['orderId']}", grace)
    unknown = call(shop, "GET", "/orders/no-such-order", grace)

    assert (theirs.status, unknown.status) == (404, 404)
    assert theirs.body["message"].replace(adas_order["orderId"], "X") == unknown.body[
        "message"
    ].replace("no-such-order", "X")


def test_each_customer_lists_only_their_own_orders(shop, ada, adas_order):
    bob = shop.place_order([{"sku": MUG, "quantity": 1}], email="bob.signin@example.com")

    adas = call(shop, "GET", "/orders", ada).body["orders"]
    bobs = call(shop, "GET", "/orders", shop.id_token("bob.signin@example.com")).body["orders"]

    assert adas_order["orderId"] in {o["orderId"] for o in adas}
    assert [o["orderId"] for o in bobs] == [bob.body["orderId"]]
    assert {o["email"] for o in adas} == {"ada.signin@example.com"}


def test_the_order_is_the_tokens_customer_and_address(shop, ada, adas_order):
    claims = claims_of(ada)
    assert (adas_order["customerId"], adas_order["email"]) == (claims["sub"], claims["email"])


def test_the_catalog_needs_no_sign_in(shop):
    assert call(shop, "GET", "/products").status == 200
    assert call(shop, "GET", f"/products/{MUG}").status == 200
