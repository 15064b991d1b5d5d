"""The sample events in events/ drive the handler tests, so they cannot go stale."""

import json
from collections.abc import Callable

from tests.support.cfn import ROOT


def load_event(relative_path: str) -> dict:
    """events/<relative_path>, e.g. "orders/orders-api-get-order.json"; a fresh copy per call."""
    return json.loads((ROOT / "events" / relative_path).read_text())


def service_events(service: str) -> Callable[[str], dict]:
    """load_event for events/<service>/, for the tests that name a sample event by file alone."""
    return lambda name: load_event(f"{service}/{name}")
