"""The storefront's hosting: a private bucket that only its CloudFront distribution reads, over
HTTPS, with every site route answered by index.html; the API open to that site's origin only."""

from tests.support.cfn import load_template, ssm_reference

RESOURCES = load_template("platform/template.yaml")["Resources"]


def test_the_bucket_is_private_and_only_the_distribution_reads_it():
    bucket = RESOURCES["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert "WebsiteConfiguration" not in bucket  # served by CloudFront, not an S3 website

    statements = RESOURCES["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [read] = [s for s in statements if s["Effect"] == "Allow"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    source = read["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert "${SiteDistribution}" in source["Fn::Sub"]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}


def test_the_distribution_serves_https_through_origin_access_control_with_an_spa_fallback():
    config = RESOURCES["SiteDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = RESOURCES["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]
    security_headers = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # managed SecurityHeadersPolicy
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == security_headers
    fallbacks = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    for code in (403, 404):  # a missing key is a 403 through OAC (no ListBucket)
        assert fallbacks[code]["ResponsePagePath"] == "/index.html"
        assert fallbacks[code]["ResponseCode"] == 200


def test_the_api_and_its_functions_allow_the_sites_origin_only():
    api = RESOURCES["Api"]["Properties"]
    origin = {"Fn::Sub": "'${SiteOriginParameter.Value}'"}
    assert api["Cors"]["AllowOrigin"] == origin
    assert "Idempotency-Key" in api["Cors"]["AllowHeaders"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):  # so a browser can read a 401 or a throttle
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert headers == {"Access-Control-Allow-Origin": origin}
    name = RESOURCES["SiteOriginParameter"]["Properties"]["Name"]["Fn::Sub"]
    for service, function in (("orders", "OrdersApiFunction"), ("inventory", "CatalogApiFunction")):
        template = load_template(f"services/{service}/template.yaml")
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["ALLOWED_ORIGIN"] == {"Fn::Sub": ssm_reference(name)}
    value = RESOURCES["SiteOriginParameter"]["Properties"]["Value"]
    assert value["Fn::If"][2] == {"Fn::Sub": "https://${SiteDistribution.DomainName}"}
