"""A real Chromium (Debian's package) driven by Playwright against Django's live server.

Browsers cannot be downloaded here, so Playwright is pointed at the system binary. Without
Chromium the browser tests are skipped locally; CI sets REQUIRE_BROWSER=1, which turns a
missing browser into a failure instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def _chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test still talks to the
    # database synchronously between browser steps, which is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _csp_violation(message) -> str | None:
    """Chromium reports a blocked inline script or style (and any other resource the
    Content-Security-Policy refuses) as a console error naming the policy."""
    text = message.text
    if message.type == "error" and "Content Security Policy" in text:
        return f"{message.location.get('url', '')}: {text}"
    return None


@pytest.fixture(autouse=True)
def fail_on_csp_violation(browser, monkeypatch):
    """Every browser context a test opens listens to the console; a test during which a
    page broke the Content-Security-Policy fails, naming the page and what was refused."""
    violations: list[str] = []
    open_context = browser.new_context

    def new_context(*args, **kwargs):
        context = open_context(*args, **kwargs)

        def on_console(message) -> None:
            violation = _csp_violation(message)
            if violation:
                violations.append(violation)

        context.on("console", on_console)
        return context

    monkeypatch.setattr(browser, "new_context", new_context)
    yield violations
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
