"""Shared fixtures: the fixture app's model and a running local Lambda service for it."""

import os
import socket
import threading
from pathlib import Path
from typing import Any

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


def lambda_service(model: AppModel, **options: Any) -> LambdaService:
    """A Lambda service for the model's functions, with `options` (e.g. small limits); the AWS
    endpoint is unused by most tests."""
    return LambdaService(model.functions, aws_endpoint_url="http://127.0.0.1:9", **options)


@pytest.fixture
def lambdas(fixture_model):
    with lambda_service(fixture_model) as service:
        yield service


@pytest.fixture
def small_payload_quotas(fixture_model):
    """Payload quotas of 1,000 bytes (500 for Event invocations)."""
    with lambda_service(
        fixture_model, max_request_bytes=1000, max_response_bytes=1000, max_async_request_bytes=500
    ) as service:
        yield service


def simultaneous_requests(address: tuple[str, int], request: bytes, count: int) -> list[str]:
    """`count` clients connect at the same instant and send `request` (raw HTTP/1.1 with
    `Connection: close`); each one's status line, or the name of the error it got."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def client() -> None:
        barrier.wait()
        try:
            with socket.create_connection(address, timeout=20) as connection:
                connection.sendall(request)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            outcomes.append(answer.split(b"\r\n", 1)[0].decode() or "no answer")
        except OSError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
