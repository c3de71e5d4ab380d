"""Reading news pages: the page's own description (JSON-LD, meta), the canonical URL, the first
publication date, boilerplate cut from head and tail, and a visible warning when a page gives
implausibly little text. The pages in ``tests/fixtures/pages`` were written for these tests."""
from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import lxml.html
import pytest

from factcheck.db import session_scope
from factcheck.domain.extraction import extract_claims
from factcheck.ingest import documents
from factcheck.ingest.page import read_page, tidy_body
from factcheck.models import Article
from tests.conftest import Browser, app_from_template
from tests.test_api import Api
from tests.test_api_ingest import _path, _submitted, _token, _upload, make_user_and_login
from tests.test_ingest_fetch import _Handler, local_server  # noqa: F401  (fixture)

PAGES = Path(__file__).parent / "fixtures" / "pages"


def _read(name: str, url: str | None = None) -> documents.ExtractedDocument:
    return documents.extract((PAGES / name).read_bytes(), url=url)


def test_a_story_kept_only_in_json_ld_is_read_from_there():
    document = _read("jsonld_body.html")
    # The markup shows only a caption; the story is the NewsArticle's articleBody inside @graph.
    assert "Cranes at Port Ardmore" not in document.text
    assert document.text.startswith("The county council voted 31 to 12 on Friday")
    assert document.text.endswith("before dredging can start.")
    assert document.text.count("\n\n") == 5  # its six paragraphs stay paragraphs
    assert document.warning is None
    assert document.title == "Harbour dredging plan approved despite fisheries objections"
    # First publication, not the revision two days later (which would shift "on Friday").
    assert document.published == date(2026, 3, 14)
    assert document.author == "Mairead Kinsella, Tomas Reyes"
    assert document.outlet == "The Coastal Courier"  # publisher given by an @id reference
    # The relative canonical link resolves against the page's own og:url (an upload has no address),
    # and wins over og:url with its tracking parameter.
    assert document.canonical_url == ("https://www.coastalcourier.example/news/2026/03/14/"
                                      "harbour-dredging-plan-approved")


def test_a_story_in_an_article_element_loses_its_dateline_credits_and_standards_line():
    document = _read("article_tag.html")
    assert document.text.startswith("Grain exports from the Nordic region fell to their lowest level")
    assert "OSLO" not in document.text and "(Northern Wire) -" not in document.text
    assert "Imports of feed grain from the Baltic states doubled" in document.text
    for furniture in ("Additional reporting by", "Our Standards", "©", "Most read", "By Anders Holm\n"):
        assert furniture not in document.text
    assert document.published == date(2026, 7, 2)  # article:published_time, not article:modified_time
    assert document.author == "Anders Holm" and document.outlet == "Northern Wire"
    assert document.canonical_url == "https://northernwire.example/markets/grain-exports-five-year-low-2026-07-02/"


def test_heavy_boilerplate_is_cut_from_head_middle_and_tail():
    document = _read("boilerplate.html")
    paragraphs = document.text.split("\n\n")
    assert paragraphs[0].startswith("Single bus fares across Westmoor will be capped")  # repeated headline gone
    assert paragraphs[-1].startswith("A similar cap introduced in the neighbouring county")
    for furniture in ("Sign up for our free", "Read more:", "originally published", "Follow us on", "Copyright"):
        assert furniture not in document.text
    assert len(paragraphs) == 6
    assert document.published == date(2026, 2, 18)  # datePublished, though dateModified comes first
    assert document.author == "Priya Natarajan" and document.outlet == "Westmoor Post"
    assert document.canonical_url == "https://www.westmoorpost.example/local/transport/bus-fares-capped-april"


def test_a_live_blog_keeps_every_post_and_drops_share_buttons():
    document = _read("liveblog.html")
    for post in ("gap of about £9bn a year", "fuel duty would stay frozen", "rise by 4.1% to £12.90",
                 "grew by 1.4% in the year to September", "Borrowing in the first half"):
        assert post in document.text
    assert "\nShare\n" not in document.text and not document.text.endswith("Share")
    assert "Sign up to the Business Today email" not in document.text
    assert document.published == date(2026, 10, 29) and document.outlet == "Capital Ledger"
    assert document.canonical_url == "https://capitalledger.example/live/2026/oct/29/budget-day-live"


def test_a_pull_quote_is_read_once_with_its_speaker():
    page = _read("pullquote.html")
    quote = "We are running faster just to stand still"
    assert page.text.count(quote) == 1
    assert f'{quote}," he said.' in page.text
    assert page.published == date(2026, 11, 12)  # the first publication, not the revision
    assert page.canonical_url == "https://dailyledger.example/health/waiting-lists-record"
    assert page.author == "James Okoro" and page.outlet == "Daily Ledger"
    # Neither the caption nor the advert, nor another story's headline, is a claim of this one.
    sentences = [claim.sentence for claim in extract_claims(page.text, published=page.published)]
    assert not any("Photograph" in s or "Advertisement" in s or "Train fares" in s for s in sentences)


def test_readers_comments_are_not_the_story():
    page = _read("comments.html")
    assert page.text.startswith("Eastvale council will close the libraries")
    assert page.text.rstrip().endswith("three a week in both villages.")
    assert "GreenFan77" not in page.text and "disgrace" not in page.text
    assert page.published == date(2026, 11, 27) and page.author == "Priya Sandhu"


def test_a_page_with_only_a_caption_carries_a_warning():
    document = _read("caption_only.html")
    assert document.text.startswith("Residents of Lowfield moved furniture upstairs")
    assert document.warning.startswith(f"Only {len(document.text)} characters of text found")
    assert "paste the text" in document.warning


def test_json_ld_in_lists_with_prefixed_types_and_markup_bodies():
    page = """<html><head>
    <script type="application/ld+json">[{"@type": "WebSite", "name": "x"},
      {"@type": "http://schema.org/NewsArticle", "headline": "Clinic &amp; ward closures",
       "datePublished": "2025-11-02", "dateModified": "2025-12-01",
       "author": "Sam Ortiz", "publisher": {"name": "Metro Ledger"},
       "articleBody": "<p>The trust closed two wards.</p><p>It said 140 beds were lost.</p>"}]</script>
    <meta property="article:published_time" content="2025-10-01">
    </head><body><p>x</p></body></html>"""
    facts = read_page(lxml.html.document_fromstring(page))
    assert facts.headline == "Clinic & ward closures"
    assert facts.body == "The trust closed two wards.\n\nIt said 140 beds were lost."
    assert facts.published == date(2025, 11, 2)  # JSON-LD datePublished first
    assert (facts.author, facts.outlet, facts.canonical_url) == ("Sam Ortiz", "Metro Ledger", None)


def test_canonical_links_must_be_absolute_http_addresses():
    page = ('<html><head><link rel="canonical" href="javascript:alert(1)">'
            '<meta property="og:url" content="/relative/only"></head><body></body></html>')
    assert read_page(lxml.html.document_fromstring(page)).canonical_url is None
    # A fetched page resolves a relative canonical link against its own address.
    page = '<html><head><link rel="Canonical" href="/story/1"></head><body></body></html>'
    assert read_page(lxml.html.document_fromstring(page),
                     page_url="https://news.example/amp/story/1?x=1").canonical_url == "https://news.example/story/1"


def test_tidy_body_keeps_sentences_that_only_mention_furniture_words():
    paragraphs = ["NATO — the alliance of 32 countries — said on Monday it would meet.",
                  "More than 40,000 people signed up for the scheme, the council said.",
                  "Copyright lawyers said the ruling would reshape the music industry."]
    # No agency or date: "NATO —" may be the subject, so it stays; a sentence is not a copyright line.
    assert tidy_body(paragraphs) == paragraphs


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_claim_spans_slice_the_extracted_text(name):
    document = _read(name)
    claims = extract_claims(document.text, published=document.published)
    assert claims or name == "caption_only.html"
    for claim in claims:
        assert document.text[claim.start:claim.end] == claim.sentence


# ----------------------------------------------------------------------- stored, shown, in the API


@pytest.fixture
def ingest_app(databases, empty_template, tmp_path):
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate") as app:
        yield app


def test_a_short_page_finishes_with_a_visible_warning_in_job_api_and_page(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    job = _submitted(api, _upload(api, "articles", token, (PAGES / "caption_only.html").read_bytes(),
                                  "flood.html"), token)
    assert job["state"] == "succeeded"
    assert job["warning"].startswith("Only 117 characters of text found")
    assert "Warning: Only 117 characters" in job["message"]
    assert job["result"]["archive"]["warning"] == job["warning"]
    article = api.get(_path(job["result"]["url"]), token).get_json()
    assert article["warning"] == job["warning"]
    with session_scope(ingest_app.extensions["factcheck.engine"]) as session:
        assert session.get(Article, article["id"]).text_warning == job["warning"]

    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    page = browser.get(f"/articles/{article['id']}").get_data(as_text=True)
    assert 'class="flash flash-warning"' in page and "Only 117 characters of text found" in page
    job_page = browser.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert "Warning: Only 117 characters of text found" in job_page


def test_an_uploaded_page_keeps_canonical_url_date_author_and_outlet(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    job = _submitted(api, _upload(api, "articles", token, (PAGES / "jsonld_body.html").read_bytes(),
                                  "harbour.html"), token)
    assert job["state"] == "succeeded" and job["warning"] is None and "Warning" not in job["message"]
    article = api.get(_path(job["result"]["url"]), token).get_json()
    canonical = "https://www.coastalcourier.example/news/2026/03/14/harbour-dredging-plan-approved"
    assert article["canonical_url"] == canonical and article["archive"]["canonical_url"] == canonical
    assert article["published_at"].startswith("2026-03-14") and article["outlet"] == "The Coastal Courier"
    assert article["author"] == "Mairead Kinsella, Tomas Reyes" and article["warning"] is None
    assert "The county council voted 31 to 12" in article["text"]
    for claim in article["claims"]:
        assert claim["text"] in article["text"]
    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    page = browser.get(f"/articles/{article['id']}").get_data(as_text=True)
    assert f"Canonical URL</dt><dd>{canonical}" in page and 'class="canonical-url"' in page
    assert "flash-warning" not in page


def test_a_short_source_upload_is_warned_about_on_its_page(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app, "editor@example.org", "editor")
    job = _submitted(api, _upload(api, "sources", token, (PAGES / "caption_only.html").read_bytes(),
                                  "flood.html"), token)
    assert job["state"] == "succeeded" and job["warning"].startswith("Only 117 characters")
    source = api.get(_path(job["result"]["url"]), token).get_json()
    assert source["warning"] == job["warning"]
    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    page = browser.get(_path(job["result"]["page_url"])).get_data(as_text=True)
    assert "flash-warning" in page and "Only 117 characters" in page


def test_a_fetched_page_keeps_the_same_facts_and_resolves_its_canonical_link_against_its_address(
        databases, empty_template, tmp_path, local_server):  # noqa: F811
    _Handler.files["harbour.html"] = ("text/html; charset=utf-8", (PAGES / "jsonld_body.html").read_bytes())
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate",
                           fetch_allow_loopback=True) as app:
        api, token = Api(app), _token(app)
        job = _submitted(api, api.post("/articles/fetch", token, json={"url": f"{local_server}/file?name=harbour.html"}),
                         token)
        assert job["state"] == "succeeded" and job["warning"] is None
        article = api.get(_path(job["result"]["url"]), token).get_json()
    # The page's relative canonical link is resolved against the address it was fetched from.
    assert article["canonical_url"] == f"{local_server}/news/2026/03/14/harbour-dredging-plan-approved"
    assert article["published_at"].startswith("2026-03-14") and article["outlet"] == "The Coastal Courier"
    assert article["author"] == "Mairead Kinsella, Tomas Reyes"
    assert article["text"].startswith("The county council voted 31 to 12 on Friday")


def test_a_json_ld_teaser_shorter_than_the_page_does_not_replace_the_page_text():
    paragraphs = "".join(f"<p>Paragraph {i} of the story says the council spent {i} million pounds on roads "
                         f"and bridges in the year to March, more than in any year since 2010.</p>" for i in range(8))
    page = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Roads",'
            ' "articleBody": "Paragraph 0 of the story says the council spent"}</script></head>'
            f"<body><article><h1>Roads</h1>{paragraphs}</article></body></html>").encode()
    document = documents.extract(page)
    assert "Paragraph 7 of the story" in document.text and document.warning is None


def test_a_revision_date_is_never_taken_for_the_publication_date():
    body = "".join(f"<p>Paragraph {i}: the council spent {i} million pounds on roads in the year to March, "
                   "officials said on Tuesday.</p>" for i in range(8))
    page = ('<html><head><title>Roads</title><meta property="article:modified_time" content="2026-03-05T10:00:00Z">'
            '<meta property="og:updated_time" content="2026-03-05T10:00:00Z"></head><body><article><h1>Roads</h1>'
            f'<p class="date">Published 3 March 2026, updated 5 March 2026</p>{body}</article></body></html>')
    document = documents.extract(page.encode())
    # No stated publication date in the markup: trafilatura's guess, with the revision dates taken away.
    assert document.published == date(2026, 3, 3)
    assert document.text.startswith("Paragraph 0:")  # the date line is furniture
