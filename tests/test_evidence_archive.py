"""URL evidence is fetched in the background and archived: text, SHA-256, when, from where; or why not.

The fetch runs as a job (``jobs_broker="immediate"`` runs it inline, like the other job
tests), through the same SSRF-safe client as article fetching: a local server is reached
only with ``fetch_allow_loopback`` (the test setting), and refused without it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.models import Claim, Event, Evidence, EvidenceArchive, Job, utcnow
from tests.conftest import Browser, app_from_template, make_user
from tests.test_ingest_fetch import ARTICLE_HTML, _Handler, local_server  # noqa: F401  (fixture)

TEXT = "The port handled 4.2 million containers."


def _app(databases, template, tmp_path, **overrides):
    return app_from_template(databases, template, tmp_path, jobs_broker="immediate", **overrides)


def _setup(app):
    """A checker holding a claim in progress, another checker, an editor; logged-in browsers for each."""
    with session_scope(app.extensions["factcheck.engine"]) as session:
        checker = make_user(session, "checker@example.org", "checker")
        make_user(session, "checker2@example.org", "checker")
        make_user(session, "editor@example.org", "editor")
        claim = Claim(sentence=TEXT, standalone_text=TEXT, span_end=len(TEXT), state="in_progress",
                      assignee_id=checker.id)
        session.add(claim)
        session.commit()
        claim_id = claim.id
    browsers = {}
    for name in ("checker", "checker2", "editor"):
        browsers[name] = Browser(app)
        browsers[name].login(f"{name}@example.org")
    return claim_id, browsers


def _archives(app, claim_id) -> list[EvidenceArchive]:
    with session_scope(app.extensions["factcheck.engine"]) as session:
        return list(session.exec(select(EvidenceArchive).where(EvidenceArchive.claim_id == claim_id)
                                 .order_by(EvidenceArchive.id)).all())


def _add(browser, claim_id, url):
    response = browser.post(f"/claims/{claim_id}/evidence", {"url": url, "quote": "Rise has doubled.",
                                                             "stance": "supports"}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.fixture
def loopback_app(databases, empty_template, tmp_path):
    with _app(databases, empty_template, tmp_path, fetch_allow_loopback=True) as app:
        yield app


@pytest.fixture
def production_app(databases, empty_template, tmp_path):
    """Fetch settings as deployed: loopback and private addresses refused."""
    with _app(databases, empty_template, tmp_path) as app:
        assert app.config["SETTINGS"].fetch_allow_loopback is False
        yield app


def test_a_url_given_as_evidence_is_archived_with_its_text_and_hash(loopback_app, local_server):  # noqa: F811
    claim_id, browsers = _setup(loopback_app)
    url = f"{local_server}/redirect?to=/page"
    panel = _add(browsers["checker"], claim_id, url)

    [archive] = _archives(loopback_app, claim_id)
    assert archive.status == "archived", archive.failure
    assert archive.content_sha256 == hashlib.sha256(ARTICLE_HTML).hexdigest()
    assert archive.url == url and archive.final_url == f"{local_server}/page" and archive.http_status == 200
    assert "rose by 9 centimetres" in archive.text and "alert(" not in archive.text
    assert archive.fetched_at is not None and archive.failure is None
    with session_scope(loopback_app.extensions["factcheck.engine"]) as session:
        job = session.get(Job, archive.job_id)
        assert job.kind == "archive_evidence" and job.status == "succeeded"

    # The evidence panel (the htmx answer) says so, with the short hash and a link to the text.
    text_url = f"/claims/{claim_id}/evidence/{archive.evidence_id}/archives/{archive.id}"
    assert f"sha256 <code title=\"{archive.content_sha256}\">{archive.content_sha256[:12]}</code>" in panel
    assert "archived " in panel and text_url in panel
    # The reviewer (an editor) sees the same on the claim page.
    page = browsers["editor"].get(f"/claims/{claim_id}").get_data(as_text=True)
    assert archive.content_sha256[:12] in page and text_url in page

    # The archived text is served as plain text, sandboxed.
    response = browsers["editor"].get(text_url)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "rose by 9 centimetres" in response.get_data(as_text=True)
    # Another claim's or evidence's numbers in the address do not reach it.
    assert browsers["editor"].get(f"/claims/{claim_id + 1}/evidence/{archive.evidence_id}/archives/"
                                  f"{archive.id}").status_code == 404


def test_a_private_address_is_refused_and_shown_as_failed(production_app, local_server):  # noqa: F811
    claim_id, browsers = _setup(production_app)
    panel = _add(browsers["checker"], claim_id, f"{local_server}/page")

    [archive] = _archives(production_app, claim_id)
    assert archive.status == "failed" and archive.text is None and archive.content_sha256 is None
    assert "loopback" in archive.failure and archive.fetched_at is not None
    assert _Handler.requests == []  # refused before connecting
    assert "fetch failed:" in panel and "loopback" in panel
    # The evidence itself stays linked; the failure is about the copy.
    with session_scope(production_app.extensions["factcheck.engine"]) as session:
        assert session.exec(select(Evidence).where(Evidence.claim_id == claim_id)).first() is not None
        job = session.get(Job, archive.job_id)
        assert job.status == "failed" and "loopback" in job.error
    # No text to show for a failed attempt.
    response = browsers["checker"].get(f"/claims/{claim_id}/evidence/{archive.evidence_id}/archives/{archive.id}")
    assert response.status_code == 404

    # A literal private address fails the same way.
    panel = _add(browsers["checker"], claim_id, "http://10.1.2.3/report")
    assert "fetch failed:" in panel and "private network address" in panel


def test_a_missing_page_is_shown_as_failed_with_its_status(loopback_app, local_server):  # noqa: F811
    claim_id, browsers = _setup(loopback_app)
    panel = _add(browsers["checker"], claim_id, f"{local_server}/missing")
    [archive] = _archives(loopback_app, claim_id)
    assert archive.status == "failed" and archive.http_status == 404
    assert archive.final_url == f"{local_server}/missing" and "404" in archive.failure
    assert re.search(r"fetch failed:</strong> The server answered 404", panel)
    assert "HTTP 404" in panel


def test_a_non_document_is_refused(loopback_app, local_server):  # noqa: F811
    claim_id, browsers = _setup(loopback_app)
    _Handler.files["chart.png"] = ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    panel = _add(browsers["checker"], claim_id, f"{local_server}/file?name=chart.png")
    [archive] = _archives(loopback_app, claim_id)
    assert archive.status == "failed" and "PNG image" in archive.failure
    assert "fetch failed:" in panel


def test_the_checker_holding_the_claim_can_refetch_and_earlier_copies_stay(loopback_app, local_server):  # noqa: F811
    claim_id, browsers = _setup(loopback_app)
    _add(browsers["checker"], claim_id, f"{local_server}/file?name=note.txt")  # not served yet: 404
    [failed] = _archives(loopback_app, claim_id)
    assert failed.status == "failed"
    refetch = f"/claims/{claim_id}/evidence/{failed.evidence_id}/refetch"

    # Someone not holding the claim cannot.
    assert browsers["checker2"].post(refetch, htmx=True).status_code == 403
    assert len(_archives(loopback_app, claim_id)) == 1

    _Handler.files["note.txt"] = ("text/plain", b"Sea level rose 3.7 mm a year between 2006 and 2018.")
    response = browsers["checker"].post(refetch, htmx=True)
    assert response.status_code == 200 and "claimChanged" in response.headers["HX-Trigger"]
    first, second = _archives(loopback_app, claim_id)
    assert (first.id, first.status) == (failed.id, "failed")
    assert second.status == "archived" and "3.7 mm" in second.text
    assert "archived " in response.get_data(as_text=True)
    with session_scope(loopback_app.extensions["factcheck.engine"]) as session:
        assert session.exec(select(Event).where(Event.action == "evidence_refetched")).first() is not None

    # The page changes; a re-fetch keeps the old copy, and a later failure still links to the last good one.
    _Handler.files.pop("note.txt")
    panel = browsers["checker"].post(refetch, htmx=True).get_data(as_text=True)
    archives = _archives(loopback_app, claim_id)
    assert [a.status for a in archives] == ["failed", "archived", "failed"]
    assert "fetch failed:" in panel and "An earlier copy" in panel
    assert f"/archives/{second.id}" in panel

    # Removing the evidence removes its copies.
    with session_scope(loopback_app.extensions["factcheck.engine"]) as session:
        version = session.get(Evidence, failed.evidence_id).version
    response = browsers["checker"].post(f"/claims/{claim_id}/evidence/{failed.evidence_id}/delete",
                                        {"version": version}, htmx=True)
    assert response.status_code == 200
    assert _archives(loopback_app, claim_id) == []


def test_a_pending_fetch_polls_and_cannot_be_queued_twice(app, local_server):  # noqa: F811
    """With a real broker (SQLite, no worker in tests) the copy stays pending until a worker runs the job."""
    claim_id, browsers = _setup(app)
    panel = _add(browsers["checker"], claim_id, f"{local_server}/page")
    [archive] = _archives(app, claim_id)
    assert archive.status == "pending"
    status_url = f"/claims/{claim_id}/evidence/{archive.evidence_id}/archive"
    assert "archive pending" in panel and f'hx-get="{status_url}"' in panel
    fragment = browsers["checker2"].get(status_url, htmx=True)
    assert fragment.status_code == 200 and "archive pending" in fragment.get_data(as_text=True)
    response = browsers["checker"].post(f"/claims/{claim_id}/evidence/{archive.evidence_id}/refetch", htmx=True)
    assert response.status_code == 409
    assert len(_archives(app, claim_id)) == 1

    # A worker runs it (here: the job runner a worker calls, with the test server let through).
    from factcheck.services import evidence_archive, jobs

    settings = dataclasses.replace(app.config["SETTINGS"], fetch_allow_loopback=True)
    jobs.execute(app.extensions["factcheck.engine"], settings=settings, job_id=archive.job_id,
                 handlers=evidence_archive.JOB_HANDLERS)
    fragment = browsers["checker2"].get(status_url, htmx=True).get_data(as_text=True)
    assert "sha256" in fragment and "hx-get" not in fragment  # done: it stops asking


def test_the_api_queues_the_archive_and_shows_it_with_the_claim(loopback_app, local_server):  # noqa: F811
    from factcheck.services.users import create_token

    claim_id, _ = _setup(loopback_app)
    with session_scope(loopback_app.extensions["factcheck.engine"]) as session:
        from factcheck.models import User

        checker = session.exec(select(User).where(User.email == "checker@example.org")).one()
        headers = {"Authorization": f"Bearer {create_token(session, user=checker, name='tests')}"}
    api = loopback_app.test_client()
    response = api.post(f"/api/v1/claims/{claim_id}/evidence", headers=headers,
                        json={"url": f"{local_server}/page", "quote": "Rise has doubled.", "stance": "supports"})
    assert response.status_code == 201, response.get_json()
    [evidence] = api.get(f"/api/v1/claims/{claim_id}", headers=headers).get_json()["evidence"]
    assert evidence["archive"]["status"] == "archived"
    assert evidence["archive"]["sha256"] == hashlib.sha256(ARTICLE_HTML).hexdigest()
    assert evidence["archive"]["http_status"] == 200 and evidence["archive"]["fetched_at"]


def test_an_unreachable_broker_leaves_the_evidence_linked(app, monkeypatch):
    """The evidence is saved before its fetch is queued: a broker that is down costs the copy, not the evidence."""
    from factcheck.jobs import JobQueue

    def broker_down(self, job_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(JobQueue, "enqueue", broker_down)
    claim_id, browsers = _setup(app)
    panel = _add(browsers["checker"], claim_id, "https://stats.example/port")
    assert "stats.example/port" in panel
    [archive] = _archives(app, claim_id)
    assert archive.status == "failed" and "job queue could not be reached" in archive.failure
    assert "fetch failed:" in panel and "Re-fetch" in panel

    # A job that was queued but lost (a worker died, a queue emptied): after a quarter of an hour the panel
    # says it did not run and offers Re-fetch (it stops asking).
    with session_scope(app.extensions["factcheck.engine"]) as session:
        row = session.get(EvidenceArchive, archive.id)
        row.status, row.failure, row.created_at = "pending", None, utcnow() - timedelta(minutes=20)
        session.add(row)
        session.commit()
    fragment = browsers["checker"].get(f"/claims/{claim_id}/evidence/{archive.evidence_id}/archive",
                                       htmx=True).get_data(as_text=True)
    assert "fetch did not run" in fragment and "Re-fetch" in fragment and "hx-get" not in fragment
    # With the broker still down, the re-fetch says so (503 with the reason), never a bare error page.
    response = browsers["checker"].post(f"/claims/{claim_id}/evidence/{archive.evidence_id}/refetch", htmx=True)
    assert response.status_code == 503 and "job queue cannot be reached" in response.get_data(as_text=True)
    assert [a.status for a in _archives(app, claim_id)] == ["pending", "failed"]
