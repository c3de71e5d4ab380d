"""``factcheck import fact-checks``: ClaimReview JSON-LD, JSON lines and CSV; idempotent; bad rows reported."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlmodel import select

from factcheck.cli import main
from factcheck.models import Embedding, Event, FactCheck
from factcheck.services import imports
from factcheck.services import matching as matching_service


def _review(n: int, **extra) -> dict:
    return {"@context": "https://schema.org", "@type": "ClaimReview", "url": f"https://checks.example/{n}",
            "claimReviewed": f"Claim number {n} about the town's water supply being poisoned.",
            "datePublished": "2025-03-0%dT10:00:00Z" % (n % 9 + 1),
            "author": {"@type": "Organization", "name": "Example Checks"},
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Poster"}},
            "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": "False"}, **extra}


def _fact_checks(session):
    session.expire_all()
    return {fc.url: fc for fc in session.exec(select(FactCheck)).all()}


@pytest.mark.parametrize("shape", ["object", "list", "graph"])
def test_claim_review_json_ld(session, settings, tmp_path, shape):
    reviews = [_review(1), _review(2)]
    document = {"object": reviews[0], "list": reviews,
                "graph": {"@context": "https://schema.org",
                          "@graph": [{"@type": "WebPage", "url": "https://checks.example/"}, *reviews]}}[shape]
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(document))
    report = imports.import_fact_checks(session, settings=settings, path=path)
    assert (report.added, report.already_present, report.problems) == (len(reviews) if shape != "object" else 1, 0, [])
    fc = _fact_checks(session)["https://checks.example/1"]
    assert (fc.rating, fc.publisher, fc.claimant, fc.date_published.isoformat()) == (
        "False", "Example Checks", "A. Poster", "2025-03-02")
    vectors = session.exec(select(Embedding).where(Embedding.kind == "fact_check", Embedding.object_id == fc.id)).all()
    assert len(vectors) == 1
    embedder = matching_service.embedder_for(settings)
    assert (vectors[0].model_id, vectors[0].variant) == (embedder.model_id, embedder.variant)


def test_jsonl_bad_rows_are_reported_and_skipped_and_import_is_idempotent(session, settings, tmp_path):
    lines = [json.dumps(_review(1)), "{not json", json.dumps(_review(2, reviewRating={})),
             json.dumps({"claim_reviewed": "Plain fields work too, as in the CSV.", "rating": "Mixed",
                         "url": "https://checks.example/plain"}),
             "", json.dumps(_review(1))]
    path = tmp_path / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = imports.import_fact_checks(session, settings=settings, path=path)
    assert report.added == 2
    assert [p.where for p in report.problems] == ["line 2", "line 3", "line 6"]
    assert "rating" in report.problems[1].message and "line 1" in report.problems[2].message
    assert set(_fact_checks(session)) == {"https://checks.example/1", "https://checks.example/plain"}

    again = imports.import_fact_checks(session, settings=settings, path=path)
    assert (again.added, again.already_present) == (0, 2)
    assert len(_fact_checks(session)) == 2
    assert len(session.exec(select(Embedding).where(Embedding.kind == "fact_check")).all()) == 2
    assert len(session.exec(select(Event).where(Event.action == "fact_checks_imported")).all()) == 2


def test_csv_through_the_command(app, settings, tmp_path):
    path = tmp_path / "checks.csv"
    path.write_text(
        "claim_reviewed,rating,url,publisher,date_published\n"
        "The mayor sold the old harbour to a foreign company.,False,https://checks.example/h,Checks,2024-05-01\n"
        '"A claim, with a comma, that is fine.",Mostly true,https://checks.example/c,,\n'
        "Missing its URL entirely here.,False,,,\n"
        "The date is wrong on this one.,False,https://checks.example/d,,yesterday\n")
    env = {"FACTCHECK_DATABASE_URL": settings.database_url, "FACTCHECK_INSTANCE_PATH": settings.instance_path}
    result = CliRunner().invoke(main, ["import", "fact-checks", str(path)], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Imported 2 fact-checks; 0 already in the library; 2 skipped as invalid." in result.output
    assert "skipped line 4: " in result.stderr and "skipped line 5: " in result.stderr
    result = CliRunner().invoke(main, ["import", "fact-checks", str(path)], env=env)
    assert "Imported 0 fact-checks; 2 already in the library" in result.output


def test_csv_without_the_required_columns_is_refused(session, settings, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("claim_reviewed,verdict\nSomething,False\n")
    from factcheck.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="lacks rating, url"):
        imports.import_fact_checks(session, settings=settings, path=path)


def test_an_import_failing_midway_leaves_an_audit_event_for_what_it_committed(session, settings, tmp_path,
                                                                              monkeypatch):
    """Issue 11: an import killed midway left its committed rows with no audit event."""
    monkeypatch.setattr(imports, "BATCH", 2)
    real = imports.embed_and_store
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")  # what a stopped worker looks like from inside
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "embed_and_store", dies_on_the_second_batch)
    path = tmp_path / "reviews.jsonl"
    path.write_text("\n".join(json.dumps(_review(n)) for n in range(1, 6)) + "\n")
    with pytest.raises(KeyboardInterrupt):
        imports.import_fact_checks(session, settings=settings, path=path, actor_id=None)
    session.rollback()
    committed = _fact_checks(session)
    assert len(committed) == 2  # the first batch
    events = session.exec(select(Event).where(Event.action.like("fact_checks_import%"))).all()
    assert [e.action for e in events] == ["fact_checks_import_batch"]
    detail = json.loads(events[0].detail)
    assert detail["added"] == 2 and detail["file"] == "reviews.jsonl" and detail["batch"] == 1
    assert sorted(detail["fact_check_ids"]) == sorted(fc.id for fc in committed.values())

    # Re-running finishes it; the run's batches and summary share one import id.
    monkeypatch.setattr(imports, "embed_and_store", real)
    report = imports.import_fact_checks(session, settings=settings, path=path)
    assert (report.added, report.already_present) == (3, 2)
    session.expire_all()
    rerun = [json.loads(e.detail) for e in session.exec(select(Event).where(Event.id > events[0].id)
                                                        .order_by(Event.id)).all()]
    assert [d.get("batch") for d in rerun] == [1, 2, 3, None]
    assert len({d["import_id"] for d in rerun}) == 1 and rerun[-1]["added"] == 3
