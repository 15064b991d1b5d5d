"""The address an order is mailed to (the ID token's verified `email`) is taken only as SES
takes it, so an order is never placed with an address its mail cannot reach."""

import pytest
from pydantic import ValidationError

from orders_service.models import MAILABLE_ADDRESS, CreateOrderRequest
from tests.support.email_addresses import ACCEPTED, REFUSED


def mailable(address: str) -> bool:
    try:
        MAILABLE_ADDRESS.validate_python(address)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("address", ACCEPTED.values(), ids=list(ACCEPTED))
def test_an_address_ses_accepts_is_mailable(address):
    assert mailable(address)


@pytest.mark.parametrize("address", REFUSED.values(), ids=list(REFUSED))
def test_an_address_ses_refuses_is_not_mailable(address):
    assert not mailable(address)


@pytest.mark.parametrize("field", ["customerId", "email"])
def test_the_body_names_neither_the_customer_nor_their_address(field):
    body = {"paymentToken": "tok_visa", "items": [{"sku": "SKU-MUG-WHT-12OZ", "quantity": 1}]}
    CreateOrderRequest.model_validate(body)
    with pytest.raises(ValidationError) as refused:
        CreateOrderRequest.model_validate({**body, field: "x"})
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [
        ((field,), "extra_forbidden")
    ]
