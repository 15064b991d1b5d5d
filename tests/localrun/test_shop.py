"""The shop's HTTP client: retries only what the API answers as undecided, and says so."""

from types import SimpleNamespace

import pytest

from localrun.api import ApiGateway
from localrun.lambdas import FunctionErrorFault
from localrun.shop import Shop


@pytest.fixture
def api(fixture_model, lambdas):
    gateway = ApiGateway(fixture_model.apis[0], lambdas)
    gateway.start()
    yield SimpleNamespace(api_url=gateway.url)  # all of a LocalApp that requests use
    gateway.stop()


def test_an_undecided_answer_is_sent_again_when_retries_are_asked_for(api, lambdas):
    lambdas.inject("ApiFunction", FunctionErrorFault("Sandbox.Timedout"))

    response = Shop(api, retries=3).request("GET", "/items/1")

    assert (response.status, response.retried) == (200, [502])


def test_retries_end_with_the_last_answer(api):
    response = Shop(api, retries=1).request("GET", "/items/1?crash=1")

    assert (response.status, response.retried) == (502, [502])


def test_without_retries_every_answer_is_shown_as_is(api, lambdas):
    lambdas.inject("ApiFunction", FunctionErrorFault("Sandbox.Timedout"))

    response = Shop(api).request("GET", "/items/1")

    assert (response.status, response.retried) == (502, [])
    assert len(lambdas.records) == 1


def test_a_decided_answer_is_not_retried(api, lambdas):
    response = Shop(api, retries=3).request("GET", "/nope")

    assert (response.status, response.retried) == (403, [])
