"""Browser tests: headless Chromium (Debian's `chromium`, driven by Playwright) using the
console of a `hookyard dev` stack, as an admin would. Each test's page records the
browser console and uncaught errors; a test fails if any appears that it did not expect.
Screenshots of each page go to .hookyard/screenshots/ (not committed)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, Response, sync_playwright

from tests.conftest import ROOT
from tests.e2e.conftest import Dev, dev  # noqa: F401 - the session's `hookyard dev`
from tests.e2e.receiver import Receiver, running_receiver

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / ".hookyard" / "screenshots"
# A laptop screen.
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("browser tests need Debian's chromium at /usr/bin/chromium: `make test` installs it")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


@dataclass
class Console:
    """The console open in a fresh browser tab, and what that tab reported."""

    page: Page
    dev: Dev
    errors: list[str] = field(default_factory=list)
    # Browser console lines a test expects (a refused token logs its 401 response).
    expected: list[re.Pattern[str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.dev.url + "/console/"

    def open(self, view: str = "") -> None:
        self.page.goto(self.url + view)

    def sign_in(self, token: str | None = None) -> None:
        self.open()
        self.page.get_by_label("API token").fill(token or self.dev.token)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("navigation", name="Main").wait_for()

    def go(self, link: str) -> None:
        """Follow a link of the main navigation."""
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()

    def screenshot(self, name: str) -> None:
        """Save the page for a reviewer, having checked what every page must have: each
        form control labelled, each button and link named."""
        assert self.unlabelled() == [], f"controls without a label on {name}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def unlabelled(self) -> list[str]:
        return list(
            self.page.evaluate(
                """() => [...document.querySelectorAll("input, select, textarea, button, a[href]")]
                    .filter((e) => !e.closest("[hidden]"))
                    .filter((e) => !((e.labels && e.labels.length) || e.getAttribute("aria-label")
                                     || (!["INPUT", "SELECT", "TEXTAREA"].includes(e.tagName)
                                         && e.textContent.trim())))
                    .map((e) => e.outerHTML.slice(0, 120))"""
            )
        )

    def expect_console(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console(browser: Browser, dev: Dev) -> Iterator[Console]:  # noqa: F811 - dev is the imported fixture
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dev.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Console(page, dev)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            opened.errors.append(f"{message.type}: {message.text} ({message.location.get('url')})")

    refused: list[Response] = []
    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: refused.append(response) if response.status >= 400 else None)
    yield opened
    answers = [f"{r.status} {r.request.method} {r.url}: {_body(r)}" for r in refused]
    context.close()
    assert opened.unexpected() == [], "the browser console reported errors; the API refused:\n" + "\n".join(answers)


def _body(response: Response) -> str:
    try:
        return response.text()[:500]
    except Error as exc:  # the page had gone on, or was played by a test's route
        return f"(no body: {exc.message})"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def eventually[T](read: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    """`read()` again until `done` holds of its answer (work on queues takes its time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def api_json(dev: Dev, method: str, path: str, **kwargs: Any) -> Any:  # noqa: F811
    response = dev.api(method, path, dev.token, **kwargs)
    assert response.ok, response.text
    return response.json() if response.text else None
