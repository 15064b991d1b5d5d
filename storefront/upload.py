"""Upload the built storefront (storefront/dist) and its config.json to a deployed stack.

    python storefront/upload.py --stack checkout-dev --region us-east-1

config.json is written from the stack's outputs (the API, the user pool and its app client).
index.html and config.json are uploaded last and never cached long, so a visitor gets either
the old site or the new one whole; the hashed assets are kept for a year. CloudFront is then
told to drop its copies of the two.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

import boto3

SITE_DIR = Path(__file__).resolve().parent / "dist"
ENTRY_POINTS = ("index.html", "config.json")  # fetched anew on every visit
NEEDED_OUTPUTS = (
    "ApiUrl",
    "UserPoolId",
    "UserPoolClientId",
    "SiteBucketName",
    "SiteDistributionId",
)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [name for name in NEEDED_OUTPUTS if name not in outputs]
    if missing:
        raise SystemExit(f"stack {stack_name} has no output {', '.join(missing)}: deploy it first")
    return outputs


def site_config(outputs: dict[str, str], region: str) -> dict[str, str]:
    """What the site reads from /config.json (storefront/src/config.ts)."""
    return {
        "apiUrl": outputs["ApiUrl"],
        "region": region,
        "userPoolId": outputs["UserPoolId"],
        "userPoolClientId": outputs["UserPoolClientId"],
        "cognitoEndpoint": f"https://cognito-idp.{region}.amazonaws.com/",
    }


def upload(session: Any, stack_name: str, site_dir: Path = SITE_DIR) -> dict[str, str]:
    """Upload the site to the stack's bucket; the config it wrote."""
    if not (site_dir / "index.html").is_file():
        raise SystemExit(f"{site_dir}/index.html: build the site first (make storefront)")
    region = session.region_name
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    s3 = session.client("s3")
    bucket = outputs["SiteBucketName"]
    files = sorted(p for p in site_dir.rglob("*") if p.is_file())
    assets = [p for p in files if p.name not in ENTRY_POINTS]
    for path in assets:
        key = path.relative_to(site_dir).as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            CacheControl="public, max-age=31536000, immutable",
        )
    config = site_config(outputs, region)
    entry_points = {
        "index.html": ((site_dir / "index.html").read_bytes(), "text/html"),
        "config.json": (json.dumps(config, indent=2).encode(), "application/json"),
    }
    for key, (body, content_type) in entry_points.items():
        s3.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl="no-cache"
        )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["SiteDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": len(ENTRY_POINTS), "Items": [f"/{k}" for k in ENTRY_POINTS]},
            "CallerReference": f"storefront-{time.time_ns()}",
        },
    )
    print(f"uploaded {len(assets) + len(entry_points)} files to s3://{bucket}", file=sys.stderr)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    upload(boto3.Session(region_name=args.region), args.stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
