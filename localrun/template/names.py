"""Physical names, ARNs and ids of resources, as CloudFormation would give them on moto.

Names are deterministic: an unnamed resource is `<stack>-<LogicalId>`, shortened with a hash where
AWS limits the length; ARNs use moto's default account and region.
"""

from __future__ import annotations

import hashlib

from localrun.template.model import ACCOUNT_ID, PARTITION, REGION

# The property that names a resource, where the template may set it.
NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::Cognito::UserPoolClient": "ClientName",
}
# AWS name length limits for the resources whose names we generate.
NAME_LIMITS = {
    "AWS::Serverless::Function": 64,
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::Events::Rule": 64,
    "AWS::Serverless::StateMachine": 80,
    "AWS::StepFunctions::StateMachine": 80,
}
FIFO_QUEUE_NAME_LIMIT = 75  # 80 with the ".fifo" suffix


def arn(service: str, resource: str, *, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def stack_id(stack_name: str) -> str:
    return arn("cloudformation", f"stack/{stack_name}/{fake_id(stack_name, 12)}")


def queue_url(queue_name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue_name}"


def fake_id(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def user_pool_id(stack_name: str, logical_id: str) -> str:
    """Cognito's shape: the region, an underscore, 9 characters."""
    return f"{REGION}_{fake_id(f'{stack_name}/{logical_id}', 9)}"


def user_pool_client_id(stack_name: str, logical_id: str) -> str:
    """Cognito's shape: 26 lower-case letters and digits."""
    return fake_id(f"{stack_name}/{logical_id}", 26)


def generated_name(stack_name: str, logical_id: str, limit: int) -> str:
    name = f"{stack_name}-{logical_id}"
    if len(name) <= limit:
        return name
    digest = fake_id(name, 8)
    return f"{name[: limit - 9]}-{digest}"
