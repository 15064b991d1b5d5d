"""`make storefront-upload`: the built site and a config.json from the stack's outputs, into the
stack's bucket, then CloudFront told to drop the entry points (against moto in-process)."""

import json
import runpy

import boto3
import pytest
from moto import mock_aws

from tests.support.cfn import ROOT

UPLOAD = runpy.run_path(str(ROOT / "storefront/upload.py"))
REGION = "us-east-1"
# A stack needs a resource; any moto creates will do.
RESOURCES = {"Queue": {"Type": "AWS::SQS::Queue"}}


def _distribution(cloudfront) -> str:
    origin = {
        "Id": "site",
        "DomainName": "site.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "https-only"},
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


@pytest.fixture
def deployed():
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        session.client("s3").create_bucket(Bucket="site-bucket")
        outputs = {
            "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
            "UserPoolId": "us-east-1_pool12345",
            "UserPoolClientId": "client123",
            "SiteBucketName": "site-bucket",
            "SiteDistributionId": _distribution(session.client("cloudfront")),
        }
        template = {
            "Resources": RESOURCES,
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
        session.client("cloudformation").create_stack(
            StackName="checkout-dev", TemplateBody=json.dumps(template)
        )
        yield session, outputs


def test_the_site_and_its_config_reach_the_bucket(deployed, tmp_path):
    session, outputs = deployed
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "assets/index-abc.js").write_text("console.log(1)")

    config = UPLOAD["upload"](session, "checkout-dev", tmp_path)

    s3 = session.client("s3")
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket="site-bucket")["Contents"]}
    assert stored == {"index.html", "config.json", "assets/index-abc.js"}
    index = s3.get_object(Bucket="site-bucket", Key="index.html")
    asset = s3.get_object(Bucket="site-bucket", Key="assets/index-abc.js")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html", "no-cache")
    assert asset["ContentType"] == "text/javascript" and "immutable" in asset["CacheControl"]
    uploaded = json.loads(s3.get_object(Bucket="site-bucket", Key="config.json")["Body"].read())
    assert (
        uploaded
        == config
        == {
            "apiUrl": outputs["ApiUrl"],
            "region": REGION,
            "userPoolId": outputs["UserPoolId"],
            "userPoolClientId": outputs["UserPoolClientId"],
            "cognitoEndpoint": "https://cognito-idp.us-east-1.amazonaws.com/",
        }
    )
    invalidations = session.client("cloudfront").list_invalidations(
        DistributionId=outputs["SiteDistributionId"]
    )["InvalidationList"]
    assert invalidations["Quantity"] == 1


def test_an_unbuilt_site_or_a_stack_without_the_outputs_is_named(deployed, tmp_path):
    session, _ = deployed
    with pytest.raises(SystemExit, match="make storefront"):
        UPLOAD["upload"](session, "checkout-dev", tmp_path)
    (tmp_path / "index.html").write_text("<!doctype html>")
    session.client("cloudformation").create_stack(
        StackName="bare",
        TemplateBody=json.dumps({"Resources": RESOURCES}),
    )
    with pytest.raises(SystemExit, match="no output ApiUrl, UserPoolId"):
        UPLOAD["upload"](session, "bare", tmp_path)
