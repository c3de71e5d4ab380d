"""Public feeds and markup (issue 11): the Atom feed is well-formed whatever a claim contains, every
timestamp the app serves is RFC 3339 with its offset, and ClaimReview carries Google's fields.

The rows are written with aware UTC times, as the app writes them; on SQLite they used to come back
without a zone, and the Atom template pasted claim text into the XML unescaped.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from lxml import etree

from factcheck.models import Article, Claim, Verdict
from factcheck.publishing.atom import AtomEntry, build_atom, xml_text
from factcheck.services.users import create_token

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
ATOM = "{http://www.w3.org/2005/Atom}"
NASTY = ('The <b>minister</b> said "40% & rising" ]]> <script>alert(1)</script>'
         '<entry><title>injected</title></entry>\x07\x1b\x0c done \U0001F600')  # (PostgreSQL stores no NUL)
NASTY_SUMMARY = "False: see <a href='x'>this</a> ]]> & \x0b that."
PUBLISHED = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def _publish(session, text: str = NASTY, summary: str = NASTY_SUMMARY) -> Claim:
    article = Article(title="Budget <speech>", text=text, url="https://news.example/budget", outlet="Example News",
                      published_at=date(2026, 11, 19))
    session.add(article)
    session.commit()
    claim = Claim(article_id=article.id, sentence=text, standalone_text=text, span_end=len(text),
                  claimant="Finance Minister", state="published", published_at=PUBLISHED)
    session.add(claim)
    session.commit()
    session.add(Verdict(claim_id=claim.id, rating="False", rating_value=1, summary=summary,
                        published_at=PUBLISHED + timedelta(days=1)))
    session.commit()
    return claim


def test_atom_feed_is_well_formed_and_keeps_the_text(app, session):
    _publish(session)
    response = app.test_client().get("/checks/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.data)  # raises on malformed XML
    assert root.tag == f"{ATOM}feed"
    [entry] = root.findall(f"{ATOM}entry")  # the claim's "<entry>" is text, not an element
    assert entry.findtext(f"{ATOM}title") == "False: " + xml_text(NASTY)
    assert entry.findtext(f"{ATOM}summary") == xml_text(NASTY_SUMMARY)
    assert "<b>minister</b>" in entry.findtext(f"{ATOM}title") and "]]>" in entry.findtext(f"{ATOM}title")
    for path in (f"{ATOM}updated", f"{ATOM}entry/{ATOM}updated", f"{ATOM}entry/{ATOM}published"):
        assert RFC3339.match(root.findtext(path)), (path, root.findtext(path))
    assert root.findtext(f"{ATOM}entry/{ATOM}published") == "2026-11-20T09:30:00+00:00"
    assert root.findtext(f"{ATOM}updated") == "2026-11-21T09:30:00+00:00"


def test_atom_builder_drops_only_what_xml_cannot_carry():
    assert xml_text("a\x00b\x08c\td\ne\rf\ufffeg\U0001F600") == "ab" + "c\td\ne\rfg\U0001F600"
    body = build_atom(title="T & <t>", feed_id="https://x.example/", home_url="https://x.example/",
                      self_url="https://x.example/feed.atom", author="A", entries=[
                          AtomEntry(id="https://x.example/1", title="]]>", link="https://x.example/1?a=1&b=2",
                                    published=datetime(2026, 1, 1), updated=datetime(2026, 1, 2),
                                    summary="\x01")])
    root = etree.fromstring(body)
    assert root.findtext(f"{ATOM}title") == "T & <t>"
    assert root.find(f"{ATOM}entry/{ATOM}link").get("href") == "https://x.example/1?a=1&b=2"
    # A naive time is the app's UTC.
    assert root.findtext(f"{ATOM}entry/{ATOM}published") == "2026-01-01T00:00:00+00:00"


def test_empty_atom_feed_is_valid(app):
    root = etree.fromstring(app.test_client().get("/checks/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == [] and RFC3339.match(root.findtext(f"{ATOM}updated"))


def test_json_feed_and_json_ld_times_are_rfc3339(app, session):
    claim = _publish(session, text="Unemployment fell by 40% last year.", summary="It fell by 4%.")
    client = app.test_client()
    [item] = client.get("/checks/feed.json").get_json()["items"]
    assert item["date_published"] == "2026-11-20T09:30:00+00:00"
    assert item["date_modified"] == "2026-11-21T09:30:00+00:00"
    page = client.get(f"/checks/{claim.id}").get_data(as_text=True)
    review = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert RFC3339.match(review["datePublished"]) and RFC3339.match(review["dateModified"])
    assert review["dateModified"] == "2026-11-21T09:30:00+00:00"
    assert item["_claim_review"]["dateModified"] == review["dateModified"]


# Google's ClaimReview structured data (developers.google.com/search/docs/appearance/structured-data/factcheck):
# required on ClaimReview, required on its reviewRating, recommended on ClaimReview and on itemReviewed (Claim).
GOOGLE_REQUIRED = ("claimReviewed", "reviewRating", "url")
GOOGLE_RATING = ("alternateName", "ratingValue", "bestRating", "worstRating")
GOOGLE_RECOMMENDED = ("author", "datePublished", "itemReviewed")
GOOGLE_CLAIM_RECOMMENDED = ("author", "appearance", "datePublished")


def test_published_claim_review_has_googles_required_and_recommended_fields(app, session):
    claim = _publish(session, text="Unemployment fell by 40% last year.", summary="It fell by 4%.")
    page = app.test_client().get(f"/checks/{claim.id}").get_data(as_text=True)
    review = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    for name in GOOGLE_REQUIRED + GOOGLE_RECOMMENDED:
        assert review.get(name), name
    assert review["claimReviewed"] == "Unemployment fell by 40% last year."
    assert review["url"].endswith(f"/checks/{claim.id}")
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    for name in GOOGLE_RATING:
        assert rating.get(name) is not None, name
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert rating["alternateName"] == "False"
    assert review["author"]["@type"] == "Organization" and review["author"]["name"] and review["author"]["url"]
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    for name in GOOGLE_CLAIM_RECOMMENDED:
        assert item.get(name), name
    assert item["author"] == {"@type": "Person", "name": "Finance Minister"}
    assert item["appearance"]["url"] == "https://news.example/budget"
    assert item["datePublished"] == "2026-11-19"


def test_api_timestamps_are_rfc3339(app, session, users):
    claim = _publish(session, text="Unemployment fell by 40% last year.", summary="It fell by 4%.")
    token = create_token(session, user=users["checker"], name="tests")
    client = app.test_client()
    article = client.get(f"/api/v1/articles/{claim.article_id}", headers={"Authorization": f"Bearer {token}"})
    assert RFC3339.match(article.get_json()["created_at"]), article.get_json()["created_at"]
    [review] = client.get("/api/v1/claim-reviews").get_json()["claim_reviews"]
    assert RFC3339.match(review["datePublished"]) and RFC3339.match(review["dateModified"])
    response = client.post(f"/api/v1/claims/{claim.id}/comments", json={"body": "Noted."},
                           headers={"Authorization": f"Bearer {token}"})
    assert RFC3339.match(response.get_json()["created_at"])


@pytest.mark.parametrize("naive", [False, True])
def test_times_read_back_are_aware_utc(session, naive):
    when = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    article = Article(title="t", text="x", created_at=when.replace(tzinfo=None) if naive else when)
    session.add(article)
    session.commit()
    session.expire_all()
    assert session.get(Article, article.id).created_at == when
    assert session.get(Article, article.id).created_at.utcoffset() == timedelta(0)
