"""The event contracts: JSON Schema files generated from the producers' pydantic models.

`python -m localrun.contracts` (`make contracts`) writes
contracts/events/<source>/<detail-type>/<major.minor>.json for each event's current version;
`--check` exits 1 when a file is missing or stale, when a published version was changed in
place, or when a minor version is incompatible with the one before it. Compatibility is judged
by json-schema-diff (a schema differ from the npm registry, in node_modules): a new minor may
only describe events that the previous one already described, so every consumer written
against an older minor still understands it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = REPO_ROOT / "contracts" / "events"
SCHEMA_DIFF = REPO_ROOT / "node_modules" / ".bin" / "json-schema-diff"
# The producers of the events on the bus, by the import root of their Lambda package.
PRODUCERS = {"orders_service.events": REPO_ROOT / "services" / "orders" / "src"}


def _producer_models() -> list[tuple[str, Any]]:
    import importlib

    models: list[tuple[str, Any]] = []
    for module_name, import_root in PRODUCERS.items():
        if str(import_root) not in sys.path:
            sys.path.insert(0, str(import_root))
        module = importlib.import_module(module_name)
        models.extend((module.SOURCE, model) for model in module.EVENTS)
    return models


def _open_to_new_fields(schema: Any) -> Any:
    """Consumers ignore fields they do not know, so the published schema does not forbid them
    (the producers' models do): adding an optional field stays a compatible change."""
    if isinstance(schema, dict):
        return {
            key: _open_to_new_fields(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [_open_to_new_fields(value) for value in schema]
    return schema


def event_schema(source: str, model: Any) -> dict[str, Any]:
    """The whole EventBridge event as a consumer receives it (`detail` is the model)."""
    detail = _open_to_new_fields(model.model_json_schema(ref_template="#/$defs/{model}"))
    definitions = detail.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"{source}/{model.DETAIL_TYPE}/{model.VERSION}",
        "title": f"{model.DETAIL_TYPE} {model.VERSION}",
        "description": (model.__doc__ or "").strip(),
        "type": "object",
        "required": ["source", "detail-type", "detail"],
        "properties": {
            "source": {"const": source},
            "detail-type": {"const": model.DETAIL_TYPE},
            "detail": detail,
        },
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_path(source: str, model: Any) -> Path:
    return CONTRACTS / source / model.DETAIL_TYPE / f"{model.VERSION}.json"


def label(path: Path) -> str:
    """`contracts/events/...`, wherever CONTRACTS is (the tests point it at a copy)."""
    return f"contracts/events/{path.relative_to(CONTRACTS).as_posix()}"


def version_key(path: Path) -> tuple[int, int]:
    major, minor = path.stem.split(".")
    return int(major), int(minor)


def breaking_changes(previous: Path, new: Path) -> str | None:
    """What `new` describes that `previous` did not (events an older consumer was never
    promised), or None when `new` is compatible. json-schema-diff reports as "removed" what its
    first schema accepts and its second does not, and exits 1 then."""
    diff = subprocess.run(
        [str(SCHEMA_DIFF), str(new), str(previous)], capture_output=True, text=True, check=False
    )
    report = (diff.stdout + diff.stderr).strip()  # it writes its findings to stderr
    if diff.returncode == 0:
        return None
    if "Breaking changes found" not in report:
        raise RuntimeError(f"json-schema-diff failed: {report}")
    return report


def problems() -> list[str]:
    found = []
    for source, model in _producer_models():
        path = schema_path(source, model)
        where = label(path)
        if not path.is_file():
            found.append(f"{where} is missing: run `make contracts`")
        elif path.read_text() != render(event_schema(source, model)):
            found.append(
                f"{where} differs from {model.__name__}: a published version never changes; "
                "raise VERSION (minor if every older consumer still understands it, else "
                "major) and run `make contracts`"
            )
        versions = sorted(path.parent.glob("*.json"), key=version_key)
        for previous, new in pairwise(versions):
            if version_key(previous)[0] != version_key(new)[0]:
                continue  # a new major is a new contract
            breaking = breaking_changes(previous, new)
            if breaking:
                found.append(
                    f"{label(new)} is not compatible with {previous.name}: "
                    f"make it a new major version\n{breaking}"
                )
    return found


def write() -> list[Path]:
    """Writes each event's current version; refuses to change a published one in place."""
    written = []
    for source, model in _producer_models():
        path, text = schema_path(source, model), render(event_schema(source, model))
        if path.is_file() and path.read_text() != text:
            raise SystemExit(
                f"{label(path)} is published and {model.__name__} changed: raise its VERSION first"
            )
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on any problem")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for problem in found:
            print(problem)
        return 1 if found else 0
    for path in write():
        print(f"wrote {label(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
