"""The storefront in a real browser: `python -m localrun serve` on free ports, then the Node test
runner drives headless Debian chromium through storefront/tests/ (playwright-core, axe-core).
Screenshots of every page land in storefront/test-results/."""

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STOREFRONT = ROOT / "storefront"
CHROMIUM = Path(os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
READY = "Ctrl-C to stop."


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture
def storefront_url(tmp_path: Path) -> Iterator[str]:
    missing = [
        why
        for path, why in (
            (STOREFRONT / "dist/index.html", "the built site: make storefront"),
            (STOREFRONT / "node_modules/playwright-core", "its tooling: make storefront"),
            (CHROMIUM, "chromium: apt-get install -y chromium (or set CHROMIUM=/path)"),
        )
        if not path.exists()
    ]
    if missing:
        pytest.fail("the browser tests need " + "; ".join(missing))
    api, lambdas, aws, site, stripe = _free_ports(5)
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "localrun", "--quiet", "serve", "--api-port", str(api),
         "--lambda-port", str(lambdas), "--aws-port", str(aws), "--site-port", str(site),
         "--stripe-port", str(stripe)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        printed = []
        while READY not in (line := serve.stdout.readline()):
            if not line:
                errors = (tmp_path / "serve.log").read_text()
                pytest.fail(f"serve exited: {''.join(printed)}{errors}")
            printed.append(line)
        assert any(line.startswith("Storefront     http") for line in printed), printed
        yield f"http://127.0.0.1:{site}"
    finally:
        serve.terminate()  # serve stops on SIGTERM
        serve.wait(timeout=60)
        log.close()


def test_shopping_in_a_browser(storefront_url: str) -> None:
    run = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "tests/"],
        cwd=STOREFRONT,
        env={**os.environ, "STOREFRONT_URL": storefront_url, "CHROMIUM": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
