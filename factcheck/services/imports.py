"""Bulk import of earlier fact-checks: ClaimReview JSON-LD, JSON lines or CSV.

Idempotent by URL (the library's identity for a fact-check): a URL already in
the library, or seen earlier in the same file, is skipped. A bad row is
reported with where it is (line, or position in a JSON document) and skipped;
the rest is imported. Rows are stored and embedded in batches, each batch
committed, so an interrupted import keeps what it did and a re-run finishes it.

Each batch commits together with its own audit event (``fact_checks_import_batch``:
the run's id, the file, how many rows it added and their ids), so an import that is
killed or fails midway still leaves in the log who added the rows it committed. The
run's summary event (``fact_checks_imported``) follows when it finishes.
"""
from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import DomainError, ValidationFailed
from factcheck.models import FactCheck
from factcheck.schemas import FactCheckInput, parse
from factcheck.services import events
from factcheck.services.matching import KIND_FACT_CHECK, embed_and_store

BATCH = 1024
CSV_COLUMNS = ("claim_reviewed", "rating", "url", "claimant", "publisher", "date_published", "summary", "language")


@dataclass(frozen=True)
class Problem:
    where: str  # "line 12", "item 3"
    message: str


@dataclass
class ImportReport:
    added: int = 0
    already_present: int = 0
    batches: int = 0
    problems: list[Problem] = field(default_factory=list)


def _name(value) -> str | None:
    """A schema.org Person/Organization (or a plain string) as a name."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def from_claim_review(item: dict) -> dict:
    """The library fields of a schema.org ClaimReview object."""
    rating = item.get("reviewRating") or {}
    if isinstance(rating, list):
        rating = rating[0] if rating else {}
    reviewed = item.get("itemReviewed") or {}
    if isinstance(reviewed, list):
        reviewed = reviewed[0] if reviewed else {}
    label = rating.get("alternateName") or rating.get("name")
    if not label and rating.get("ratingValue") is not None:
        label = str(rating["ratingValue"])
    published = item.get("datePublished")
    return {
        "claim_reviewed": item.get("claimReviewed"),
        "rating": label,
        "url": item.get("url"),
        "publisher": _name(item.get("author")) or _name(item.get("publisher")),
        "claimant": _name(reviewed.get("author")) if isinstance(reviewed, dict) else None,
        "date_published": published[:10] if isinstance(published, str) else published,
        "summary": item.get("description") or item.get("reviewBody") or "",
        "language": item.get("inLanguage") or "en",
    }


def _is_claim_review(item: dict) -> bool:
    kind = item.get("@type")
    return kind == "ClaimReview" or (isinstance(kind, list) and "ClaimReview" in kind) or "claimReviewed" in item


def _fields(item) -> dict:
    if not isinstance(item, dict):
        raise ValidationFailed("Expected an object.", {"item": "not an object"})
    if _is_claim_review(item):
        return from_claim_review(item)
    return {name: item.get(name) for name in CSV_COLUMNS if item.get(name) not in (None, "")}


def _json_items(data) -> Iterator[tuple[str, object]]:
    """ClaimReview objects of a JSON-LD document: one object, a list, or a page's @graph."""
    if isinstance(data, dict) and "@graph" in data:
        data = data["@graph"]
        for position, item in enumerate(data if isinstance(data, list) else [data], start=1):
            # A page's graph also holds the WebPage, Organization, ...: only ClaimReviews are fact-checks.
            if isinstance(item, dict) and not _is_claim_review(item) and "@type" in item:
                continue
            yield f"@graph item {position}", item
    elif isinstance(data, list):
        for position, item in enumerate(data, start=1):
            yield f"item {position}", item
    else:
        yield "item 1", data


def read_items(path: str | Path, fmt: str = "auto") -> Iterator[tuple[str, dict | Exception]]:
    """(where, fields or the error that makes the row unusable) for every row of the file."""
    path = Path(path)
    if fmt == "auto":
        suffix = path.suffix.lower()
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix, "json")
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = {"claim_reviewed", "rating", "url"} - set(reader.fieldnames or ())
            if missing:
                raise ValidationFailed(f"The CSV header lacks {', '.join(sorted(missing))} "
                                       f"(columns: {', '.join(CSV_COLUMNS)}).", {"file": "header"})
            for row in reader:
                yield f"line {reader.line_num}", _fields(row)
    elif fmt == "jsonl":
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield f"line {number}", _fields(json.loads(line))
                except (json.JSONDecodeError, DomainError) as exc:
                    yield f"line {number}", exc
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path.name} is not valid JSON (line {exc.lineno}): {exc.msg}.",
                                   {"file": "json"}) from None
        for where, item in _json_items(data):
            try:
                yield where, _fields(item)
            except DomainError as exc:
                yield where, exc


def import_fact_checks(session: Session, *, settings: Settings, path: str | Path, fmt: str = "auto",
                       actor_id: int | None = None, progress: Callable[[int], object] | None = None,
                       set_total: Callable[[int], object] | None = None) -> ImportReport:
    """Import a file of fact-checks (see the module docstring); returns what happened."""
    report = ImportReport()
    run = {"import_id": uuid.uuid4().hex[:16], "file": Path(path).name, "actor_id": actor_id}
    rows = list(read_items(path, fmt))
    if set_total is not None:
        set_total(len(rows))
    seen: dict[str, str] = {}
    batch: list[FactCheckInput] = []
    for where, item in rows:
        if isinstance(item, Exception):
            report.problems.append(Problem(where, str(item)))
            continue
        try:
            payload = parse(FactCheckInput, item)
        except ValidationFailed as exc:
            report.problems.append(Problem(where, str(exc)))
            continue
        if payload.url in seen:
            report.problems.append(Problem(where, f"the URL {payload.url} is already at {seen[payload.url]}."))
            continue
        seen[payload.url] = where
        batch.append(payload)
        if len(batch) >= BATCH:
            _store(session, settings=settings, payloads=batch, report=report, progress=progress, run=run)
            batch = []
    _store(session, settings=settings, payloads=batch, report=report, progress=progress, run=run)
    if progress is not None:
        progress(len(report.problems))
    events.record(session, action="fact_checks_imported", actor_id=actor_id, file=run["file"],
                  import_id=run["import_id"], batches=report.batches, added=report.added,
                  already_present=report.already_present, skipped=len(report.problems))
    session.commit()
    return report


def _store(session: Session, *, settings: Settings, payloads: list[FactCheckInput], report: ImportReport,
           progress, run: dict) -> None:
    """Insert the new fact-checks of a batch, embed them together, commit them with the batch's audit event."""
    from factcheck.services.library import fact_check_text

    if not payloads:
        return
    present = set(session.exec(select(FactCheck.url).where(FactCheck.url.in_([p.url for p in payloads]))).all())
    fact_checks = [FactCheck.model_validate(p) for p in payloads if p.url not in present]
    report.already_present += len(payloads) - len(fact_checks)
    session.add_all(fact_checks)
    session.flush()
    embed_and_store(session, settings=settings, kind=KIND_FACT_CHECK,
                    items=[(fc.id, fact_check_text(fc)) for fc in fact_checks])
    report.batches += 1
    events.record(session, action="fact_checks_import_batch", actor_id=run["actor_id"], file=run["file"],
                  import_id=run["import_id"], batch=report.batches, added=len(fact_checks),
                  already_present=len(payloads) - len(fact_checks), fact_check_ids=[fc.id for fc in fact_checks])
    session.commit()
    report.added += len(fact_checks)
    if progress is not None:
        progress(len(payloads))
