"""Sources and articles by URL and upload through the web UI; evidence suggestions on the claim page."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from factcheck.models import Article, Job, SourceDocument
from factcheck.services import library
from tests.conftest import Browser, app_from_template, make_user
from tests.test_ingest_documents import make_docx, make_pdf
from tests.test_ingest_fetch import _Handler, local_server  # noqa: F401  (fixture)

MMR_CLAIM_ARTICLE = """Vaccine scare spreads online

A viral video shared on Sunday claimed that the MMR vaccine causes autism in young children.
"""


def _app_fixture(databases, template, tmp_path, **overrides):
    return app_from_template(databases, template, tmp_path, jobs_broker="immediate", fetch_allow_loopback=True,
                             **overrides)


@pytest.fixture
def web_app(databases, empty_template, tmp_path):
    with _app_fixture(databases, empty_template, tmp_path, max_upload_bytes=200_000) as app:
        yield app


@pytest.fixture
def browser(web_app):
    from factcheck.db import session_scope

    with session_scope(web_app.extensions["factcheck.engine"]) as session:
        make_user(session, "checker@example.org", "checker")
    browser = Browser(web_app)
    browser.login("checker@example.org")
    return browser


def _session(app):
    from factcheck.db import session_scope

    return session_scope(app.extensions["factcheck.engine"])


def _follow_job(browser, response) -> Job:
    """The job a form redirected to; its page opens the result once the job has succeeded."""
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.search(r"/jobs/(\d+)\?follow=1$", response.headers["Location"])
    assert match, response.headers["Location"]
    with _session(browser.app) as session:
        job = session.get(Job, int(match.group(1)))
    shown = browser.get(response.headers["Location"])
    if job.status == "succeeded":
        assert shown.status_code == 303 and shown.headers["Location"].endswith(f"/{job.result_id}")
    else:
        assert "Background job" in shown.get_data(as_text=True)
    return job


def test_a_source_from_a_url_with_its_archived_copy(browser, local_server):  # noqa: F811
    response = browser.post("/library/sources/fetch", {"url": f"{local_server}/redirect?to=/page", "title": "",
                                                       "publisher": ""})
    job = _follow_job(browser, response)
    assert job.status == "succeeded", job.error
    page = browser.get(f"/library/sources/{job.result_id}").get_data(as_text=True)
    assert "Tide gauges show faster rise" in page and "Coast News" in page and "Ana Lima" in page
    assert f"Fetched from</dt><dd>{local_server}/page" in page and "text/html" in page
    # Fetched markup is never rendered: the script was dropped, nothing of it is in the page.
    assert "alert(" not in page
    with _session(browser.app) as session:
        source = session.get(SourceDocument, job.result_id)
        assert source.url == f"{local_server}/redirect?to=/page" and source.fetched_url == f"{local_server}/page"


def test_forbidden_urls_are_refused_in_the_form(browser):
    response = browser.post("/library/sources/fetch", {"url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 422
    assert "cloud metadata service" in response.get_data(as_text=True)
    response = browser.post("/articles/fetch", {"url": "ftp://example.org/a"})
    assert response.status_code == 422 and "Only http" in response.get_data(as_text=True)


@pytest.mark.parametrize("name, make, content_type, pages", [
    ("report.pdf", make_pdf, "application/pdf", [1, 2]),
    ("memo.docx", make_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", [None] * 5),
    ("notes.txt", lambda: "First paragraph about harbours.\n\nSecond about ferries.".encode(), "text/plain",
     [None, None]),
])
def test_uploads_of_each_type(browser, name, make, content_type, pages):
    from io import BytesIO

    response = browser.post("/library/sources/upload", {"file": (BytesIO(make()), name), "title": "",
                                                        "publisher": ""}, content_type="multipart/form-data")
    job = _follow_job(browser, response)
    assert job.status == "succeeded", job.error
    with _session(browser.app) as session:
        source = session.get(SourceDocument, job.result_id)
        assert source.content_type == content_type and source.filename == name
        assert [p.page for p in library.passages_of(session, source.id)] == pages
    if pages[0]:
        assert "page 1," in browser.get(f"/library/sources/{job.result_id}").get_data(as_text=True)


def test_unsupported_and_oversized_uploads_are_refused(browser, web_app):
    from io import BytesIO

    def upload(data: bytes, name: str):
        return browser.post("/library/sources/upload", {"file": (BytesIO(data), name)},
                            content_type="multipart/form-data")

    response = upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.pdf")
    assert response.status_code == 422 and "looks like a PNG image" in response.get_data(as_text=True)
    response = upload(b"x" * 200_001, "huge.txt")  # over FACTCHECK_MAX_UPLOAD_BYTES
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    web_app.config["MAX_CONTENT_LENGTH"] = 100_000  # over the whole request limit
    response = upload(b"x" * 150_000, "huge.txt")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    response = browser.post("/library/sources/upload", {"title": "no file"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file" in response.get_data(as_text=True)
    with _session(web_app) as session:
        assert session.exec(select(Job)).all() == []


def test_forms_need_csrf_and_a_login(web_app, browser):
    from io import BytesIO

    assert browser.client.post("/library/sources/fetch", data={"url": "https://example.org/"}).status_code == 400
    assert browser.client.post("/articles/upload", data={"file": (BytesIO(b"text"), "a.txt")},
                               content_type="multipart/form-data").status_code == 400
    anonymous = web_app.test_client()
    assert anonymous.get("/library/evidence/claims/1").status_code == 302


def test_an_article_from_a_url_and_from_an_upload(browser, local_server):  # noqa: F811
    _Handler.files["story.html"] = ("text/html", f"<html><body><article><h1>Vaccine scare</h1>"
                                    f"{''.join(f'<p>{line}</p>' for line in MMR_CLAIM_ARTICLE.splitlines())}"
                                    "</article></body></html>".encode())
    job = _follow_job(browser, browser.post("/articles/fetch", {"url": f"{local_server}/file?name=story.html",
                                                               "title": "", "outlet": "Daily Bugle"}))
    assert job.status == "succeeded", job.error
    page = browser.get(f"/articles/{job.result_id}").get_data(as_text=True)
    assert "MMR vaccine causes autism" in page
    with _session(browser.app) as session:
        article = session.get(Article, job.result_id)
        assert article.outlet == "Daily Bugle" and article.url == f"{local_server}/file?name=story.html"
        assert job.result["content_type"] == "text/html" and len(job.result["content_sha256"]) == 64
        # The archived copy is kept on the article itself, not only on the job.
        assert (article.content_type, article.content_sha256) == ("text/html", job.result["content_sha256"])
        assert article.fetched_url == article.url and article.fetched_at is not None
    assert "Archived copy, taken" in page and job.result["content_sha256"] in page
    archived = browser.get(f"/articles/{job.result_id}/archived")
    assert archived.mimetype == "text/plain" and "MMR vaccine causes autism" in archived.get_data(as_text=True)
    assert "<p>" not in archived.get_data(as_text=True)  # extracted text, never the fetched markup

    from io import BytesIO

    response = browser.post("/articles/upload", {"file": (BytesIO(MMR_CLAIM_ARTICLE.encode()), "story.txt"),
                                                 "title": "Scare"}, content_type="multipart/form-data")
    job = _follow_job(browser, response)
    assert job.status == "succeeded" and job.result_kind == "article"
    with _session(browser.app) as session:
        assert session.get(Article, job.result_id).title == "Scare"
    # Over FACTCHECK_MAX_UPLOAD_BYTES: the form again, with the reason, as 413.
    response = browser.post("/articles/upload", {"file": (BytesIO(b"x" * 200_001), "huge.txt")},
                            content_type="multipart/form-data")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


@pytest.fixture
def demo_web_app(databases, demo_template, tmp_path):
    with _app_fixture(databases, demo_template, tmp_path) as app:
        yield app


def test_evidence_suggestions_mark_the_best_sentence(demo_web_app):
    from factcheck.db import session_scope

    with session_scope(demo_web_app.extensions["factcheck.engine"]) as session:
        make_user(session, "checker@example.org", "checker")
    browser = Browser(demo_web_app)
    browser.login("checker@example.org")
    browser.post("/articles/new", {"title": "Vaccine scare", "text": MMR_CLAIM_ARTICLE, "language": "en"})
    with session_scope(demo_web_app.extensions["factcheck.engine"]) as session:
        from factcheck.models import Claim

        claim = session.exec(select(Claim).where(Claim.sentence.contains("MMR"))).one()
    page = browser.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f'hx-get="/library/evidence/claims/{claim.id}"' in page and 'hx-trigger="load"' in page
    fragment = browser.get(f"/library/evidence/claims/{claim.id}", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and fragment.count("<mark>") >= 1
    marked = re.search(r"<mark>(.*?)</mark>", fragment, re.S).group(1)
    assert "autism" in marked.lower()
    # Linking is offered only to whoever may add evidence now (the checker takes the claim first).
    assert "Use as evidence" not in fragment and "/library/sources/" in fragment
    assert browser.post(f"/claims/{claim.id}/transitions", {"action": "take"}).status_code == 303
    fragment = browser.get(f"/library/evidence/claims/{claim.id}", htmx=True).get_data(as_text=True)
    assert "Use as evidence" in fragment
    # Without htmx it is a page of its own, linking back to the claim.
    page = browser.get(f"/library/evidence/claims/{claim.id}").get_data(as_text=True)
    assert "Suggested evidence" in page and f"/claims/{claim.id}" in page


def test_library_search_finds_fact_checks_and_passages(demo_web_app):
    """The search page lists matching fact-checks and source passages (thresholds: LIBRARY_SEARCH_THRESHOLD)."""
    from factcheck.db import session_scope

    with session_scope(demo_web_app.extensions["factcheck.engine"]) as session:
        make_user(session, "checker@example.org", "checker")
    browser = Browser(demo_web_app)
    browser.login("checker@example.org")
    page = browser.get("/library/search?q=Does the MMR vaccine cause autism?").get_data(as_text=True)
    assert "The MMR vaccine causes autism." in page
    page = browser.get("/library/search?q=How many people did the 2020 US census count?").get_data(as_text=True)
    assert "2020 Census results" in page and "No similar passage." not in page
