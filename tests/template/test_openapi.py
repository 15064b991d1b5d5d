"""One source for the API's routes: the handlers. The published OpenAPI document is what they
generate today, and the template's REST API definition routes exactly its paths, methods and
parameters to the functions that serve them."""

import json

from localrun import openapi
from tests.support.cfn import ROOT, load_template

PUBLISHED = json.loads(openapi.DOCUMENT.read_text())
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def routes(document: dict) -> dict[tuple[str, str], set[tuple[str, str, bool]]]:
    """(path, method) -> {(parameter, location, required)}; header names are case-insensitive."""
    return {
        (path, method): {
            (
                p["name"].lower() if p["in"] == "header" else p["name"],
                p["in"],
                bool(p.get("required", False)),
            )
            for p in operation.get("parameters", [])
        }
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    }


def template_api_definition() -> dict:
    [api] = [
        resource
        for resource in load_template("template.yaml")["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Api"
    ]
    return api["Properties"]["DefinitionBody"]


def test_the_published_document_is_what_the_handlers_generate():
    assert openapi.generate(ROOT / "template.yaml") == PUBLISHED, "run `make openapi`"


def test_the_template_routes_exactly_the_documented_paths_methods_and_parameters():
    assert routes(template_api_definition()) == routes(PUBLISHED)


def test_every_route_documents_the_answers_it_gives_besides_success():
    for (path, method), _ in routes(PUBLISHED).items():
        responses = PUBLISHED["paths"][path][method]["responses"]
        assert any(code.startswith("2") for code in responses), f"{method} {path}: no success"
        assert "422" in responses, f"{method} {path}: invalid input not documented"
        for code, response in responses.items():
            if not code.startswith("2"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (
                    f"{method} {path} {code} is not the API's error shape"
                )
