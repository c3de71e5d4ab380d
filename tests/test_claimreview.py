"""schema.org ClaimReview markup (factcheck.publishing.claimreview): pure.

Checks Google's required and recommended fields and that the JSON-LD script
element cannot be broken out of by text inside a claim.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from markupsafe import Markup

from factcheck.publishing.claimreview import ReviewFacts, build_claim_review, json_ld_script

PUBLISHED = datetime(2024, 3, 5, 14, 30, 0, tzinfo=timezone.utc)
MODIFIED = datetime(2024, 3, 9, 8, 15, 42, tzinfo=timezone.utc)


@pytest.fixture
def full_facts() -> ReviewFacts:
    return ReviewFacts(
        claim_reviewed="The port of Easthaven handled 4.2 million containers in 2023.",
        review_url="https://factcheck.example/checks/17",
        rating_name="Mostly true",
        rating_value=4,
        best_rating=5,
        worst_rating=1,
        organization_name="Easthaven Fact Desk",
        organization_url="https://factcheck.example",
        date_published=PUBLISHED,
        date_modified=MODIFIED,
        claimant="Lena Ortiz",
        claim_date=date(2024, 2, 28),
        appearance_url="https://news.example/port-record-year",
        appearance_headline="Port authority reports record year",
        appearance_publisher="Easthaven Herald",
        language="en",
        headline="Close, but the figure includes empty containers.",
    )


@pytest.fixture
def bare_facts(full_facts) -> ReviewFacts:
    return replace(full_facts, claimant=None, claim_date=None, appearance_url=None,
                   appearance_headline=None, appearance_publisher=None, headline=None)


def test_required_top_level_fields(full_facts):
    review = build_claim_review(full_facts)
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == full_facts.claim_reviewed
    assert review["url"] == full_facts.review_url
    assert review["author"] == {"@type": "Organization", "name": "Easthaven Fact Desk",
                                "url": "https://factcheck.example"}
    assert review["inLanguage"] == "en"
    assert review["headline"] == full_facts.headline


def test_review_rating(full_facts):
    rating = build_claim_review(full_facts)["reviewRating"]
    assert rating == {"@type": "Rating", "ratingValue": 4, "bestRating": 5, "worstRating": 1,
                      "alternateName": "Mostly true"}
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]


def test_times_are_rfc_3339_with_offset(full_facts):
    review = build_claim_review(full_facts)
    assert review["datePublished"] == "2024-03-05T14:30:00+00:00"
    assert datetime.fromisoformat(review["datePublished"]) == PUBLISHED
    assert review["dateModified"] == "2024-03-09T08:15:42+00:00"
    # A naive time (SQLite hands those back) is the app's UTC, never a time without a zone.
    naive = build_claim_review(replace(full_facts, date_modified=MODIFIED.replace(tzinfo=None)))
    assert naive["dateModified"] == "2024-03-09T08:15:42+00:00"


def test_item_reviewed_with_everything_known(full_facts):
    item = build_claim_review(full_facts)["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Person", "name": "Lena Ortiz"}
    assert item["datePublished"] == "2024-02-28"
    appearance = {"@type": "CreativeWork", "url": "https://news.example/port-record-year",
                  "headline": "Port authority reports record year",
                  "publisher": {"@type": "Organization", "name": "Easthaven Herald"}}
    assert item["appearance"] == appearance
    assert item["firstAppearance"] == appearance


def test_item_reviewed_omits_what_is_unknown(bare_facts):
    review = build_claim_review(bare_facts)
    assert review["itemReviewed"] == {"@type": "Claim"}
    assert "headline" not in review
    # No empty or null values anywhere: Google's validator flags them.
    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        else:
            assert value not in (None, "", [], {})
    walk(review)


def test_appearance_without_headline_or_publisher(full_facts):
    item = build_claim_review(replace(full_facts, appearance_headline=None, appearance_publisher=None))["itemReviewed"]
    assert item["appearance"] == {"@type": "CreativeWork", "url": "https://news.example/port-record-year"}


@pytest.mark.parametrize("claimant", ["Ministry of Health", "World Health Organization", "Labour Party",
                                      "Acme Ltd", "Easthaven City Council"])
def test_organisations_as_claim_author(full_facts, claimant):
    item = build_claim_review(replace(full_facts, claimant=claimant))["itemReviewed"]
    assert item["author"] == {"@type": "Organization", "name": claimant}


@pytest.mark.parametrize("claimant", ["Lena Ortiz", "Gavin Newsom", "Vincent Okafor", "Abraham Lincoln",
                                      "Priya Nair"])
def test_people_as_claim_author(full_facts, claimant):
    # Organisation markers must match whole words: "Newsom" is not "news",
    # "Vincent"/"Lincoln" do not contain the word "inc".
    item = build_claim_review(replace(full_facts, claimant=claimant))["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": claimant}


def test_review_is_json_serialisable(full_facts):
    review = build_claim_review(full_facts)
    assert json.loads(json.dumps(review)) == review


# --- the <script> element ---------------------------------------------------------------

HOSTILE = ('Officials said "</script><script>alert(1)</script>" and <!-- hidden --> '
           'then </SCRIPT > & more — café “quotes”')

_SCRIPT = re.compile(r'\A<script type="application/ld\+json">(.*)</script>\Z', re.DOTALL)


def _payload(html: str) -> str:
    match = _SCRIPT.match(html)
    assert match, html
    return match.group(1)


def test_script_element_wraps_the_json(full_facts):
    review = build_claim_review(full_facts)
    html = json_ld_script(review)
    assert isinstance(html, Markup)
    assert json.loads(_payload(str(html))) == review


def test_script_cannot_be_broken_out_of(full_facts):
    review = build_claim_review(replace(full_facts, claim_reviewed=HOSTILE, headline=HOSTILE,
                                        claimant="</script><!--"))
    html = str(json_ld_script(review))
    lowered = html.lower()
    # The only closing tag is the element's own, at the very end.
    assert lowered.count("</script") == 1
    assert lowered.endswith("</script>")
    assert "<!--" not in html
    assert lowered.count("<script") == 1
    payload = _payload(html)
    assert "<" not in payload and ">" not in payload
    # The payload still decodes to exactly the original text.
    decoded = json.loads(payload)
    assert decoded["claimReviewed"] == HOSTILE
    assert decoded["headline"] == HOSTILE
    assert decoded["itemReviewed"]["author"]["name"] == "</script><!--"
    assert decoded == review


def test_markup_is_not_escaped_again_by_templates(full_facts):
    review = build_claim_review(replace(full_facts, claim_reviewed="A & B < C"))
    html = json_ld_script(review)
    # Markup passes through escape() untouched; the JSON must not contain HTML entities.
    assert str(Markup.escape(html)) == str(html)
    assert "&amp;" not in str(html) and "&lt;" not in str(html)
    assert json.loads(_payload(str(html)))["claimReviewed"] == "A & B < C"
