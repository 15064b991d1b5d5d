"""The published event schemas (contracts/events/): current, immutable, compatible across minors."""

import json
import shutil

import pytest
from jsonschema import Draft7Validator

from localrun import contracts
from orders_service import events

SCHEMAS = sorted(contracts.CONTRACTS.glob("*/*/*.json"))


def test_every_event_on_the_bus_has_its_current_schema_published():
    assert contracts.problems() == []
    published = {(p.parent.name, p.stem) for p in SCHEMAS}
    assert {(model.DETAIL_TYPE, model.VERSION) for model in events.EVENTS} <= published


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_each_schema_is_valid_and_its_examples_fit_it(path):
    schema = json.loads(path.read_text())
    Draft7Validator.check_schema(schema)
    examples = schema["properties"]["detail"]["examples"]
    assert examples
    validator = Draft7Validator(schema)
    for detail in examples:
        event = {"source": events.SOURCE, "detail-type": path.parent.name, "detail": detail}
        assert list(validator.iter_errors(event)) == []


def _published(tmp_path, detail_type="OrderFailed"):
    """A copy of the contracts folder holding one event's 1.0, to add a 1.1 to."""
    copy = tmp_path / "events"
    shutil.copytree(contracts.CONTRACTS, copy)
    folder = copy / events.SOURCE / detail_type
    return copy, folder, json.loads((folder / "1.0.json").read_text())


def _write(folder, version, schema):
    (folder / f"{version}.json").write_text(json.dumps(schema))


def test_a_minor_describing_events_the_previous_did_not_is_breaking(tmp_path, monkeypatch):
    copy, folder, schema = _published(tmp_path)
    detail = schema["properties"]["detail"]
    detail["required"].remove("reason")  # consumers of 1.0 were promised a reason
    _write(folder, "1.1", schema)
    monkeypatch.setattr(contracts, "CONTRACTS", copy)

    [problem] = contracts.problems()

    assert "OrderFailed/1.1.json is not compatible with 1.0.json" in problem


def test_a_widened_type_is_breaking(tmp_path):
    _, folder, schema = _published(tmp_path, "OrderConfirmed")
    schema["properties"]["detail"]["properties"]["amountCents"]["type"] = ["integer", "string"]
    _write(folder, "1.1", schema)

    assert contracts.breaking_changes(folder / "1.0.json", folder / "1.1.json") is not None


def test_a_new_optional_field_or_a_tighter_limit_is_compatible(tmp_path):
    _, folder, schema = _published(tmp_path)
    detail = schema["properties"]["detail"]
    detail["properties"]["note"] = {"type": "string"}
    detail["properties"]["reason"]["maxLength"] = 100
    _write(folder, "1.1", schema)

    assert contracts.breaking_changes(folder / "1.0.json", folder / "1.1.json") is None


def test_a_new_major_is_a_new_contract(tmp_path, monkeypatch):
    copy, folder, schema = _published(tmp_path)
    schema["properties"]["detail"]["required"].remove("reason")
    _write(folder, "2.0", schema)
    monkeypatch.setattr(contracts, "CONTRACTS", copy)

    assert contracts.problems() == []


def test_a_published_version_changed_in_place_is_refused(tmp_path, monkeypatch):
    copy, folder, schema = _published(tmp_path, "OrderPlaced")
    schema["properties"]["detail"]["properties"]["currency"]["pattern"] = "^[A-Z]{3,4}$"
    _write(folder, "1.0", schema)
    monkeypatch.setattr(contracts, "CONTRACTS", copy)

    [problem] = contracts.problems()

    assert "OrderPlaced/1.0.json differs from OrderPlaced" in problem
    with pytest.raises(SystemExit, match="is published and OrderPlaced changed"):
        contracts.write()
