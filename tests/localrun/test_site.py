"""The local storefront host: built files, index.html for the site's routes, its config.json."""

import json
import urllib.request

import pytest

from localrun.site import StorefrontSite
from localrun.stack import LocalApp


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>shop</title>")
    (root / "assets" / "index-abc123.js").write_text("console.log('shop')")
    (tmp_path / "secret.txt").write_text("not the site's")
    site = StorefrontSite(root, {"apiUrl": "http://127.0.0.1:3000/dev"})
    site.start()
    yield site
    site.stop()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_files_routes_and_config(site):
    _, asset_headers, asset = get(f"{site.url}/assets/index-abc123.js")
    _, route_headers, route = get(f"{site.url}/orders/o-1")
    _, config_headers, config = get(f"{site.url}/config.json")

    assert asset == b"console.log('shop')"
    assert "immutable" in asset_headers["Cache-Control"]
    assert asset_headers["Content-Type"] == "text/javascript"
    assert route.startswith(b"<!doctype html>") and route_headers["Cache-Control"] == "no-cache"
    assert json.loads(config) == {"apiUrl": "http://127.0.0.1:3000/dev"}
    assert config_headers["Cache-Control"] == "no-store"


def test_no_file_outside_the_site_is_served(site):
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        assert site.file_for(path) == site.root / "index.html", path


def test_an_unbuilt_site_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="make storefront"):
        StorefrontSite(tmp_path, {})


def test_the_api_allows_the_origin_the_local_run_serves_the_site_from():
    served_here = LocalApp(parameters={"SiteOrigin": "http://127.0.0.1:3003"}).model
    on_aws = LocalApp().model

    [api] = served_here.apis
    assert api.cors is not None and api.cors.allow_origin == "http://127.0.0.1:3003"
    assert "Idempotency-Key" in (api.cors.allow_headers or "")
    assert api.gateway_response_headers["DEFAULT_4XX"] == {
        "Access-Control-Allow-Origin": "http://127.0.0.1:3003"
    }
    functions = {f.logical_id: f for f in served_here.functions}
    for name in ("OrdersApiFunction", "CatalogApiFunction"):
        assert functions[name].environment["ALLOWED_ORIGIN"] == "http://127.0.0.1:3003"
    # Without it, the stack's CloudFront distribution.
    assert on_aws.apis[0].cors.allow_origin.endswith(".cloudfront.net")
