"""Browser tests: the real built web app, served by a real `llmforge serve` process, driven
in Debian's Chromium by Playwright. Screenshots land in artifacts/screenshots/."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password 1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (ROOT / "web" / "dist" / "index.html").exists():
        raise RuntimeError("web/dist is missing: run `make web` (make test-e2e does) first")
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = free_port()
    env = {
        **os.environ,
        "LLMFORGE_DATA_DIR": str(data_dir),
        "LLMFORGE_ADMIN_EMAIL": ADMIN_EMAIL,
        "LLMFORGE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LLMFORGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("LLMFORGE_DATABASE_URL", None)
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llmforge", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, data_dir / "server.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a cold start on a loaded 2-core machine imports a lot
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llmforge serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"llmforge serve did not become ready:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make deps-system` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
