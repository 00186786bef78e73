"""Browser tests: Playwright drives Debian's chromium against the live stack of tests/e2e.

The browser is the system package (`make test` installs it when missing), launched by path, so
nothing is downloaded. Each test gets a fresh context; a screenshot of every page a test names
is kept under var/test-artifacts/browser/, and one of the last page when a test fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.conftest import ROOT

# Playwright's sync API keeps an event loop on the test thread, so Django would refuse the
# test's own ORM calls as "async-unsafe"; nothing here runs concurrently with them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per session: Playwright's loop stays on the thread while it runs, and
    # the tests after this folder's should not run their ORM calls under it.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No chromium at {CHROMIUM}: run `make browser` (or set CHROMIUM_PATH).")
    with sync_playwright() as playwright:
        # No sandbox: CI runs as root, where chromium's own sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()
    connections.close_all()


class Screens:
    """Saves screenshots as ``<test>-<nn>-<name>.png`` in the artifacts folder."""

    def __init__(self, page: Page, test_name: str) -> None:
        self.page = page
        self.prefix = re.sub(r"[^a-z0-9_]+", "-", test_name.lower())
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    # The browser's console (CSP violations land there) and uncaught errors, kept for failures.
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield page
    # The test's ORM calls ran with Playwright's loop on the thread, where asgiref gives them
    # a connection of their own; closed here, or it would hold the test database open.
    connections.close_all()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-FAILED.png"), full_page=True)
        (ARTIFACTS / f"{request.node.name}-console.log").write_text("\n".join(console))


@pytest.fixture
def screens(page: Page, request: pytest.FixtureRequest) -> Screens:
    return Screens(page, request.node.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
