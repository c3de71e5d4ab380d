"""End to end in a real browser: Debian's Chromium driven by Playwright.

This checks what the test client cannot: that htmx (vendored) loads under the
Content-Security-Policy, sends the CSRF header on every fragment request, and
swaps panels and the out-of-band status badge as the server intends.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
import threading

import pytest
from werkzeug.serving import make_server

from factcheck.db import session_scope
from tests.conftest import make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTICLE = """Vaccine scare spreads online

By Sam Reporter

A viral video shared on Sunday claimed that the MMR vaccine causes autism in young children.
The video also said the Great Wall of China is visible from space with the naked eye.
"""


@contextmanager
def serving(app):
    """Serve ``app`` on a free local port for the browser; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(demo_app):
    with session_scope(demo_app.extensions["factcheck.engine"]) as session:
        make_user(session, "checker@example.org", "checker")
        make_user(session, "editor@example.org", "editor")
    with serving(demo_app) as base:
        yield base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Problems(list):
    """Console errors, CSP violations and uncaught page errors seen by any page of a test."""

    # Runs in every document before its own scripts: CSP violations are reported even when the
    # browser would only count them (a refused inline style logs nothing in some builds).
    REPORTER = ("document.addEventListener('securitypolicyviolation', e => console.error("
                "'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + "
                "' at ' + e.sourceFile + ':' + e.lineNumber));")

    def watch(self, page):
        page.add_init_script(self.REPORTER)
        page.on("console", lambda message: self.append(f"{page.url}: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: self.append(f"{page.url}: {error}"))
        return page


@pytest.fixture
def problems():
    found = Problems()
    yield found
    assert list(found) == [], "console errors or CSP violations:\n" + "\n".join(found)


def _login(browser, base: str, email: str, problems: Problems | None = None):
    page = browser.new_context().new_page()
    if problems is not None:
        problems.watch(page)
    page.goto(f"{base}/auth/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    return page


def test_check_a_claim_from_article_to_public_page(live_server, browser, problems):
    from playwright.sync_api import expect

    checker = _login(browser, live_server, "checker@example.org", problems)

    checker.goto(f"{live_server}/articles/new")
    checker.fill("#f-title", "Vaccine scare")
    checker.fill("#f-url", "https://news.example/vaccine-scare")
    checker.fill("#f-published_at", "2026-11-22")
    checker.fill("#f-text", ARTICLE)
    checker.click("form.stack button[type=submit]")
    checker.wait_for_url(re.compile(r".*/articles/\d+$"))
    checker.click("a.claim-hl:has-text('MMR')")
    checker.wait_for_url(re.compile(r".*/claims/\d+$"))
    claim_url = checker.url
    status_badge = checker.locator("[id$='-status']").first

    checker.click("#claim-workflow button:has-text('Take')")
    expect(status_badge).to_have_text("In progress")
    # The earlier fact-check is suggested; confirming opens the side-by-side view, which confirms it.
    expect(checker.locator("li.match:has-text('autism')").first).to_be_visible()
    checker.locator("li.match:has-text('autism') a:has-text('Confirm')").first.click()
    checker.locator("button:has-text('Confirm: same claim')").click()
    expect(checker.locator("li.match.status-confirmed").first).to_be_visible()
    # No stance is preselected: the checker chooses one.
    checker.locator("li.match select[name=stance]").first.select_option("refutes")
    checker.locator("li.match button:has-text('Use as evidence')").first.click()
    expect(checker.locator("#claim-evidence .count")).to_have_text("1")
    checker.select_option("#v-rating", "False")
    checker.fill("#v-summary", "Studies of millions of children found no link.")
    checker.click("#claim-verdict button:has-text('Save verdict')")
    expect(checker.locator("#claim-verdict")).to_contain_text("Draft version 1")
    checker.click("#claim-workflow button:has-text('Submit for review')")
    expect(status_badge).to_have_text("In review")
    # The history panel refreshed itself after the change (HX-Trigger).
    expect(checker.locator("#claim-history")).to_contain_text("submit")

    editor = _login(browser, live_server, "editor@example.org", problems)
    editor.goto(claim_url)
    editor.click("#claim-workflow button:has-text('Approve')")
    expect(editor.locator("[id$='-status']").first).to_have_text("Approved")
    editor.click("#claim-workflow a:has-text('Publish')")
    editor.wait_for_url(re.compile(r".*/claims/\d+/publish$"))
    expect(editor.locator("pre.json-preview")).to_contain_text('"@type": "ClaimReview"')
    editor.click("form.confirm-publish button:has-text('Yes, publish')")
    editor.wait_for_url(re.compile(r".*/claims/\d+$"))
    expect(editor.locator("[id$='-status']").first).to_have_text("Published")

    public = problems.watch(browser.new_context().new_page())
    public.goto(claim_url.replace("/claims/", "/checks/"))
    expect(public.locator(".verdict-badge")).to_have_text("False")
    json_ld = public.locator("script[type='application/ld+json']").text_content()
    assert '"@type": "ClaimReview"' in json_ld
    public.goto(f"{live_server}/checks/")
    public.goto(f"{live_server}/login")
    expect(public.locator("#email")).to_be_visible()


# Every page a logged-in editor can open from the navigation, plus the public ones.
PAGES = ("/queue", "/queue?view=all", "/articles/", "/articles/new", "/library/fact-checks", "/library/sources",
         "/library/search?q=vaccine", "/jobs/", "/notifications/", "/dashboard", "/checks/", "/auth/login")


def test_pages_load_without_console_errors_or_csp_violations(live_server, browser, problems):
    page = _login(browser, live_server, "editor@example.org", problems)
    for path in PAGES:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    # htmx's request indicator is styled by our stylesheet, not by styles htmx injects.
    page.goto(f"{live_server}/queue")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("document.querySelectorAll('style').length") == 0


def test_a_csp_violation_is_caught(live_server, browser):
    """The watcher itself works: an inline style on a page under our CSP is reported."""
    found = Problems()
    page = found.watch(browser.new_context().new_page())
    page.goto(f"{live_server}/auth/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')")
    page.wait_for_timeout(200)
    assert any("CSP violation" in problem or "Content Security Policy" in problem for problem in found), found


def test_live_search_updates_rows_without_reload(live_server, browser, problems):
    from playwright.sync_api import expect

    page = _login(browser, live_server, "checker@example.org", problems)
    page.goto(f"{live_server}/articles/new")
    page.fill("#f-title", "Vaccine scare")
    page.fill("#f-text", ARTICLE)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/articles/\d+$"))
    page.goto(f"{live_server}/queue")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(2)
    page.fill("input[name=q]", "Great Wall")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Great Wall")
    assert re.search(r"q=Great(\+|%20)Wall", page.url)  # the search is in the address bar, to share
