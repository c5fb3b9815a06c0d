"""A real browser (Debian's Chromium through Playwright) against the live server.

Nothing may leave the machine: every request the pages make is recorded, and any request to a
host other than the server is both aborted and reported as a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PSICO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class NetworkLog:
    """Every URL a page asked for; requests to other hosts are aborted, never sent."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.blocked: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        self.urls.append(url)
        scheme = urlsplit(url).scheme
        if scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL_HOSTS:
            self.blocked.append(url)
            route.abort()
        else:
            route.continue_()


@pytest.fixture
def page(browser, artifacts_dir: Path, request) -> Iterator:
    context = browser.new_context(locale="es-BO", viewport={"width": 1280, "height": 900})
    network = NetworkLog()
    context.route("**/*", network.route)
    page = context.new_page()
    page.network = network
    page.set_default_timeout(20_000)
    yield page
    page.screenshot(path=str(screenshot_path(artifacts_dir, request.node.name)))
    context.close()


def screenshot_path(artifacts_dir: Path, name: str) -> Path:
    screens = artifacts_dir / "screenshots"
    screens.mkdir(parents=True, exist_ok=True)
    return screens / f"{name}.png"


def test_swagger_ui_lists_operations_without_leaving_localhost(page, live_server):
    page.goto(live_server.url("/api/docs/"))
    page.wait_for_selector(".opblock")

    served = httpx.get(live_server.url("/api/schema/"), params={"format": "json"}).json()
    expected = sum(
        method in ("get", "post", "put", "patch", "delete")
        for operations in served["paths"].values()
        for method in operations
    )
    assert page.locator(".opblock").count() == expected
    assert page.locator(".opblock-summary-path", has_text="/api/auth/login/").count() == 1
    assert page.network.urls, "the network log recorded nothing"
    assert page.network.blocked == []
    assert all(
        urlsplit(url).hostname in LOCAL_HOSTS or urlsplit(url).scheme in ("data", "blob")
        for url in page.network.urls
    ), page.network.urls


def test_swagger_try_it_out_login_returns_a_token(page, live_server, artifacts_dir):
    account = live_server.accounts["patient"]
    page.goto(live_server.url("/api/docs/"))
    login = page.locator(
        ".opblock-post", has=page.locator(".opblock-summary-path", has_text="/api/auth/login/")
    )
    login.locator(".opblock-summary").click()
    login.get_by_role("button", name="Try it out").click()
    body = login.locator("textarea.body-param__text")
    body.fill(json.dumps({"email": account.email, "password": account.password}))
    with page.expect_response(lambda response: response.url.endswith("/api/auth/login/")) as info:
        login.get_by_role("button", name="Execute").click()
    response = info.value
    assert response.status == 200
    token = response.json()["token"]
    assert len(token) >= 20
    # What the person sees: the live response rendered under the operation, with the token.
    live = login.locator(".live-responses-table tbody .response")
    live.wait_for()
    assert live.locator(".response-col_status").inner_text().strip() == "200"
    assert token in live.locator(".response-col_description").inner_text()
    login.screenshot(path=str(screenshot_path(artifacts_dir, "swagger-login-try-it-out")))
    assert page.network.blocked == []


def test_admin_login_lists_appointments(page, live_server):
    admin = live_server.accounts["admin"]
    page.goto(live_server.url("/admin/"))
    page.fill("#id_username", admin.email)
    page.fill("#id_password", admin.password)
    page.click("input[type=submit]")
    # Only a signed-in page has the user tools (log out, change password).
    page.wait_for_selector("#user-tools")
    assert urlsplit(page.url).path == "/admin/"

    page.goto(live_server.url("/admin/psico_scheduling/appointment/"))
    rows = page.locator("#result_list tbody tr")
    # The two seeded ones at least (the client test may have booked more by now).
    assert rows.count() >= 2
    assert page.locator("#result_list", has_text="Lucía").count() == 1
    assert page.network.blocked == []
