"""Stopping (or failing to start) a LocalApp leaves nothing behind in the process."""

import os
import threading

import pytest
from moto.core.config import default_user_config

from localrun.emulator import Emulator
from localrun.seams import MotoSeams
from localrun.stack import LocalApp

from .conftest import FIXTURE_TEMPLATE, pid_alive


def test_stop_leaves_no_process_patch_or_moto_state_behind():
    port_before = os.environ.get("MOTO_PORT")
    app = LocalApp(FIXTURE_TEMPLATE, stack_name="fx").start()
    pid = app.lambdas.invoke("WorkFunction", {}).json()["pid"]
    assert default_user_config["stepfunctions"]["execute_state_machine"] is True

    app.stop()

    assert not pid_alive(pid)
    assert os.environ.get("MOTO_PORT") == port_before
    assert MotoSeams._active is None
    assert default_user_config["stepfunctions"]["execute_state_machine"] is False
    assert not [t for t in threading.enumerate() if t.name.startswith(("sqs-", "api-"))]


def test_a_second_app_in_the_same_process_is_refused_without_harming_the_first():
    first = LocalApp(FIXTURE_TEMPLATE, stack_name="fx").start()
    try:
        with pytest.raises(RuntimeError, match="another LocalApp"):
            LocalApp(FIXTURE_TEMPLATE, stack_name="fx").start()
        tables = first.client("dynamodb").list_tables()["TableNames"]
        assert tables == ["fx-ServiceApp-Table"]
    finally:
        first.stop()
    assert Emulator._running is None and MotoSeams._active is None
