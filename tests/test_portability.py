"""Export a whole instance and import it into an empty one: nothing is lost, ids are remapped consistently."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select as sa_select
from sqlmodel import select

from factcheck.cli import main
from factcheck.db import session_scope
from factcheck.domain.errors import Conflict
from factcheck.models import Article, Claim, Embedding, Job, User
from factcheck.services import articles, claims, library, portability, users
from factcheck.services import sources as source_service
from tests.conftest import app_from_template, make_user
from tests.test_ingest_documents import make_pdf

ARTICLE = """Port city budget row

The mayor said on Monday that the port handled 4.2 million containers last year.
Officials claimed that ferry fares rose by 12 percent in 2025 across the region.
"""


@pytest.fixture
def instances(databases, empty_template, tmp_path):
    """Two apps on empty databases: the source of an export and the target of the import."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with app_from_template(databases, empty_template, tmp_path / "a") as source, \
            app_from_template(databases, empty_template, tmp_path / "b") as target:
        yield [source, target], [app.config["SETTINGS"].database_url for app in (source, target)]


def _session(app):
    return session_scope(app.extensions["factcheck.engine"])


def _fill(app) -> None:
    """An instance with a bit of everything, made through the services as the UI would."""
    settings = app.config["SETTINGS"]
    with _session(app) as session:
        checker = make_user(session, "checker@example.org", "checker")
        editor = make_user(session, "editor@example.org", "editor")
        library.add_fact_check(session, settings=settings, data={
            "claim_reviewed": "The port handled 4.2 million containers last year.", "rating": "True",
            "url": "https://checks.example/port", "publisher": "Checks", "date_published": "2025-02-01"})
        source_service.ingest_upload(session, settings=settings, target="source", filename="report.pdf",
                                     data=make_pdf(), fields={"publisher": "Marine Institute"}, actor_id=checker.id)
        article, found = articles.ingest_article(session, settings=settings, actor_id=checker.id,
                                                 data={"title": "Port budget", "text": ARTICLE})
        # An uploaded article: its archived copy (time, type, hash, file name) must travel too.
        source_service.ingest_upload(session, settings=settings, target="article", filename="budget.txt",
                                     data=ARTICLE.encode(),
                                     # The same text as the pasted copy: a second copy, confirmed.
                                     fields={"title": "Port budget (upload)", "confirm_duplicate": "1"},
                                     actor_id=checker.id)
        first, second = found[0], found[1]
        claims.transition(session, claim_id=first.id, action="take", user=checker)
        passage = library.passages_of(session, library.list_sources(session)[0].id)[0]
        kept = claims.add_evidence(session, claim_id=first.id, user=checker,
                                   data={"passage_id": passage.id, "stance": "context"})
        removed = claims.add_evidence(session, claim_id=first.id, user=checker,
                                      data={"url": "https://port.example/stats", "quote": "4.2m", "stance": "supports"})
        claims.remove_evidence(session, claim_id=first.id, evidence_id=removed.id, user=checker)
        claims.add_comment(session, claim_id=first.id, user=checker, data={"body": "Port stats agree."})
        claims.save_verdict(session, settings=settings, claim_id=first.id, user=checker,
                            data={"rating": "True", "summary": "The port's figures confirm it."})
        claims.transition(session, claim_id=first.id, action="submit", user=checker)
        claims.transition(session, claim_id=first.id, action="approve", user=editor)
        claims.transition(session, claim_id=first.id, action="publish", user=editor)
        claims.save_verdict(session, settings=settings, claim_id=first.id, user=editor,
                            data={"rating": "Mostly true", "summary": "4.1 million, not 4.2."})
        claims.transition(session, claim_id=first.id, action="correct", user=editor, comment="Figure revised")
        claims.transition(session, claim_id=second.id, action="mark_duplicate", user=editor,
                          comment="Same claim", duplicate_of_claim_id=first.id)
        session.add(Job(kind="upload_source", status="failed", payload={}, input_data=b"secret upload"))
        session.commit()
        assert kept.id and article.id


def _canonical(document: dict) -> dict:
    """The export with every id replaced by the row's position in its table (and references likewise)."""
    tables = {t.name: t for t in portability.exported_tables()}
    positions = {name: {row["id"]: i for i, row in enumerate(sorted(rows, key=lambda r: r["id"]))}
                 for name, rows in document["tables"].items()}
    canonical = {}
    for name, rows in document["tables"].items():
        foreign = {fk.parent.name: fk.column.table.name for fk in tables[name].foreign_keys}
        out = []
        for row in sorted(rows, key=lambda r: r["id"]):
            row = dict(row, id=positions[name][row["id"]])
            for column, target in foreign.items():
                if row.get(column) is not None:
                    row[column] = positions[target][row[column]]
            if name == "event" and row["detail"]:
                detail = json.loads(row["detail"])
                for key, value in detail.items():
                    target = portability.DETAIL_REFERENCES.get(key) or (
                        portability.TARGET_TABLE.get(detail.get("kind")) if key == "target_id" else None)
                    if target and isinstance(value, int):
                        detail[key] = positions[target].get(value)
                row["detail"] = detail
            out.append(row)
        canonical[name] = out
    return canonical


def test_export_then_import_loses_nothing(instances):
    (source, target), _urls = instances
    _fill(source)
    with _session(source) as session:
        exported = portability.export_instance(session)
        vectors = session.exec(select(func.count(Embedding.id))).one()
    assert exported["format"] == "factcheck-instance" and exported["version"] == 1
    assert {"embedding", "apitoken", "job"}.isdisjoint(exported["tables"])
    assert all("password_hash" not in row for row in exported["tables"]["user"])
    assert len(exported["tables"]["verdict"]) == 2 and exported["tables"]["passage"][0]["page"] == 1
    archived = [row for row in exported["tables"]["article"] if row["fetched_at"]]
    assert len(archived) == 1 and archived[0]["filename"] == "budget.txt"
    assert archived[0]["content_type"] == "text/plain" and len(archived[0]["content_sha256"]) == 64
    assert any(json.loads(e["detail"] or "{}").get("evidence_id") for e in exported["tables"]["event"]
               if e["action"] == "evidence_removed")

    # A user who already exists in the target (say, its first admin) is kept and mapped by email.
    with _session(target) as session:
        make_user(session, "someone@example.org", "admin")
        make_user(session, "editor@example.org", "editor", password="a different password")
        counts = portability.import_instance(session, settings=target.config["SETTINGS"],
                                             document=json.loads(json.dumps(exported)))
        again = portability.export_instance(session)
        assert session.exec(select(func.count(Embedding.id))).one() == vectors
        duplicate = session.exec(select(Claim).where(Claim.state == "duplicate")).one()
        uploaded = session.exec(select(Article).where(Article.filename == "budget.txt")).one()
        # (fetched_at itself is compared below, with every other column of the re-export.)
        assert uploaded.fetched_at is not None and uploaded.content_sha256 == archived[0]["content_sha256"]
        assert "4.2 million containers" in uploaded.text
        assert session.get(Claim, duplicate.duplicate_of_claim_id).state == "published"
        # Imported users cannot log in without a password hash; the existing one keeps hers.
        assert users.authenticate(session, email="checker@example.org", password="correct horse battery") is None
        assert users.authenticate(session, email="editor@example.org", password="a different password")
    assert counts["user"] == 1 and counts["event"] == len(exported["tables"]["event"])

    mine = _canonical(again)
    theirs = _canonical(exported)
    mine["user"] = [u for u in mine["user"] if u["email"] != "someone@example.org"]
    # The editor existed in the target: her row is the target's, everything pointing at her is remapped.
    for rows in (mine["user"], theirs["user"]):
        for row in rows:
            row.pop("id")
            row.pop("created_at")
            row.pop("name")
    for name in theirs:
        if name == "user":
            assert sorted(mine[name], key=lambda r: r["email"]) == sorted(theirs[name], key=lambda r: r["email"])
            continue
        if name in ("event", "claim", "evidence", "verdict", "verdictrevision", "comment", "match", "article",
                    "matchsetting", "notification", "notificationpreference"):
            # References to users go through the email mapping; compare with user ids resolved to emails.
            _resolve_users(mine, again, name)
            _resolve_users(theirs, exported, name)
        assert mine[name] == theirs[name], name


def _resolve_users(canonical: dict, document: dict, name: str) -> None:
    emails = {row["id"]: row["email"] for row in document["tables"]["user"]}
    positions = {row["id"]: i for i, row in enumerate(sorted(document["tables"]["user"], key=lambda r: r["id"]))}
    by_position = {positions[i]: email for i, email in emails.items()}
    table = {t.name: t for t in portability.exported_tables()}[name]
    for column in [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "user"]:
        for row in canonical[name]:
            if row.get(column) is not None:
                row[column] = by_position[row[column]]


def test_import_needs_an_empty_instance_and_a_valid_document(instances):
    (source, target), _urls = instances
    _fill(source)
    with _session(source) as session:
        exported = portability.export_instance(session)
        with pytest.raises(Conflict, match="already has content"):
            portability.import_instance(session, settings=source.config["SETTINGS"], document=exported)
    with _session(target) as session:
        for document, words in [({"format": "other"}, "Not a factcheck instance export"),
                                (dict(exported, version=99), "version 99"),
                                (dict(exported, tables={"mystery": []}), "does not know: 'mystery'"),
                                (dict(exported, tables={"factcheck": [{"id": 1, "colour": "red"}]}), "colour")]:
            with pytest.raises(Exception, match=words):
                portability.import_instance(session, settings=target.config["SETTINGS"], document=document)
        assert session.execute(sa_select(func.count()).select_from(User)).scalar_one() == 0


def test_cli_export_and_import_with_password_hashes(instances, tmp_path):
    (source, target), (source_url, target_url) = instances
    with _session(source) as session:
        make_user(session, "editor@example.org", "editor")
        library.add_source(session, settings=source.config["SETTINGS"],
                           data={"title": "Memo", "text": "The ferry carried 300 cars.\n\nFares rose."})
    runner = CliRunner()
    file = tmp_path / "instance.json"
    result = runner.invoke(main, ["export", str(file), "--with-password-hashes"],
                           env={"FACTCHECK_DATABASE_URL": source_url, "FACTCHECK_INSTANCE_PATH": str(tmp_path / "a")})
    assert result.exit_code == 0, result.output
    assert "1 user" in result.output and "2 passage" in result.output
    assert (file.stat().st_mode & 0o777) == 0o600
    result = runner.invoke(main, ["import", "instance", str(file)],
                           env={"FACTCHECK_DATABASE_URL": target_url, "FACTCHECK_INSTANCE_PATH": str(tmp_path / "b")})
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output and "1 sourcedocument" in result.output
    with _session(target) as session:
        assert users.authenticate(session, email="editor@example.org", password="correct horse battery")
    result = runner.invoke(main, ["import", "instance", str(file)],
                           env={"FACTCHECK_DATABASE_URL": target_url, "FACTCHECK_INSTANCE_PATH": str(tmp_path / "b")})
    assert result.exit_code == 1 and "already has content" in result.output


def test_import_of_an_older_export_takes_threshold_scales_from_its_change_log(instances):
    """Exports made before ``matchsetting.scale`` (schema 0006 and older) get it as migration 0007 would."""
    from factcheck.models import MatchSetting
    from factcheck.services import match_settings

    (source, target), _urls = instances
    with _session(source) as session:
        admin = make_user(session, "admin@example.org", "admin")
        for library in ("passage", "fact_check"):
            match_settings.update_library_settings(session, settings=source.config["SETTINGS"], library=library,
                                                   actor_id=admin.id, data={"suggest_threshold": "0.05"})
        exported = portability.export_instance(session)
    assert "vectorprojection" not in exported["tables"]
    for row in exported["tables"]["matchsetting"]:
        del row["scale"]
    with _session(target) as session:
        portability.import_instance(session, settings=target.config["SETTINGS"], document=exported)
        scales = {row.library: row.scale for row in session.exec(select(MatchSetting)).all()}
    assert scales == {"passage": "hybrid-v1", "fact_check": "calibrated-v1"}  # as each change event recorded
    with _session(target) as session:
        assert match_settings.rows_on_older_scale(session) == {}  # so the imported thresholds apply
