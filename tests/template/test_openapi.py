"""One source for the API's routes: the handlers. The published OpenAPI document is what they
generate today, and the template's REST API definition routes exactly its paths, methods and
parameters to the functions that serve them."""

import json

from localrun import openapi
from tests.support.cfn import ROOT, load_template

PUBLISHED = json.loads(openapi.DOCUMENT.read_text())
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def routes(document: dict) -> dict[tuple[str, str], set[tuple[str, str, bool]]]:
    """(path, method) -> {(parameter, location, required)}; header names are case-insensitive.
    A route's sign-in is one more parameter: the header its security scheme reads the token from.
    """
    schemes = document.get("components", {}).get("securitySchemes", {})
    return {
        (path, method): {
            (
                p["name"].lower() if p["in"] == "header" else p["name"],
                p["in"],
                bool(p.get("required", False)),
            )
            for p in operation.get("parameters", [])
        }
        | {
            (f"{name}: {schemes[name]['name'].lower()}", schemes[name]["in"], True)
            for requirement in operation.get("security", [])
            for name in requirement
        }
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    }


def template_api_definition() -> dict:
    [api] = [
        resource
        for resource in load_template("platform/template.yaml")["Resources"].values()
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
        # API Gateway's own answers (its authorizer's 401s) have its shape; the rest are ours.
        gateway = {"401"} if PUBLISHED["paths"][path][method].get("security") else set()
        for code, response in responses.items():
            if not code.startswith("2"):
                schema = response["content"]["application/json"]["schema"]
                shape = "GatewayError" if code in gateway else "ErrorResponse"
                assert schema == {"$ref": f"#/components/schemas/{shape}"}, (
                    f"{method} {path} {code} is not the {shape} shape"
                )
        assert ("401" in responses) == bool(gateway), f"{method} {path}: 401 documented wrongly"


def test_the_template_signs_in_the_routes_the_handlers_serve_only_to_signed_in_customers():
    signed_in = {
        route
        for route, parameters in routes(PUBLISHED).items()
        if any(name.startswith("CustomerSignIn: ") for name, _, _ in parameters)
    }
    assert signed_in == {
        ("/orders", "get"),
        ("/orders", "post"),
        ("/orders/{orderId}", "get"),
        ("/orders/{orderId}/steps", "get"),
    }
    published = PUBLISHED["components"]["securitySchemes"]["CustomerSignIn"]
    template = template_api_definition()["components"]["securitySchemes"]["CustomerSignIn"]
    assert (template["type"], template["in"], template["name"]) == (
        published["type"],
        published["in"],
        published["name"],
    )
    assert template["x-amazon-apigateway-authtype"] == "cognito_user_pools"
