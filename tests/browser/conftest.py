"""Browser tests: Debian's Chromium driven by Playwright against a live server that serves the
practice hosts (`<subdomain>.localhost:<port>`, which Chromium resolves to 127.0.0.1 itself and
treats as a secure context, so service workers, the Cache API and Clear-Site-Data all work).

The data a test makes is committed (`committed_db`): the server answers from its own threads and
connections. Playwright's sync API keeps an asyncio loop marked as running in this thread while
it is started, which Django's ORM takes for an async context; the browser is therefore started
per module and, only while it runs, DJANGO_ALLOW_ASYNC_UNSAFE is set (the ORM is still used from
this one thread, synchronously)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection
from django.test import Client
from django.test.testcases import LiveServerThread
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tenants.accounts.models import User
from tenants.models import Practice
from tests.conftest import PracticeWorld

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
# Long enough for a slow CI machine, short enough that a hang fails fast.
TIMEOUT_MS = 15_000


def _browser_environment() -> dict[str, str]:
    """The browser runs on the real clock: under `make test-clock` libfaketime is preloaded into
    every process, and Chromium with it loads no page at all. The server's times reach the
    browser only as relative values (Max-Age, the session's idle limit checked on the server),
    so a shifted server against a real browser is still a day a person could have."""
    return {name: value for name, value in os.environ.items()
            if name != "LD_PRELOAD" and not name.startswith("FAKETIME")}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=CHROMIUM_ARGS, headless=True, env=_browser_environment())
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class LiveServer:
    port: int

    def url(self, world: PracticeWorld | Practice, path: str = "/") -> str:
        practice = world.practice if isinstance(world, PracticeWorld) else world
        return f"http://{practice.subdomain}.localhost:{self.port}{path}"


@pytest.fixture
def practice_server(committed_db: None, settings: Any) -> Iterator[LiveServer]:
    """The app on 127.0.0.1, practice hosts under localhost; links in emails carry its port."""
    settings.PLATFORM_DOMAIN = "localhost"
    settings.ALLOWED_HOSTS = ["localhost", ".localhost"]
    settings.PLATFORM_SCHEME = "http"
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    settings.PLATFORM_PORT = str(thread.port)
    yield LiveServer(port=thread.port)
    thread.terminate()


# Every page reports what the Content-Security-Policy refused, twice over: the event (the
# script runs before any of the page's, outside its policy) and Chromium's console message.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
});
"""
CSP_MESSAGE = re.compile(r"CSP violation|Content Security Policy", re.IGNORECASE)


class Devices(list[BrowserContext]):
    """The browser contexts of a test, and what the policy refused on any of their pages (a
    test that provokes a violation on purpose takes it out of `csp_violations`)."""

    def __init__(self) -> None:
        super().__init__()
        self.csp_violations: list[str] = []


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Devices]:
    """Browser contexts a test opens (one per person/device); all closed afterwards, before
    the server stops. The test fails if the Content-Security-Policy refused anything."""
    opened = Devices()
    yield opened
    for context in opened:
        context.close()
    if opened.csp_violations:
        pytest.fail("The Content-Security-Policy refused something:\n" +
                    "\n".join(opened.csp_violations), pytrace=False)


def new_device(browser: Browser, contexts: list[BrowserContext], *, width: int = 360,
               height: int = 780, service_workers: Literal["allow", "block"] = "allow") -> Page:
    """A fresh browser profile (nothing cached, nobody signed in), phone-sized by default."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  service_workers=service_workers)
    context.set_default_timeout(TIMEOUT_MS)
    if isinstance(contexts, Devices):
        violations = contexts.csp_violations
        context.add_init_script(CSP_LISTENER)

        def heard(message: ConsoleMessage) -> None:
            if CSP_MESSAGE.search(message.text):
                violations.append(f"{message.page.url if message.page else '?'}: "
                                  f"{message.text}")

        context.on("console", heard)
    contexts.append(context)
    return context.new_page()


def sign_in(page: Page, world: PracticeWorld | Practice, server: LiveServer, user: User) -> None:
    """Give the page's browser a session of `user` (made as the test client makes one)."""
    practice = world.practice if isinstance(world, PracticeWorld) else world
    http = Client(HTTP_HOST=f"{practice.subdomain}.localhost")
    with schema_context(practice.schema_name):
        http.force_login(user)
    connection.set_schema_to_public()
    page.context.add_cookies([{"name": "sessionid", "value": http.cookies["sessionid"].value,
                               "url": server.url(practice)}])


def in_schema(world: PracticeWorld | Practice) -> Any:
    practice = world.practice if isinstance(world, PracticeWorld) else world
    return schema_context(practice.schema_name)
