"""The storefront (storefront/dist, built by `make storefront`) served on loopback, as CloudFront
serves it on AWS: the built files, any other path answered with index.html (the site routes on
real paths), and the site's config.json, here pointing at the local API and user pool.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from localrun.loopback import LoopbackHandler, LoopbackServer

LOG = logging.getLogger("localrun.site")
SITE_DIR = Path(__file__).resolve().parents[1] / "storefront" / "dist"


class StorefrontSite:
    """`root` (the built site) and `config` (served as /config.json) on a loopback port."""

    def __init__(self, root: Path, config: dict[str, Any]):
        if not (root / "index.html").is_file():
            raise FileNotFoundError(f"{root}/index.html: build the site first (make storefront)")
        self.root = root.resolve()
        self.config_json = json.dumps(config, indent=2).encode()
        self._server = LoopbackServer(_SiteHandler, self, "storefront")

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server.start(host, port)
        return self.url

    @property
    def url(self) -> str:
        base_url = self._server.base_url
        if base_url is None:
            raise RuntimeError("StorefrontSite.start() first")
        return base_url

    def stop(self) -> None:
        self._server.stop()

    def file_for(self, path: str) -> Path:
        """The file a request path names; index.html for a path that names no file (a route of
        the site, as CloudFront's error responses answer). Never a file outside `root`."""
        candidate = (self.root / unquote(path).lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(self.root):
            return candidate
        return self.root / "index.html"


class _SiteHandler(LoopbackHandler):
    server_version = "localrun-storefront"
    log, log_label = LOG, "site"

    def do_GET(self) -> None:
        site: StorefrontSite = self.server.owner
        path = urlsplit(self.path).path
        if path == "/config.json":
            body, content_type, cache = site.config_json, "application/json", "no-store"
        else:
            file = site.file_for(path)
            body = file.read_bytes()
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            # Vite names assets by content hash; index.html must be fetched anew each time.
            immutable = file.parent == site.root / "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET
