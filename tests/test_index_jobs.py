"""Rebuilding the search indexes as a background job: admin-only, one at a time, progress on the jobs page,
and matching (ingest) goes on with the current indexes while it runs."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.domain.errors import Conflict, Forbidden, ValidationFailed
from factcheck.jobs import queue_for
from factcheck.models import Embedding, FactCheck, Job
from factcheck.services import index_jobs
from factcheck.services import jobs as job_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE, embedder_for, library_size, search
from tests.conftest import Browser, app_from_template, make_user


@pytest.fixture
def jobs_app(databases, demo_template, tmp_path):
    """The demo library, jobs run inline when submitted (the ``immediate`` broker)."""
    with app_from_template(databases, demo_template, tmp_path, jobs_broker="immediate") as app:
        yield app


@pytest.fixture
def db(jobs_app):
    with session_scope(jobs_app.extensions["factcheck.engine"]) as session:
        yield session


@pytest.fixture
def recorded(monkeypatch):
    """Every progress report a job makes, as (percent, message)."""
    reports = []
    real = job_service.Progress.__call__

    def record(self, percent, message):
        reports.append((percent, message))
        real(self, percent, message)

    monkeypatch.setattr(job_service.Progress, "__call__", record)
    return reports


def test_an_admin_rebuilds_the_indexes_from_the_web_with_progress_on_the_jobs_page(jobs_app, db, recorded):
    make_user(db, "admin@example.org", "admin")
    settings = jobs_app.config["SETTINGS"]
    sizes = {kind: library_size(db, settings=settings, kind=kind) for kind in (KIND_FACT_CHECK, KIND_PASSAGE)}
    assert sizes[KIND_FACT_CHECK] > 0
    # The job runs inline, in this thread: an open transaction here would hold up PostgreSQL's
    # CREATE INDEX CONCURRENTLY, which waits for every older transaction to end.
    db.rollback()
    browser = Browser(jobs_app)
    browser.login("admin@example.org")
    assert "Rebuild the indexes" in browser.get("/admin/matching").get_data(as_text=True)

    response = browser.post("/admin/matching/indexes/rebuild", {"library": "all"})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    db.rollback()
    job = db.exec(select(Job).where(Job.kind == job_service.REBUILD_INDEX_JOB)).one()
    assert (job.status, job.progress, job.payload["libraries"]) == ("succeeded", 100, [KIND_FACT_CHECK, KIND_PASSAGE])
    assert f"fact-checks, {sizes[KIND_FACT_CHECK]:,} vectors" in job.message
    assert set(job.result["libraries"]) == {KIND_FACT_CHECK, KIND_PASSAGE}

    # Progress went up as batches were done, stage by stage, library by library, and ended below 100
    # (100 is the finished job's).
    percents = [percent for percent, _ in recorded]
    assert percents == sorted(percents) and percents[-1] <= 99
    messages = [message for _, message in recorded]
    assert f"BM25 index of the fact-check library: {sizes[KIND_FACT_CHECK]:,} of {sizes[KIND_FACT_CHECK]:,} rows" \
        in messages
    assert f"vector index of the fact-check library: {sizes[KIND_FACT_CHECK]:,} of {sizes[KIND_FACT_CHECK]:,} rows" \
        in messages
    first_passage = next(i for i, m in enumerate(messages) if "passage" in m)
    assert all("fact-check" in m for m in messages[:first_passage])
    assert percents[first_passage - 1] < 99  # the passages' share was still to come

    page = browser.get("/jobs/").get_data(as_text=True)
    assert "Rebuild the search indexes (fact-checks, passages)" in page
    detail = browser.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Rebuilt the search indexes" in detail and 'value="100"' in detail


def test_only_admins_may_rebuild_and_only_one_rebuild_at_a_time(jobs_app, db):
    editor = make_user(db, "editor@example.org", "editor")
    admin = make_user(db, "admin@example.org", "admin")
    queue = queue_for(jobs_app)
    with pytest.raises(Forbidden):
        index_jobs.submit_rebuild(db, queue=queue, user=editor)
    with pytest.raises(ValidationFailed):
        index_jobs.submit_rebuild(db, queue=queue, user=admin, library="claims")
    assert db.exec(select(Job)).all() == []

    browser = Browser(jobs_app)
    browser.login("editor@example.org")
    assert browser.post("/admin/matching/indexes/rebuild", {"library": "all"}).status_code == 403

    # A rebuild waiting for a worker: a second one is refused with the reason, and the page says so.
    waiting = Job(kind=job_service.REBUILD_INDEX_JOB, payload={"libraries": [KIND_FACT_CHECK]}, status="queued")
    db.add(waiting)
    db.commit()
    with pytest.raises(Conflict, match=f"job #{waiting.id}"):
        index_jobs.submit_rebuild(db, queue=queue, user=admin)
    admin_browser = Browser(jobs_app)
    admin_browser.login("admin@example.org")
    response = admin_browser.post("/admin/matching/indexes/rebuild", {"library": "passage"})
    assert response.status_code == 409 and "already under way" in response.get_data(as_text=True)
    assert f"job #{waiting.id}" in admin_browser.get("/admin/matching").get_data(as_text=True)
    assert len(db.exec(select(Job)).all()) == 1


def test_matching_goes_on_while_the_indexes_are_rebuilt(jobs_app, db, monkeypatch):
    """In the middle of each stage of the build (BM25, then the vector index), a search from another
    session answers with the current indexes instead of waiting for the build to finish."""
    # Searches walk the HNSW graph however small the library, so they meet the graph being rebuilt.
    monkeypatch.setenv("FACTCHECK_INDEX_EXACT_MAX", "0")
    settings = jobs_app.config["SETTINGS"]
    engine = jobs_app.extensions["factcheck.engine"]
    admin = make_user(db, "admin@example.org", "admin")
    fact_check = db.exec(select(FactCheck).order_by(FactCheck.id)).first()
    vector = embedder_for(settings).encode([fact_check.claim_reviewed])[0]
    assert db.exec(select(Embedding).where(Embedding.kind == KIND_FACT_CHECK)).first() is not None
    found_during = {}

    def search_elsewhere(stage: str) -> None:
        with session_scope(engine) as session:
            hits = search(session, settings=settings, vector=vector, kind=KIND_FACT_CHECK,
                          text=fact_check.claim_reviewed, threshold=0.0)
            found_during[stage] = [hit.object_id for hit in hits][:1]

    real_step_factory = index_jobs.rebuild_index

    def rebuild_watching(session, *, settings, kind, step=None, **kwargs):
        def watched(stage, rows):
            if kind == KIND_FACT_CHECK and stage not in found_during:
                searcher = threading.Thread(target=search_elsewhere, args=(stage,), daemon=True)
                searcher.start()
                # A search blocked by the build would still be waiting when the build ends (it only
                # waits for this step, which waits for it): joined with a timeout so such a bug fails.
                searcher.join(timeout=60)
                assert not searcher.is_alive(), f"a search waited for the {stage} build"
            step(stage, rows)

        return real_step_factory(session, settings=settings, kind=kind, step=watched, **kwargs)

    monkeypatch.setattr(index_jobs, "rebuild_index", rebuild_watching)
    db.commit()
    job = index_jobs.submit_rebuild(db, queue=queue_for(jobs_app), user=admin, library=KIND_FACT_CHECK)
    assert job.status == "succeeded", job.error
    assert found_during == {"bm25": [fact_check.id], "vectors": [fact_check.id]}
