"""`sam local invoke --env-vars events/env-vars.local.json` reaches `make serve`'s emulator.

Docker is not here, so SAM CLI's own code computes the environment each function's container
would get (tests/support/sam_local_env.py, in SAM CLI's interpreter), from the same template.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from localrun import env_vars
from localrun.stack import LocalApp
from tests.support.aws import REGION

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


def _sam_local_environment(
    *env_vars_file: Path, template: str = "template.yaml"
) -> dict[str, dict[str, str]]:
    if not SAM_PYTHON.exists():
        pytest.fail("SAM CLI's environment is missing: run `make venv`")
    result = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "tests/support/sam_local_env.py"), template]
        + [str(path) for path in env_vars_file],
        cwd=ROOT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def model():
    return LocalApp().model


def test_the_committed_file_is_what_serve_runs(model):
    assert env_vars.LOCAL_FILE.read_text() == env_vars.render(env_vars.for_local_run(model))


def test_each_container_gets_the_local_runs_names_and_endpoints(model):
    containers = _sam_local_environment(env_vars.LOCAL_FILE)

    by_logical_id = {path.rpartition("/")[2]: env for path, env in containers.items()}
    assert set(by_logical_id) == {f.logical_id for f in model.functions}
    for function in model.functions:
        container = by_logical_id[function.logical_id]
        for name, value in function.environment.items():
            assert container[name] == env_vars.ENDPOINTS.get(name, value), (function, name)
        assert container["AWS_ENDPOINT_URL"] == env_vars.CONTAINER_AWS_URL


@pytest.mark.parametrize("service", ["inventory", "payments", "orders", "notifications"])
def test_a_team_invoking_from_its_own_stacks_template_gets_the_same_environment(model, service):
    """`sam local invoke` in services/<name>/ (the stack alone): the file's keys are logical
    ids, so it fits the service's template as it fits the root's nesting of it."""
    containers = _sam_local_environment(
        env_vars.LOCAL_FILE, template=f"services/{service}/template.yaml"
    )
    assert containers
    for logical_id, container in containers.items():
        function = model.function(logical_id)
        for name, value in function.environment.items():
            assert container[name] == env_vars.ENDPOINTS.get(name, value), (function, name)


def test_without_the_file_names_are_sams_defaults_and_the_sdk_goes_to_aws():
    """What the file is for: SAM CLI names a table by its logical id, and a blank endpoint
    variable leaves boto3 on AWS's own endpoints (as on AWS, where it is blank too)."""
    containers = _sam_local_environment()

    reserve = containers["InventoryApp/ReserveStockFunction"]
    assert reserve["INVENTORY_TABLE_NAME"] == "InventoryTable"
    assert reserve["AWS_ENDPOINT_URL"] == ""
    probe = "import boto3; print(boto3.client('dynamodb', region_name='us-east-1')._endpoint.host)"
    endpoint = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "AWS_ENDPOINT_URL": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert endpoint == "https://dynamodb.us-east-1.amazonaws.com"


def _lambda_role() -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="reserve", AssumeRolePolicyDocument=json.dumps(trust))
    return role["Role"]["Arn"]


def test_a_deployed_stacks_file_reads_its_functions_through_nested_stacks():
    with mock_aws():
        _deploy_a_nested_function(_lambda_role())
        found = env_vars.for_stack(
            "checkout-dev",
            boto3.client("cloudformation", region_name=REGION),
            boto3.client("lambda", region_name=REGION),
        )

    assert found == {"ReserveStockFunction": {"INVENTORY_TABLE_NAME": "inventory-xyz"}}


def _deploy_a_nested_function(role_arn: str) -> None:
    nested_template = {
        "Resources": {
            "ReserveStockFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "checkout-dev-reserve",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role_arn,
                    "Code": {"ZipFile": "def handler(event, context): pass"},
                    "Environment": {"Variables": {"INVENTORY_TABLE_NAME": "inventory-xyz"}},
                },
            }
        }
    }
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="inventory.json", Body=json.dumps(nested_template))
    url = "https://artifacts.s3.amazonaws.com/inventory.json"
    root = {
        "Resources": {
            "InventoryApp": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": url},
            }
        }
    }
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="checkout-dev", TemplateBody=json.dumps(root))
