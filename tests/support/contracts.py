"""Producer checks: an event on the bus against its published contract (contracts/events/)."""

import json
from functools import cache

from jsonschema import Draft7Validator

from localrun import contracts
from orders_service import events

MODELS = {model.DETAIL_TYPE: model for model in events.EVENTS}


@cache
def _validator(source: str, detail_type: str) -> Draft7Validator:
    model = MODELS[detail_type]
    return Draft7Validator(json.loads(contracts.schema_path(source, model).read_text()))


def contract_violations(published: list[dict]) -> list[str]:
    """What is wrong with each event, by its id: no contract, or not what the contract (the
    published schema, and the producer's model, which also refuses unknown fields) says."""
    found = []
    for event in published:
        name = f"{event.get('detail-type')} {event.get('id')}"
        if event.get("source") != events.SOURCE or event.get("detail-type") not in MODELS:
            found.append(f"{name}: no published contract for this source and detail-type")
            continue
        validator = _validator(event["source"], event["detail-type"])
        found.extend(f"{name}: {error.message}" for error in validator.iter_errors(event))
        try:
            MODELS[event["detail-type"]].model_validate(event["detail"])
        except ValueError as error:
            found.append(f"{name}: {error}")
    return found
