"""The public API's OpenAPI document, generated from the handlers' routes and models.

`python -m localrun.openapi` writes docs/api/openapi.json; `--check` exits 1 when that file is
not what the handlers generate today. Each function behind the template's REST API is imported
in a fresh interpreter with the environment the template gives it (as Lambda would), and its
Powertools resolver (`app`) describes its routes; the documents are merged into one. The
handlers stay the single source: tests/template/test_openapi.py holds the template's API
definition to this document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from localrun.template import REGION, Function, load_app

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
DOCUMENT = REPO_ROOT / "docs" / "api" / "openapi.json"
TITLE = "Serverless checkout API"
VERSION = "1.0"

# How a caller signs in, by the name the handlers' routes (`security=`) and the template's
# authorizer both use: a Cognito user pool ID token in the Authorization header.
SECURITY_SCHEMES = {
    "CustomerSignIn": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'A customer\'s Cognito user pool ID token ("Bearer " prefix optional), '
        "verified by API Gateway's user pool authorizer: signature, issuer, expiry, token_use=id.",
    }
}

_DESCRIBE = """
import importlib, json, sys
from aws_lambda_powertools.event_handler.openapi.models import APIKey
sys.path.insert(0, sys.argv[1])
app = importlib.import_module(sys.argv[2]).app
schemes = {name: APIKey.model_validate(s) for name, s in json.loads(sys.argv[5]).items()}
print(app.get_openapi_json_schema(title=sys.argv[3], version=sys.argv[4], security_schemes=schemes))
"""


def describe(function: Function) -> dict[str, Any]:
    """What one API function's resolver says about its routes."""
    environment = {
        **function.environment,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    module = function.handler.rpartition(".")[0]
    described = subprocess.run(
        [
            *(sys.executable, "-I", "-c", _DESCRIBE, str(function.code_dir), module),
            *(TITLE, VERSION, json.dumps(SECURITY_SCHEMES)),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(described.stdout)


def generate(template: Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """One document for every function behind the template's REST API(s)."""
    app = load_app(template)
    # A route may call an alias (qualified ARN): the function behind it.
    served = {app.function(route.function_arn).arn for api in app.apis for route in api.routes}
    functions = sorted((f for f in app.functions if f.arn in served), key=lambda f: f.logical_id)
    document: dict[str, Any] = {
        "openapi": None,
        "info": {"title": TITLE, "version": VERSION},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    for function in functions:
        part = describe(function)
        document["openapi"] = part["openapi"]
        for path, operations in part["paths"].items():
            taken = document["paths"].setdefault(path, {})
            clash = set(taken) & set(operations)
            if clash:
                raise ValueError(f"{path} {sorted(clash)} is served by two functions")
            taken.update(operations)
        used = {name for op in operations_of(part) for r in op.get("security", []) for name in r}
        document["components"]["securitySchemes"].update(
            (name, part["components"]["securitySchemes"][name]) for name in sorted(used)
        )
        schemas = document["components"]["schemas"]
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two functions define the schema {name} differently")
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def operations_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in document["paths"].values() for op in ops.values() if isinstance(op, dict)]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        if not DOCUMENT.is_file() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(REPO_ROOT)} is stale: run `make openapi`")
            return 1
        return 0
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
