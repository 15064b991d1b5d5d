"""Env-vars files for `sam local invoke --env-vars`: each function's variables, by logical id.

SAM CLI names every resource by its logical id, so a function's table variable is
`InventoryTable` unless a file says otherwise, and it sets only variables the template
declares. Two files, one per target:

    python -m localrun env-vars                      # the local emulator of `make serve`
    python -m localrun env-vars --stack checkout-dev # a deployed stack (AWS credentials)

The first is committed as events/env-vars.local.json (a test keeps it current): the names the
local run gives each resource, and the SDKs' endpoints pointed at `make serve`'s emulator,
Lambda service and fake Stripe as a container reaches them (`host.docker.internal`). The second
reads each function's configuration from the deployed stack and its nested stacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localrun.template import AppModel

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_FILE = REPO_ROOT / "events" / "env-vars.local.json"
# `make serve`'s fixed ports (its defaults), as a container on Docker Desktop reaches the host's
# loopback (on Linux: `--docker-network host --add-host host.docker.internal:127.0.0.1`).
SERVE_LAMBDA_PORT, SERVE_AWS_PORT, SERVE_STRIPE_PORT = 3001, 3002, 3004
CONTAINER_AWS_URL = f"http://host.docker.internal:{SERVE_AWS_PORT}"
CONTAINER_LAMBDA_URL = f"http://host.docker.internal:{SERVE_LAMBDA_PORT}"
CONTAINER_STRIPE_URL = f"http://host.docker.internal:{SERVE_STRIPE_PORT}"  # the fake Stripe
ENDPOINTS = {
    "AWS_ENDPOINT_URL": CONTAINER_AWS_URL,
    "AWS_ENDPOINT_URL_LAMBDA": CONTAINER_LAMBDA_URL,
    "STRIPE_API_BASE": CONTAINER_STRIPE_URL,
}


def for_local_run(model: AppModel) -> dict[str, dict[str, str]]:
    """What the local run gives each function, for the variables its template declares."""
    return {
        function.logical_id: {
            name: ENDPOINTS.get(name, value) for name, value in sorted(function.environment.items())
        }
        for function in sorted(model.functions, key=lambda f: f.logical_id)
    }


def for_stack(
    stack_name: str, cloudformation: Any, lambda_client: Any
) -> dict[str, dict[str, str]]:
    """Each function's variables as deployed in `stack_name` and the stacks it nests."""
    found: dict[str, dict[str, str]] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            physical_id = resource.get("PhysicalResourceId")
            if not physical_id:
                continue
            if resource["ResourceType"] == "AWS::CloudFormation::Stack":
                found.update(for_stack(physical_id, cloudformation, lambda_client))
            elif resource["ResourceType"] == "AWS::Lambda::Function":
                configuration = lambda_client.get_function_configuration(FunctionName=physical_id)
                variables = configuration.get("Environment", {}).get("Variables", {})
                found[resource["LogicalResourceId"]] = dict(sorted(variables.items()))
    return dict(sorted(found.items()))


def render(env_vars: dict[str, dict[str, str]]) -> str:
    return json.dumps(env_vars, indent=2) + "\n"
