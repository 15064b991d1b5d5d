"""The cold-start baseline for `python -m localrun bench`: a bare boto3 handler (dev tooling)."""

import boto3

dynamodb = boto3.resource("dynamodb")


def handler(event, context):
    return {}
