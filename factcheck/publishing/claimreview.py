"""Build schema.org ClaimReview objects (pure: no Flask, no database).

Follows Google's fact-check markup guidance: required ``claimReviewed``,
``reviewRating`` (with ``alternateName``), ``url``, ``author``; recommended
``itemReviewed`` (a ``Claim`` with its author, appearance and date),
``datePublished``; plus ``dateModified`` for corrections.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from factcheck.publishing.atom import rfc3339


@dataclass(frozen=True)
class ReviewFacts:
    claim_reviewed: str
    review_url: str
    rating_name: str
    rating_value: int
    best_rating: int
    worst_rating: int
    organization_name: str
    organization_url: str
    date_published: datetime
    date_modified: datetime
    claimant: str | None = None
    claim_date: date | None = None
    appearance_url: str | None = None
    appearance_headline: str | None = None
    appearance_publisher: str | None = None
    language: str = "en"
    headline: str | None = None


_ORGANISATION_WORDS = re.compile(
    r"\b(?:ministry|department|agency|organi[sz]ation|party|council|government|office|institute|university|"
    r"company|inc|ltd|group|posts|association|commission|committee|bank|union|news|times|video|website)\b",
    re.IGNORECASE,
)


def _claimant_type(name: str) -> str:
    # A rough guess: organisations usually carry one of these words (whole words only:
    # "Lincoln" is not an "inc").
    return "Organization" if _ORGANISATION_WORDS.search(name) else "Person"


def build_claim_review(facts: ReviewFacts) -> dict:
    """Return a ClaimReview as a JSON-ready dict."""
    item: dict = {"@type": "Claim"}
    if facts.claimant:
        item["author"] = {"@type": _claimant_type(facts.claimant), "name": facts.claimant}
    if facts.claim_date:
        item["datePublished"] = facts.claim_date.isoformat()
    if facts.appearance_url:
        appearance: dict = {"@type": "CreativeWork", "url": facts.appearance_url}
        if facts.appearance_headline:
            appearance["headline"] = facts.appearance_headline
        if facts.appearance_publisher:
            appearance["publisher"] = {"@type": "Organization", "name": facts.appearance_publisher}
        item["appearance"] = appearance
        item["firstAppearance"] = appearance
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": facts.review_url,
        "claimReviewed": facts.claim_reviewed,
        "datePublished": rfc3339(facts.date_published),
        "dateModified": rfc3339(facts.date_modified),
        "inLanguage": facts.language,
        "author": {"@type": "Organization", "name": facts.organization_name, "url": facts.organization_url},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": facts.rating_value,
            "bestRating": facts.best_rating,
            "worstRating": facts.worst_rating,
            "alternateName": facts.rating_name,
        },
        "itemReviewed": item,
    }
    if facts.headline:
        review["headline"] = facts.headline
    return review


def json_ld_script(review: dict) -> Markup:
    """The ``<script type="application/ld+json">`` element, safe to embed in HTML.

    ``<``, ``>`` and ``&`` are escaped as JSON unicode escapes so text such as
    ``</script>`` in a claim cannot break out of the element.
    """
    payload = (json.dumps(review, ensure_ascii=False, indent=2)
               .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    return Markup(f'<script type="application/ld+json">\n{payload}\n</script>')
