"""Fixtures every service's tests share; each service's own conftest adds its AWS wiring."""

import pytest

from tests.support.lambda_context import LambdaContext


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
