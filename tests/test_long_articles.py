"""Long articles are ingested as a background job with progress (issue 11, finding 7).

A 190k-character article was ingested in one 93-second request. Over ``article_job_chars`` a
pasted or API article now becomes a job: the API answers 202 with the job, the form lands on
the job page, and the job reports its stages.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.models import Article, Job
from factcheck.services import articles as article_service
from factcheck.services.users import create_token
from tests.conftest import Browser, app_from_template, make_user

PARAGRAPH = ("The port of Easthaven handled 4.2 million containers in 2023, up from 3.1 million in 2019, "
             "the port authority said on Monday. Harbour master Lena Ortiz said dredging had cut the average "
             "waiting time for ships to 11 hours.\n\n")
LONG = "Port authority reports record year\n\n" + PARAGRAPH * 8  # about 1,800 characters


@pytest.fixture
def job_app(databases, empty_template, tmp_path):
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate",
                           article_job_chars=1000) as app:
        with session_scope(app.extensions["factcheck.engine"]) as session:
            user = make_user(session, "checker@example.org", "checker")
            app.config["TEST_TOKEN"] = create_token(session, user=user, name="tests")
        yield app


def _count(app, model) -> int:
    with session_scope(app.extensions["factcheck.engine"]) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_long_api_article_becomes_a_job_with_202(job_app):
    client = job_app.test_client()
    headers = {"Authorization": f"Bearer {job_app.config['TEST_TOKEN']}"}
    response = client.post("/api/v1/articles", json={"title": "Port record", "text": LONG, "outlet": "Herald"},
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "ingest_article" and job["input"]["fields"]["outlet"] == "Herald"
    polled = client.get(response.headers["Location"], headers=headers).get_json()
    assert polled["state"] == "succeeded" and polled["progress"] == 100, polled
    assert polled["result"]["kind"] == "article"
    article = client.get(polled["result"]["url"], headers=headers).get_json()
    assert article["title"] == "Port record" and article["outlet"] == "Herald" and article["text"] == LONG
    assert article["claims"], "the job found the claims"
    # A short article is still answered at once.
    short = client.post("/api/v1/articles", json={"title": "Short", "text": PARAGRAPH}, headers=headers)
    assert short.status_code == 201 and "claims" in short.get_json()


def test_a_refused_long_article_makes_no_job(job_app):
    client = job_app.test_client()
    headers = {"Authorization": f"Bearer {job_app.config['TEST_TOKEN']}"}
    response = client.post("/api/v1/articles", json={"text": LONG}, headers=headers)  # no title
    assert response.status_code == 422 and "title" in response.get_json()["errors"]
    assert _count(job_app, Job) == 0 and _count(job_app, Article) == 0


def test_a_long_article_already_in_the_app_is_refused_before_queueing_unless_confirmed(job_app):
    client = job_app.test_client()
    headers = {"Authorization": f"Bearer {job_app.config['TEST_TOKEN']}"}
    first = client.post("/api/v1/articles", json={"title": "Port record", "text": LONG}, headers=headers)
    assert first.status_code == 202 and _count(job_app, Article) == 1
    again = client.post("/api/v1/articles", json={"title": "Port record (again)", "text": LONG}, headers=headers)
    assert again.status_code == 409, again.get_json()
    earlier_id = client.get(first.headers["Location"], headers=headers).get_json()["result"]["id"]
    assert again.get_json()["duplicate_of"]["id"] == earlier_id
    assert _count(job_app, Job) == 1 and _count(job_app, Article) == 1, "no second job, no second copy"
    # The form says the same, with the way to confirm.
    browser = Browser(job_app)
    browser.login("checker@example.org")
    page = browser.post("/articles/new", {"title": "Port record (form)", "text": LONG})
    assert page.status_code == 409 and "already in the app" in page.get_data(as_text=True)
    assert _count(job_app, Job) == 1
    confirmed = client.post("/api/v1/articles", json={"title": "Port record (second copy)", "text": LONG,
                                                      "confirm_duplicate": True}, headers=headers)
    assert confirmed.status_code == 202
    polled = client.get(confirmed.headers["Location"], headers=headers).get_json()
    assert polled["state"] == "succeeded", polled
    with session_scope(job_app.extensions["factcheck.engine"]) as session:
        second = session.get(Article, polled["result"]["id"])
        assert second.duplicate_of_id == earlier_id


def test_the_form_lands_on_the_job_page(job_app):
    browser = Browser(job_app)
    browser.login("checker@example.org")
    response = browser.post("/articles/new", {"title": "Port record", "text": LONG})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Port record" in page
    assert _count(job_app, Article) == 1


def test_ingest_reports_its_stages_before_writing(app, settings):
    steps = []
    with session_scope(app.extensions["factcheck.engine"]) as session:
        article_service.ingest_article(session, settings=settings, data={"title": "Port", "text": LONG},
                                       progress=lambda percent, message: steps.append((percent, message)))
    percents = [percent for percent, _ in steps]
    assert percents == sorted(percents) and len(steps) >= 3
    assert any("candidate claims" in message for _, message in steps)
