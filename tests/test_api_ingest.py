"""The JSON API for fetching and uploading articles and sources as background jobs, and their archived copies.

Jobs run inline (the ``immediate`` broker), so a 202 answer already carries the
finished job; polling ``GET /jobs/<id>`` is still what a client does. Fetches
go to an HTTP server on 127.0.0.1, which only the ``fetch_allow_loopback``
test switch lets through; the ``strict`` app runs without it.
"""
from __future__ import annotations

import hashlib
import socket
from io import BytesIO
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.domain import permissions
from factcheck.domain.permissions import Role
from factcheck.models import Article, Claim, Embedding, Job, Passage, SourceDocument, User
from factcheck.services import articles as article_service
from factcheck.services.users import create_token, set_active
from tests.conftest import Browser, app_from_template, make_user
from tests.test_api import Api
from tests.test_ingest_documents import make_docx, make_pdf
from tests.test_ingest_fetch import _Handler, local_server  # noqa: F401  (fixture)

STORY = """Vaccine scare spreads online

A viral video shared on Sunday claimed that the MMR vaccine causes autism in young children.
The county health department said only 81% of children starting school had received both doses.
"""
STORY_HTML = ("<html><head><title>Vaccine scare</title></head><body><article><h1>Vaccine scare</h1>"
              + "".join(f"<p>{line}</p>" for line in STORY.splitlines()[2:])
              + "<p>Officials answered on Monday. <script>alert('x')</script></p></article></body></html>").encode()
UPLOAD_LIMIT = 200_000


def _app(databases, template, tmp_path, **overrides):
    return app_from_template(databases, template, tmp_path, jobs_broker="immediate",
                             max_upload_bytes=UPLOAD_LIMIT, **overrides)


@pytest.fixture
def ingest_app(databases, empty_template, tmp_path):
    with _app(databases, empty_template, tmp_path, fetch_allow_loopback=True) as app:
        yield app


@pytest.fixture
def strict_app(databases, empty_template, tmp_path):
    """As in production: loopback addresses are refused like every other non-public one."""
    with _app(databases, empty_template, tmp_path) as app:
        yield app


def _db(app):
    return session_scope(app.extensions["factcheck.engine"])


def _token(app, email: str = "checker@example.org", role: str = "checker") -> str:
    with _db(app) as session:
        return create_token(session, user=make_user(session, email, role))


def _count(app, model) -> int:
    with _db(app) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _path(url: str) -> str:
    """The API path of an absolute URL the API returned (the test client adds /api/v1 itself)."""
    return urlsplit(url).path.removeprefix("/api/v1")


def _submitted(api: Api, response, token: str) -> dict:
    """Check a 202 answer and poll its Location, as a client would; returns the job."""
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    polled = api.get(_path(response.headers["Location"]), token)
    assert polled.status_code == 200
    return polled.get_json()


def _upload(api: Api, target: str, token: str | None, data: bytes, name: str, **fields):
    return api.post(f"/{target}/upload", token, data={"file": (BytesIO(data), name), **fields},
                    content_type="multipart/form-data")


# ----------------------------------------------------------------------------- URL -> job -> article


def test_an_article_from_a_url_keeps_its_archived_copy(ingest_app, local_server):  # noqa: F811
    _Handler.files["story.html"] = ("text/html; charset=utf-8", STORY_HTML)
    api, token = Api(ingest_app), _token(ingest_app)
    asked = f"{local_server}/redirect?to={quote('/file?name=story.html', safe='')}"
    response = api.post("/articles/fetch", token, json={"url": asked, "outlet": "Daily Bugle"})
    job = _submitted(api, response, token)
    assert job["state"] == "succeeded" and job["progress"] == 100 and job["error"] is None, job
    assert job["kind"] == "fetch_article" and job["input"]["url"] == asked
    assert job["result"]["kind"] == "article" and job["result"]["page_url"].endswith(f"/articles/{job['result']['id']}")
    assert job["result"]["archive"]["content_sha256"] == hashlib.sha256(STORY_HTML).hexdigest()

    article = api.get(_path(job["result"]["url"]), token).get_json()
    assert article["id"] == job["result"]["id"] and article["outlet"] == "Daily Bugle"
    assert "MMR vaccine causes autism" in article["text"] and "alert(" not in article["text"]
    archive = article["archive"]
    assert archive["original_url"] == asked and archive["final_url"] == f"{local_server}/file?name=story.html"
    assert archive["content_type"] == "text/html" and archive["filename"] is None
    assert archive["content_sha256"] == hashlib.sha256(STORY_HTML).hexdigest()
    assert archive["fetched_at"] and article["claims"], article
    with _db(ingest_app) as session:
        row = session.get(Article, article["id"])
        assert row.fetched_url == archive["final_url"] and row.url == asked and row.fetched_at is not None

    # The article page shows the archived copy and links to its text, served as plain text behind the login.
    browser = Browser(ingest_app)
    page_url = f"/articles/{article['id']}"
    archived_url = f"{page_url}/archived"
    assert browser.get(archived_url).status_code == 302  # not logged in yet
    make_user_and_login(ingest_app, browser)
    page = browser.get(page_url).get_data(as_text=True)
    assert "Archived copy, taken" in page and f"Fetched from</dt><dd>{archive['final_url']}" in page
    assert archive["content_sha256"] in page and f'href="{archived_url}"' in page
    text = browser.get(archived_url)
    assert text.status_code == 200 and text.mimetype == "text/plain"
    assert text.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in text.headers["Content-Security-Policy"]
    assert text.get_data(as_text=True) == article["text"]


def make_user_and_login(app, browser: Browser) -> None:
    with _db(app) as session:
        make_user(session, "reader@example.org", "checker")
    browser.login("reader@example.org")


def test_a_source_from_a_url_keeps_its_archived_copy(ingest_app, local_server):  # noqa: F811
    api, token = Api(ingest_app), _token(ingest_app)
    job = _submitted(api, api.post("/sources/fetch", token, json={"url": f"{local_server}/page",
                                                                  "publisher": "Coast News desk"}), token)
    assert job["state"] == "succeeded", job
    source = api.get(_path(job["result"]["url"]), token).get_json()
    assert source["publisher"] == "Coast News desk" and source["passages"]
    assert source["archive"]["final_url"] == f"{local_server}/page" and source["archive"]["content_type"] == "text/html"
    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    page = browser.get(f"/library/sources/{source['id']}").get_data(as_text=True)
    assert f"Original URL</dt><dd>{local_server}/page" in page and "View the archived text" in page
    assert browser.get(f"/library/sources/{source['id']}/archived").get_data(as_text=True) == source["text"]


def test_pasted_articles_have_no_archived_copy(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    created = api.post("/articles", token, json={"title": "Pasted", "text": STORY})
    assert created.status_code == 201
    article = api.get(f"/articles/{created.get_json()['id']}", token).get_json()
    assert article["archive"] is None and article["text"] == STORY
    assert api.get("/articles/999999", token).status_code == 404
    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    assert browser.get(f"/articles/{article['id']}/archived").status_code == 404
    assert "Archived copy" not in browser.get(f"/articles/{article['id']}").get_data(as_text=True)


# ----------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("target", ["articles", "sources"])
@pytest.mark.parametrize("name, make, content_type", [
    ("report.pdf", make_pdf, "application/pdf"),
    ("memo.docx", make_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("story.txt", STORY.encode, "text/plain"),
    ("story.htm", lambda: STORY_HTML, "text/html"),
])
def test_uploads_of_each_type(ingest_app, target, name, make, content_type):
    api, token = Api(ingest_app), _token(ingest_app)
    data = make()
    job = _submitted(api, _upload(api, target, token, data, f"../{name}", title="Given title"), token)
    assert job["state"] == "succeeded", job
    assert job["input"]["filename"] == name  # only the last path component is kept
    result = api.get(_path(job["result"]["url"]), token).get_json()
    assert result["title"] == "Given title"
    assert result["archive"]["content_type"] == content_type and result["archive"]["filename"] == name
    assert result["archive"]["content_sha256"] == hashlib.sha256(data).hexdigest()
    assert result["archive"]["original_url"] is None and result["archive"]["final_url"] is None
    with _db(ingest_app) as session:
        stored = session.get(Article if target == "articles" else SourceDocument, result["id"])
        assert stored.content_type == content_type and stored.fetched_at is not None
        assert session.get(Job, job["id"]).input_data is None  # the upload is not kept once it is stored


def test_oversized_uploads_get_413(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    response = _upload(api, "articles", token, b"x" * (UPLOAD_LIMIT + 1), "huge.txt")
    assert response.status_code == 413 and "too large" in response.get_json()["error"]
    assert response.get_json()["errors"] == {"file": "too large"}
    ingest_app.config["MAX_CONTENT_LENGTH"] = 100_000  # the whole request over the server's limit
    response = _upload(api, "sources", token, b"x" * 150_000, "huge.txt")
    assert response.status_code == 413 and response.get_json() == {"error": "The upload is too large.",
                                                                    "status": 413}
    assert _count(ingest_app, Job) == 0


def test_unreadable_uploads_are_refused_with_a_reason(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    response = _upload(api, "sources", token, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.pdf")
    assert response.status_code == 422 and "looks like a PNG image" in response.get_json()["error"]
    assert response.get_json()["errors"]["file"]
    response = _upload(api, "articles", token, b"", "empty.txt")
    assert response.status_code == 422 and "empty" in response.get_json()["error"]
    response = api.post("/articles/upload", token, json={"file": "not a file"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"file": "is required"}
    response = _upload(api, "articles", token, STORY.encode(), "story.txt", published_at="last week")
    assert response.status_code == 422 and "published_at" in response.get_json()["errors"]
    assert _count(ingest_app, Job) == 0


def test_fetch_input_is_checked_before_a_job_is_stored(ingest_app):
    api, token = Api(ingest_app), _token(ingest_app)
    for body, field in [({}, "url"), ({"url": 42}, "url"), ({"url": "  "}, "url"),
                        ({"url": "https://example.org/a", "title": ["x"]}, "title"),
                        ({"url": "https://example.org/a", "published_at": "soon"}, "published_at"),
                        ({"url": "https://example.org/a", "language": "e"}, "language")]:
        response = api.post("/articles/fetch", token, json=body)
        assert response.status_code == 422 and field in response.get_json()["errors"], (body, response.get_json())
    response = api.post("/sources/fetch", token, data="url=https://example.org/", content_type="text/plain")
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]
    assert _count(ingest_app, Job) == 0


# ----------------------------------------------------------------------------- SSRF


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:{port}/page", "127.0.0.1 is a loopback address (this server itself)"),
    ("http://localhost:{port}/page", "localhost is this server itself"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata service"),
    ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1 is a private network address"),
    ("ftp://example.org/file", "Only http:// and https://"),
    ("http://user:secret@example.org/", "user name or password"),
])
def test_forbidden_urls_are_refused_at_once_with_the_reason(strict_app, local_server, url, reason):  # noqa: F811
    api, token = Api(strict_app), _token(strict_app)
    port = urlsplit(local_server).port
    for target in ("articles", "sources"):
        response = api.post(f"/{target}/fetch", token, json={"url": url.format(port=port)})
        assert response.status_code == 422, response.get_json()
        assert reason in response.get_json()["error"] and response.get_json()["errors"]["url"]
    assert _Handler.requests == []  # nothing reached the local server
    assert _count(strict_app, Job) == 0


def test_a_refusal_found_while_running_is_the_jobs_error(strict_app, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        # A public-looking name that resolves into the private network, only known after DNS.
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    api, token = Api(strict_app), _token(strict_app)
    job = _submitted(api, api.post("/articles/fetch", token, json={"url": "http://intranet.example/wiki"}), token)
    assert job["state"] == "failed" and job["result"] is None
    assert "resolves to 10.1.2.3, a private network address" in job["error"]
    assert _count(strict_app, Article) == 0


# ----------------------------------------------------------------------------- failure, retry, nothing half-written


def test_a_failed_job_writes_nothing_and_can_be_retried_over_the_api(ingest_app, local_server):  # noqa: F811
    api, token = Api(ingest_app), _token(ingest_app)
    url = f"{local_server}/file?name=late.html"
    job = _submitted(api, api.post("/articles/fetch", token, json={"url": url}), token)
    assert job["state"] == "failed" and "404" in job["error"] and job["can_retry"] and job["attempts"] == 1
    assert _count(ingest_app, Article) == 0 and _count(ingest_app, Claim) == 0

    _Handler.files["late.html"] = ("text/html", STORY_HTML)  # the page is there now
    retried = _submitted(api, api.post(f"/jobs/{job['id']}/retry", token), token)
    assert retried["id"] == job["id"] and retried["state"] == "succeeded" and retried["attempts"] == 2
    assert retried["error"] is None and not retried["can_retry"]
    assert _count(ingest_app, Article) == 1
    again = api.post(f"/jobs/{job['id']}/retry", token)
    assert again.status_code == 409 and "Only a failed job" in again.get_json()["error"]
    assert api.post("/jobs/999999/retry", token).status_code == 404
    assert api.get("/jobs/999999", token).status_code == 404


def test_a_failure_while_storing_leaves_no_half_written_rows(ingest_app, monkeypatch):
    api, token = Api(ingest_app), _token(ingest_app)
    real_match = article_service.match_claims

    def broken(*args, **kwargs):
        raise RuntimeError("the matcher fell over")

    monkeypatch.setattr(article_service, "match_claims", broken)
    job = _submitted(api, _upload(api, "articles", token, STORY.encode(), "story.txt"), token)
    assert job["state"] == "failed" and job["error"].startswith("Unexpected error (RuntimeError)")
    assert "fell over" not in job["error"]  # internals stay in the worker's log
    # The article, its claims and their vectors were one transaction, rolled back as a whole.
    assert (_count(ingest_app, Article), _count(ingest_app, Claim), _count(ingest_app, Embedding)) == (0, 0, 0)

    monkeypatch.setattr(article_service, "match_claims", real_match)
    retried = _submitted(api, api.post(f"/jobs/{job['id']}/retry", token), token)
    assert retried["state"] == "succeeded", retried
    assert _count(ingest_app, Article) == 1 and _count(ingest_app, Claim) >= 1


# ----------------------------------------------------------------------------- who may


def test_no_or_bad_token_gets_401_and_cookies_never_authenticate(ingest_app):
    api = Api(ingest_app)
    token = _token(ingest_app)
    for method, url in [("POST", "/articles/fetch"), ("POST", "/articles/upload"), ("POST", "/sources/fetch"),
                        ("POST", "/sources/upload"), ("GET", "/jobs/1"), ("POST", "/jobs/1/retry"),
                        ("GET", "/articles/1"), ("GET", "/sources/1")]:
        for bad in (None, "fc_not-a-real-token"):
            response = api.call(method, url, bad, json={"url": "https://example.org/"})
            assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"], (method, url)
    # A logged-in browser session is not an API credential (so a forged cross-site request gets nowhere) ...
    browser = Browser(ingest_app)
    make_user_and_login(ingest_app, browser)
    response = browser.client.post("/api/v1/articles/fetch", json={"url": "https://example.org/"})
    assert response.status_code == 401
    # ... and a token request needs no CSRF token: the API is exempt because it only takes tokens.
    with _db(ingest_app) as session:
        user = session.exec(select(User).where(User.email == "checker@example.org")).one()
        set_active(session, user_id=user.id, active=False)
    assert api.post("/articles/fetch", token, json={"url": "https://example.org/"}).status_code == 401
    assert _count(ingest_app, Job) == 0


def test_roles_without_the_permission_get_403(ingest_app, local_server, monkeypatch):  # noqa: F811
    api, token = Api(ingest_app), _token(ingest_app)
    # A failed article job, made while checkers could still add articles.
    job = _submitted(api, api.post("/articles/fetch", token, json={"url": f"{local_server}/missing"}), token)
    assert job["state"] == "failed" and job["can_retry"]

    # The same permission table as the web UI decides: make articles an editor's job for this test.
    monkeypatch.setitem(permissions.PERMISSIONS, "articles.create", Role.EDITOR)
    for response in (api.post("/articles/fetch", token, json={"url": "https://example.org/"}),
                     _upload(api, "articles", token, STORY.encode(), "story.txt"),
                     api.post(f"/jobs/{job['id']}/retry", token)):
        assert response.status_code == 403 and "role" in response.get_json()["error"]
    assert api.get(f"/jobs/{job['id']}", token).get_json()["can_retry"] is False
    assert _count(ingest_app, Job) == 1 and _count(ingest_app, Article) == 0
    # Sources are still a checker's to add.
    sources = _upload(api, "sources", token, b"Harbour traffic grew by 4 percent in 2024.", "notes.txt")
    assert _submitted(api, sources, token)["state"] == "succeeded"
    editor = _token(ingest_app, "editor@example.org", "editor")
    assert api.post(f"/jobs/{job['id']}/retry", editor).status_code == 202
    assert _count(ingest_app, Passage) >= 1
