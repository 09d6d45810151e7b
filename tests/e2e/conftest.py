"""Fixtures for the end-to-end tests: the app on a real port, and Debian's Chromium.

- `live_server` serves the session's `app` (tests/conftest.py) from a daemon thread for
  the whole session. The database is emptied after every test by the autouse
  `_empty_database` fixture, so the server holds no data of its own: each test makes its
  records with tests/factories/, and they are gone when it ends.
- `browser` is one headless Chromium for the session (never downloaded: the system one
  at /usr/bin/chromium). `page` is a fresh context (no cookies) and page per test,
  closed before the database is emptied.
- `browser_log` collects the page's console messages and uncaught errors.

Signing in, waiting for a page and checking it are in tests/e2e/browser.py.

Every test in this folder is marked `e2e`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.e2e.axe import AXE_PATH, axe_available
from tests.e2e.browser import BrowserLog
from tests.services import need

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright for Python", False)
    need("Debian chromium (/usr/bin/chromium)", CHROMIUM.exists())
    need(f"axe-core at {AXE_PATH} (run `npm ci`)", axe_available())
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    chromium = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture()
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture()
def page(browser, live_server: str, browser_log: BrowserLog):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    new_page.on("console", lambda msg: browser_log.console.append((msg.type, msg.text)))
    new_page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    try:
        yield new_page
    finally:
        context.close()
