"""`python -m localrun invoke`: the whole app up, one invocation, result on stdout."""

import json

from localrun.__main__ import main

from .conftest import FIXTURE_TEMPLATE

COMMON = ["--template", str(FIXTURE_TEMPLATE), "--stack-name", "fx", "--quiet", "invoke"]


def test_invoke_prints_the_result_and_exits_0(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "put", "pk": "cli"}))

    assert main([*COMMON, "WorkFunction", "--event", str(event)]) == 0

    assert json.loads(capsys.readouterr().out)["echo"] == {"action": "put", "pk": "cli"}


def test_invoke_exits_1_on_a_function_error(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "raise", "errorType": "OutOfStock"}))

    assert main([*COMMON, "WorkFunction", "--event", str(event)]) == 1

    assert json.loads(capsys.readouterr().out)["errorType"] == "OutOfStock"


def test_invoke_unknown_function_exits_2(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text("{}")

    assert main([*COMMON, "NoSuchFunction", "--event", str(event)]) == 2
    assert "ResourceNotFoundException" in capsys.readouterr().err
