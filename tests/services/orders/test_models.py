"""The API body's rules that the published document must state exactly as the handler applies
them: the document's schema of an email address refuses and accepts what the model does."""

import re

import pytest
from pydantic import ValidationError

from orders_service.models import CreateOrderRequest
from tests.support.email_addresses import ACCEPTED, REFUSED

VALID = {
    "customerId": "cust-0001",
    "email": "ada@example.com",
    "paymentToken": "tok_visa",
    "items": [{"sku": "SKU-MUG-WHT-12OZ", "quantity": 1}],
}


def accepts(address: str) -> bool:
    try:
        CreateOrderRequest.model_validate({**VALID, "email": address})
    except ValidationError:
        return False
    return True


def document_accepts(address: str) -> bool:
    """What the JSON Schema of the email field says, its patterns read by Python's re as
    ECMA-262 reads them (these are ASCII; only a final $ differs: ECMA's is the very end)."""
    schema = CreateOrderRequest.model_json_schema()["properties"]["email"]
    patterns = [schema["pattern"], *(part["pattern"] for part in schema["allOf"])]
    return len(address) <= schema["maxLength"] and all(
        re.search(re.sub(r"\$$", r"\\Z", pattern), address) for pattern in patterns
    )


@pytest.mark.parametrize("address", ACCEPTED.values(), ids=list(ACCEPTED))
def test_an_address_ses_accepts_is_accepted_by_the_model_and_the_document(address):
    assert accepts(address)
    assert document_accepts(address)


@pytest.mark.parametrize("address", REFUSED.values(), ids=list(REFUSED))
def test_an_address_ses_refuses_is_refused_by_the_model_and_the_document(address):
    assert not accepts(address)
    assert not document_accepts(address)
