"""Shared fixtures: the fixture app's model and a running local Lambda service for it."""

import os
from pathlib import Path

import pytest

from localrun.lambdas import LambdaService
from localrun.template import AppModel, load_app

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "app" / "template.yaml"
REPO_ROOT = Path(__file__).resolve().parents[2]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="session")
def fixture_model() -> AppModel:
    return load_app(FIXTURE_TEMPLATE, stack_name="fx")


@pytest.fixture
def lambdas(fixture_model):
    """A Lambda service for the fixture's functions; the AWS endpoint is unused by most tests."""
    with LambdaService(fixture_model.functions, aws_endpoint_url="http://127.0.0.1:9") as service:
        yield service
