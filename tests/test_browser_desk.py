"""The desk lead's morning in a real browser (Chromium via Playwright), with screenshots at 1280 and 390 px.

Bulk-assign ten claims, the assignee's notification, a review that sends the verdict back, publishing,
and the dashboard; at 390 px no page scrolls sideways, on the claim page the next workflow action (take,
submit, approve, publish) is on the first screen of a 390 x 844 phone, and no page logs a console error
(CSP included).
Screenshots are written to tests/output/desk/ (ignored by git) as artifacts of the run.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from factcheck.db import session_scope
from factcheck.models import Article, Claim
from tests.conftest import make_user
from tests.test_browser import _login, browser, problems, serving  # noqa: F401 (fixtures)

OUTPUT = Path(__file__).resolve().parent / "output" / "desk"
WIDTHS = {"wide": 1280, "narrow": 390}
PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 screen in CSS pixels


@pytest.fixture
def desk_server(demo_app):
    with session_scope(demo_app.extensions["factcheck.engine"]) as session:
        make_user(session, "lead@example.org", "editor")
        make_user(session, "reviewer@example.org", "editor")
        make_user(session, "checker@example.org", "checker")
        make_user(session, "checker2@example.org", "checker")
        article = Article(title="Budget speech, annotated", outlet="The Daily", text="x")
        session.add(article)
        session.flush()
        for i in range(12):
            session.add(Claim(article_id=article.id, sentence=f"s{i}", checkworthiness=0.9 - i / 50,
                              standalone_text=f"The minister said unemployment fell by {i + 3}% in {2014 + i}."))
        session.commit()
    with serving(demo_app) as base:
        yield base


def _shots(page, name: str) -> None:
    """Save the page at both widths, and check that at 390 px nothing scrolls sideways.

    Screenshots keep the caret (``caret="initial"``): to hide it, Playwright puts style attributes on the
    form fields, which htmx copies when a panel refreshes itself later, and the page's CSP (rightly) refuses
    inline styles, so the test would report violations of its own making.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")  # let htmx finish loading panels before resizing
    for label, width in WIDTHS.items():
        page.set_viewport_size(PHONE if label == "narrow" else {"width": width, "height": 900})
        page.wait_for_timeout(50)
        page.screenshot(path=str(OUTPUT / f"{name}-{width}.png"), full_page=True, caret="initial")
        if label == "narrow":
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


def _action_on_first_screen(page, button: str, name: str) -> None:
    """On a 390 x 844 phone the claim page's next workflow action is visible without scrolling."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(50)
    page.screenshot(path=str(OUTPUT / f"{name}-390x844.png"), caret="initial")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    box = page.locator("#claim-workflow").locator("button, a.button", has_text=button).first.bounding_box(timeout=3000)
    assert box is not None, f"{name}: no {button!r} button"
    assert box["y"] + box["height"] <= PHONE["height"], f"{name}: {button!r} is at {box['y']:.0f}px, below the first screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_desk_leads_morning(desk_server, browser, problems):
    from playwright.sync_api import expect

    base = desk_server
    lead = _login(browser, base, "lead@example.org", problems)

    # The pool, grouped by article: twelve new claims with their article's title and outlet.
    lead.goto(f"{base}/queue?group=article")
    expect(lead.locator(".article-group h2")).to_contain_text("Budget speech, annotated")
    expect(lead.locator(".article-group")).to_contain_text("12 open claims")
    _shots(lead, "queue-grouped")

    # Bulk-assign ten claims to one checker, with a note.
    lead.goto(f"{base}/queue")
    boxes = lead.locator("input[name=claim_ids]")
    expect(boxes).to_have_count(12)
    for i in range(10):
        boxes.nth(i).check()
    lead.select_option("#bulk-action", "assign")
    lead.select_option("#bulk-assignee", label="checker")
    lead.fill("form.bulk input[name=note]", "This morning's budget claims")
    _shots(lead, "queue-selected")
    lead.click("form.bulk button[type=submit]")
    expect(lead.locator("h1")).to_contain_text("10 changed")
    _shots(lead, "bulk-report")

    # The keyboard: j moves to the first row, a selects it for assigning.
    lead.goto(f"{base}/queue")
    lead.locator("body").press("j")
    expect(lead.locator("tr.queue-row").first).to_be_focused()
    lead.keyboard.press("a")
    expect(lead.locator("tr.queue-row").first.locator("input[name=claim_ids]")).to_be_checked()
    expect(lead.locator("#bulk-assignee")).to_be_focused()

    # The assignee: ten notifications, the first opens its claim.
    checker = _login(browser, base, "checker@example.org", problems)
    expect(checker.locator(".unread-count")).to_have_text("10")
    checker.click("a.notifications-link")
    expect(checker.locator("li.notification.unread")).to_have_count(10)
    expect(checker.locator("li.notification").first).to_contain_text("This morning's budget claims")
    _shots(checker, "notifications")
    checker.goto(f"{base}/queue?view=mine")
    expect(checker.locator("tr.queue-row")).to_have_count(10)
    _shots(checker, "assigned-to-me")
    checker.locator("tr.queue-row a").first.click()
    checker.wait_for_url(re.compile(r".*/claims/\d+$"))
    claim_url = checker.url
    expect(checker.locator("#claim-assignment")).to_contain_text("Assigned to checker")

    # Check it: evidence, a verdict, submit.
    checker.click("#claim-evidence summary:has-text('Add evidence from a URL')")
    checker.fill("#ev-url", "https://stats.example/labour-market")
    checker.fill("#ev-quote", "Unemployment fell from 5.1% to 4.8%.")
    checker.select_option("#ev-stance", "refutes")
    checker.click("#claim-evidence button[type=submit]")
    expect(checker.locator("#claim-evidence .count")).to_have_text("1")
    checker.select_option("#v-rating", "Mostly false")
    checker.fill("#v-summary", "It fell, but by 0.3 points, not by the share claimed.")
    checker.click("#claim-verdict button:has-text('Save verdict')")
    expect(checker.locator("#claim-verdict")).to_contain_text("Draft version 1")
    _action_on_first_screen(checker, "Submit for review", "claim-in-progress")
    checker.click("#claim-workflow button:has-text('Submit for review')")
    expect(checker.locator("[id$='-status']").first).to_have_text("In review")
    _shots(checker, "claim-submitted")

    # The review sends it back; the checker hears of it, fixes it and submits again.
    reviewer = _login(browser, base, "reviewer@example.org", problems)
    reviewer.goto(claim_url)
    reviewer.click("#claim-workflow summary:has-text('Send back')")
    reviewer.fill("#c-send_back", "Give the period the figures cover.")
    reviewer.click("#claim-workflow .action-send_back button")
    expect(reviewer.locator("[id$='-status']").first).to_have_text("In progress")
    checker.goto(f"{base}/notifications/")
    expect(checker.locator("li.notification").first).to_contain_text("Give the period the figures cover.")
    checker.goto(claim_url)
    checker.fill("#v-summary", "From 2014 to 2015 it fell by 0.3 points, not by the share claimed.")
    checker.click("#claim-verdict button:has-text('Save verdict')")
    expect(checker.locator("#claim-verdict")).to_contain_text("saved", ignore_case=True)
    checker.click("#claim-workflow button:has-text('Submit for review')")
    expect(checker.locator("[id$='-status']").first).to_have_text("In review")

    # The reviewer sees the verdict as submitted, with what changed since the first submission.
    reviewer.goto(claim_url)
    expect(reviewer.locator("#claim-verdict .submitted")).to_contain_text("Mostly false")
    expect(reviewer.locator("#claim-verdict .submitted ins", has_text="2014")).to_have_count(1)
    expect(reviewer.locator("#claim-verdict .submitted del").first).to_be_visible()

    _action_on_first_screen(reviewer, "Approve", "claim-in-review")

    # Approve and publish.
    reviewer.click("#claim-workflow button:has-text('Approve')")
    expect(reviewer.locator("[id$='-status']").first).to_have_text("Approved")
    _action_on_first_screen(reviewer, "Publish", "claim-approved")
    reviewer.click("#claim-workflow a:has-text('Publish')")
    reviewer.wait_for_url(re.compile(r".*/claims/\d+/publish$"))
    expect(reviewer.locator("pre.json-preview")).to_contain_text('"@type": "ClaimReview"')
    _shots(reviewer, "publish-preview")
    reviewer.click("form.confirm-publish button:has-text('Yes, publish')")
    reviewer.wait_for_url(re.compile(r".*/claims/\d+$"))
    expect(reviewer.locator("[id$='-status']").first).to_have_text("Published")
    _shots(reviewer, "claim-published")

    # A claim still in the pool: taking it is the first thing on the phone's screen.
    checker.goto(f"{base}/queue")
    checker.locator("tr.queue-row a").first.click()
    checker.wait_for_url(re.compile(r".*/claims/\d+$"))
    _action_on_first_screen(checker, "Take", "claim-new")

    # The dashboard: the morning's figures.
    lead.goto(f"{base}/dashboard")
    expect(lead.locator("svg.chart")).to_have_count(6)
    expect(lead.locator(".figures")).to_contain_text("1 published")
    lead.locator("#h-checker_load ~ details summary").click()
    expect(lead.locator("#h-checker_load ~ details table")).to_contain_text("checker")
    _shots(lead, "dashboard")
