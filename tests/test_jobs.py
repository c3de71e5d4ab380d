"""Background jobs: state in our table, failures with their reason, retries, real brokers, the UI."""
from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.domain.errors import Conflict, TooManyJobs
from factcheck.ingest import UnsupportedDocument
from factcheck.jobs import queue_for
from factcheck.models import Job, Passage, SourceDocument, utcnow
from factcheck.services import jobs as job_service
from factcheck.services import library
from factcheck.services import sources as source_service
from tests.conftest import BACKEND, Browser, app_from_template, make_user
from tests.test_ingest_documents import make_pdf



@pytest.fixture
def jobs_app(databases, empty_template, tmp_path):
    """Jobs run inline (the ``immediate`` broker); fetches may reach 127.0.0.1 (test-only flag)."""
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate",
                           fetch_allow_loopback=True) as app:
        yield app


@pytest.fixture
def db(jobs_app):
    with session_scope(jobs_app.extensions["factcheck.engine"]) as session:
        yield session


@pytest.fixture
def checker(db):
    return make_user(db, "checker@example.org", "checker")


def _count(session, model) -> int:
    session.rollback()  # see rows committed by the job's own sessions
    return session.exec(select(func.count()).select_from(model)).one()


def test_an_upload_runs_as_a_job_and_keeps_an_archived_copy(jobs_app, db, checker):
    job = source_service.submit_upload(db, queue=queue_for(jobs_app), settings=jobs_app.config["SETTINGS"],
                                       target="source", filename="../../reef.txt", data=make_pdf(),
                                       fields={"publisher": "Marine Institute"}, user=checker)
    assert (job.status, job.progress, job.attempts, job.result_kind) == ("succeeded", 100, 1, "source")
    assert job.input_data is None  # the upload is not kept once it is stored
    assert job.payload["filename"] == "reef.txt" and job.payload["detected"] == "PDF"
    source = db.get(SourceDocument, job.result_id)
    # Sniffed from the content: a PDF, even though it was called reef.txt.
    assert source.content_type == "application/pdf" and source.filename == "reef.txt"
    assert source.title == "Reef survey 2021" and source.publisher == "Marine Institute"
    assert len(source.content_sha256) == 64 and source.fetched_at is not None
    assert job.result["content_sha256"] == source.content_sha256
    assert [p.page for p in library.passages_of(db, source.id)] == [1, 2]
    assert "2 passages" in job.message and job.created_by_id == checker.id


def test_a_failed_job_writes_nothing_and_succeeds_on_retry(jobs_app, db, checker, monkeypatch):
    real_embed = library.embed_and_store

    def broken_embed(*args, **kwargs):
        raise RuntimeError("the embedding service fell over")

    monkeypatch.setattr(library, "embed_and_store", broken_embed)
    queue = queue_for(jobs_app)
    job = source_service.submit_upload(db, queue=queue, settings=jobs_app.config["SETTINGS"], target="source",
                                       filename="reef.pdf", data=make_pdf(), fields={}, user=checker)
    assert job.status == "failed" and job.attempts == 1
    assert job.error.startswith("Unexpected error (RuntimeError)")
    assert "fell over" not in job.error  # internals stay in the log
    # The document row and its passages were written in one transaction, rolled back as a whole.
    assert _count(db, SourceDocument) == 0 and _count(db, Passage) == 0
    assert job.input_data is not None  # kept for the retry

    monkeypatch.setattr(library, "embed_and_store", real_embed)
    job = source_service.retry(db, queue=queue, job_id=job.id, user=checker)
    assert (job.status, job.attempts, job.error) == ("succeeded", 2, None)
    assert _count(db, SourceDocument) == 1


def test_a_refusal_found_while_running_is_the_reason_shown(jobs_app, db, checker, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    job = source_service.submit_fetch(db, queue=queue_for(jobs_app), settings=jobs_app.config["SETTINGS"],
                                      target="source", url="http://intranet.example/wiki", fields={}, user=checker)
    assert job.status == "failed"
    assert "resolves to 10.1.2.3, a private network address" in job.error
    assert _count(db, SourceDocument) == 0


def test_retry_rules(jobs_app, db, checker):
    queue = queue_for(jobs_app)
    done = source_service.submit_upload(db, queue=queue, settings=jobs_app.config["SETTINGS"], target="source",
                                        filename="a.txt", data=b"Some plain text about tides.", fields={},
                                        user=checker)
    with pytest.raises(Conflict, match="Only a failed job"):
        job_service.retry(db, queue=queue, job_id=done.id)
    # A job that has not moved for a long time (its worker died) may be retried.
    lost = Job(kind="upload_source", status="running", payload={"filename": "b.txt", "fields": {}},
               input_data=b"Text of a lost job.", created_by_id=checker.id)
    db.add(lost)
    db.commit()
    assert not job_service.can_retry(lost)
    db.execute(update(Job).where(Job.id == lost.id).values(updated_at=utcnow() - timedelta(hours=1)))
    db.commit()
    db.refresh(lost)
    assert job_service.is_stale(lost) and job_service.can_retry(lost)
    assert job_service.retry(db, queue=queue, job_id=lost.id).status == "succeeded"


def test_unsupported_uploads_are_refused_before_queueing(jobs_app, db, checker):
    with pytest.raises(UnsupportedDocument, match="PNG"):
        source_service.submit_upload(db, queue=queue_for(jobs_app), settings=jobs_app.config["SETTINGS"],
                                     target="source", filename="photo.pdf", data=b"\x89PNG\r\n\x1a\n0000",
                                     fields={}, user=checker)
    assert _count(db, Job) == 0


def test_one_user_cannot_queue_without_limit(jobs_app, db, checker):
    settings = jobs_app.config["SETTINGS"]
    for _ in range(settings.max_jobs_per_user):
        _job(db, status="queued", created_by_id=checker.id)
    with pytest.raises(TooManyJobs, match="wait for one to finish"):
        source_service.submit_fetch(db, queue=queue_for(jobs_app), settings=settings,
                                    target="source", url="https://example.org/", fields={}, user=checker)


def test_jobs_run_on_a_real_broker_in_worker_threads(databases, empty_template, tmp_path):
    """The embedded default (a SQLite queue file), or PostgreSQL as the broker when testing on PostgreSQL."""
    broker = {"jobs_broker": "postgres"} if BACKEND == "postgres" else {}
    with app_from_template(databases, empty_template, tmp_path, jobs_worker_threads=1, **broker) as app:
        queue = queue_for(app)
        try:
            assert queue.start_in_process()
            with session_scope(app.extensions["factcheck.engine"]) as session:
                user = make_user(session, "checker@example.org", "checker")
                job = source_service.submit_upload(session, queue=queue, settings=app.config["SETTINGS"],
                                                   target="source", filename="notes.txt",
                                                   data=b"Harbour traffic grew by 4 percent in 2024.", fields={},
                                                   user=user)
                deadline = time.monotonic() + 30
                while job.status not in job_service.FINISHED and time.monotonic() < deadline:
                    time.sleep(0.1)
                    session.refresh(job)
                assert job.status == "succeeded", job.error
        finally:
            queue.stop()


# ------------------------------------------------------------------ the UI


@pytest.fixture
def browser(jobs_app, checker):
    browser = Browser(jobs_app)
    browser.login("checker@example.org")
    return browser


def _job(db, **values) -> Job:
    job = Job(kind="upload_source", payload={"filename": "memo.txt", "detected": "plain text", "fields": {}},
              **values)
    db.add(job)
    db.commit()
    return job


def test_a_running_job_polls_itself_and_a_finished_one_stops(browser, db):
    running = _job(db, status="running", progress=40, message="Extracting the text")
    page = browser.get(f"/jobs/{running.id}").get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in page and 'value="40"' in page and "Extracting the text" in page
    fragment = browser.get(f"/jobs/{running.id}/status", htmx=True).get_data(as_text=True)
    assert f'id="job-{running.id}"' in fragment and "<html" not in fragment
    failed = _job(db, status="failed", error="The server answered 404 Not Found for https://x.example/.")
    page = browser.get(f"/jobs/{failed.id}").get_data(as_text=True)
    assert "hx-trigger" not in page.split(f'id="job-{failed.id}"')[1].split("</div>")[0]
    assert "Failed: The server answered 404" in page and "Retry" in page


def test_retry_from_the_page_and_follow_to_the_result(browser, db, checker):
    failed = _job(db, status="failed", error="boom", input_data=b"Ferry fares rose by 12 percent this spring.",
                  created_by_id=checker.id)
    assert browser.client.post(f"/jobs/{failed.id}/retry").status_code == 400  # no CSRF token
    response = browser.post(f"/jobs/{failed.id}/retry", htmx=True)
    assert response.status_code == 200 and "succeeded" in response.get_data(as_text=True)
    db.refresh(failed)
    assert failed.status == "succeeded" and failed.attempts == 1
    followed = browser.get(f"/jobs/{failed.id}/status?follow=1", htmx=True)
    assert followed.headers["HX-Location"] == f"/library/sources/{failed.result_id}"
    listing = browser.get("/jobs/?mine=0").get_data(as_text=True)
    assert "Read the upload memo.txt (plain text) as a source document" in listing


def test_job_pages_need_login(jobs_app, db):
    job = _job(db, status="queued")
    client = jobs_app.test_client()
    assert client.get(f"/jobs/{job.id}").status_code == 302
    assert client.get("/jobs/999999").status_code == 302
