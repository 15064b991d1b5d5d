"""The sample events in events/ drive the handler tests, so they cannot go stale."""

import json

from tests.support.cfn import ROOT


def load_event(relative_path: str) -> dict:
    return json.loads((ROOT / "events" / relative_path).read_text())
