"""Time to ingest an article with all its matches, against the model's own cost, at library scale.

Run: ``.venv/bin/python bench/ingest.py [--library 100000] [--db sqlite,postgres] [--repeat 5]``

Everything runs in one process on throw-away databases (SQLite in a temporary
folder; PostgreSQL 16 + pgvector from the ``pgserver`` wheel): migrate, load
the demo library, then with ``--library N`` add N fact-checks and N source
passages and build their indexes (``rebuild_index``, as ``factcheck
embeddings rebuild-index`` does), then ingest the bench article (~1,000 words:
``bench/article_800.txt`` and a paragraph of claims from the fact-check
collection) ``--repeat`` times after one warm-up. Figures per database, from
the same run:

* ingest: extract, score, embed, match against both libraries, store (median);
* encode-only: the app's embedder on the same claims' texts (the model's cost,
  the floor of ingest), and the ratio ingest / encode-only;
* matching alone, batched (``suggestions_for_claims``: one search per library
  for all claims) against claim by claim (``search`` per claim and library),
  both on the wording as written; and batched with the app's default second
  reading of claims in reported speech (``coref.reported``) against without.

Library texts: CheckThat! 2020 verified claims (title as summary) and
CLIMATE-FEVER evidence sentences from ``../shared/data`` (the demo library's
when absent), embedded with the app's embedder. Beyond those, rows are padded:
a real text with a generated place and year, stored with its real text's vector
plus a little noise (normalised) — realistic for speed (the index, BM25 and the
re-ranker see a library of N), meaningless for quality, and ~50x cheaper to
build than embedding N texts on 2 cores.
"""
from __future__ import annotations

import argparse
import csv
import functools
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from factcheck import create_app  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import session_scope, upgrade  # noqa: E402
from factcheck.domain.extraction import extract_claims  # noqa: E402
from factcheck.models import Embedding, FactCheck, Passage, SourceDocument  # noqa: E402
from factcheck.services.articles import ingest_article  # noqa: E402
from factcheck.services.library import load_demo_library  # noqa: E402
from factcheck.services.match_settings import library_settings  # noqa: E402
from factcheck.services.matching import (  # noqa: E402
    KIND_FACT_CHECK,
    KIND_PASSAGE,
    LIBRARIES,
    embedder_for,
    rebuild_index,
    search,
    suggestions_for_claims,
)

DATA = ROOT.parent / "shared" / "data"
PLACES = ["Leeds", "Bristol", "Ohio", "Lagos", "Mumbai", "Quebec", "Perth", "Texas", "Kerala", "Bavaria"]


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def real_texts() -> tuple[list[tuple[str, str]], list[str]]:
    """(claim, summary) pairs for fact-checks and sentences for passages."""
    claims = DATA / "clef2020-t2-claim-retrieval" / "verified_claims.docs.tsv"
    evidence = DATA / "climate-fever" / "climate-fever.dev.jsonl"
    fact_checks, passages = [], []
    if claims.exists():
        with open(claims, newline="", encoding="utf-8") as f:
            fact_checks = [(r[1], r[2]) for r in list(csv.reader(f, delimiter="\t"))[1:] if r[1].strip()]
    if evidence.exists():
        with open(evidence, encoding="utf-8") as f:
            passages = list(dict.fromkeys(e["evidence"] for line in f for e in json.loads(line)["evidences"]))
    if not fact_checks or not passages:
        demo = json.loads((ROOT / "factcheck" / "data" / "demo_library.json").read_text())
        fact_checks = fact_checks or [(f["claim_reviewed"], f.get("summary", "")) for f in demo["fact_checks"]]
        passages = passages or [f["claim_reviewed"] for f in demo["fact_checks"]]
    return fact_checks, passages


def article() -> str:
    """~1,000 words: the bench article and a paragraph of claims like those in the collection."""
    text = (ROOT / "bench" / "article_800.txt").read_text()
    fact_checks, _ = real_texts()
    extra, words = [], 0
    for claim, _ in fact_checks[100::97]:
        if words >= 1000 - len(text.split()):
            break
        extra.append(claim if claim.rstrip().endswith((".", "!", "?")) else claim.rstrip() + ".")
        words += len(claim.split())
    return text.rstrip() + "\n\nAlso in the news this week. " + " ".join(extra) + "\n"


def add_library(engine, settings, n: int, seed: int = 7) -> float:
    """N fact-checks and N passages (real texts first, then padded ones); returns the seconds taken."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    embedder = embedder_for(settings)
    fact_checks, passages = real_texts()
    real_fc = fact_checks[:n]
    real_passages = passages[:n]
    fc_vectors = embedder.encode([c for c, _ in real_fc], show_progress=True)
    passage_vectors = embedder.encode(real_passages, show_progress=True)

    def padded(i: int, texts: list, vectors: np.ndarray):
        j = i % len(texts)
        if i < len(texts):
            return texts[j], vectors[j]
        noisy = vectors[j] + rng.normal(0, 0.02, vectors.shape[1]).astype(np.float32)
        text = texts[j]
        suffix = f" in {PLACES[i % len(PLACES)]} in {1950 + i % 70}"
        if isinstance(text, tuple):
            return (text[0].rstrip(".") + suffix + ".", text[1]), noisy / np.linalg.norm(noisy)
        return text.rstrip(".") + suffix + ".", noisy / np.linalg.norm(noisy)

    from factcheck.models import utcnow

    now = utcnow()
    names = dict(model_id=embedder.model_id, variant=embedder.variant, dim=int(fc_vectors.shape[1]), created_at=now)
    batch = 5_000
    with session_scope(engine) as session:
        first_fc = (session.connection().exec_driver_sql("SELECT coalesce(max(id), 0) FROM factcheck").scalar()) + 1
        first_passage = (session.connection().exec_driver_sql(
            "SELECT coalesce(max(id), 0) FROM passage").scalar()) + 1
        source = SourceDocument(title="Bench library", text="(passages added by bench/ingest.py)",
                                url="https://bench.example/library")
        session.add(source)
        session.flush()
        for offset in range(0, n, batch):
            rows = [padded(i, real_fc, fc_vectors) for i in range(offset, min(n, offset + batch))]
            ids = list(range(first_fc + offset, first_fc + offset + len(rows)))
            session.execute(insert(FactCheck), [
                {"id": i, "claim_reviewed": claim, "summary": summary, "rating": "False",
                 "url": f"https://bench.example/fc/{i}", "date_published": date(2025, 1, 1),
                 "created_at": now}
                for i, ((claim, summary), _) in zip(ids, rows)])
            session.execute(insert(Embedding), [{"kind": KIND_FACT_CHECK, "object_id": i, "vector": v, **names}
                                                for i, (_, v) in zip(ids, rows)])
            rows = [padded(i, real_passages, passage_vectors) for i in range(offset, min(n, offset + batch))]
            ids = list(range(first_passage + offset, first_passage + offset + len(rows)))
            session.execute(insert(Passage), [
                {"id": i, "source_id": source.id, "position": i, "text": passage, "span_start": 0, "span_end": 0}
                for i, (passage, _) in zip(ids, rows)])
            session.execute(insert(Embedding), [{"kind": KIND_PASSAGE, "object_id": i, "vector": v, **names}
                                                for i, (_, v) in zip(ids, rows)])
            session.commit()
        if engine.dialect.name == "postgresql":  # explicit ids above: move the sequences past them
            for table in ("factcheck", "passage"):
                session.connection().exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            session.commit()
    with session_scope(engine) as session:
        for kind in LIBRARIES:
            print(f"  {rebuild_index(session, settings=settings, kind=kind, show_progress=True)}", flush=True)
    return time.perf_counter() - start


def bench(db: str, url: str, workdir: Path, args, text: str) -> None:
    marker = workdir / "library.json"
    reused = marker.exists()
    if not reused:
        upgrade(url)
    app = create_app(Settings.from_env(environ={}, database_url=url, instance_path=str(workdir / "instance")))
    settings = app.config["SETTINGS"]
    engine = app.extensions["factcheck.engine"]
    embedder = embedder_for(settings)
    if reused:  # --keep: the library (and its saved indexes) of an earlier run
        built = json.loads(marker.read_text())["seconds"]
    else:
        with session_scope(engine) as session:
            load_demo_library(session, settings=settings)
        built = add_library(engine, settings, args.library) if args.library else 0.0
        marker.write_text(json.dumps({"library": args.library, "seconds": built}))
    embedder.encode(["warm up the model"])

    def ingest():
        with session_scope(engine) as session:
            # The same text every time: stored as a confirmed copy (the duplicate check still runs,
            # and stops at the first rule that finds the earlier copy).
            return ingest_article(session, settings=settings, data={"title": "Bench", "text": text},
                                  confirm_duplicate=True)

    ingest()  # warm: indexes loaded, BM25 followed, statements prepared
    ingest_s, (_article, claims) = timed(ingest, args.repeat)
    # The same ingest with claim types from the linguistic features alone (no parser), interleaved
    # with the real one so both see the same machine load: the parser's share of ingest.
    from factcheck.checkworthiness.features import claim_type
    from factcheck.domain import extraction

    with_parser, without_parser = [], []
    for _ in range(args.repeat):
        with_parser.append(timed(ingest, 1)[0])
        real_classify, extraction.classify = extraction.classify, lambda _sentence, features: claim_type(features)
        try:
            without_parser.append(timed(ingest, 1)[0])
        finally:
            extraction.classify = real_classify
    typed_s, untyped_s = statistics.median(with_parser), statistics.median(without_parser)
    # The same ingest without the second reading of claims in reported speech, interleaved likewise.
    from factcheck.services import matching as matching_service

    with_reported, without_reported = [], []
    for _ in range(args.repeat):
        with_reported.append(timed(ingest, 1)[0])
        real_match = matching_service.suggestions_for_claims
        matching_service.suggestions_for_claims = functools.partial(real_match, reported_speech=False)
        try:
            without_reported.append(timed(ingest, 1)[0])
        finally:
            matching_service.suggestions_for_claims = real_match
    reading_s, unread_s = statistics.median(with_reported), statistics.median(without_reported)
    texts = [c.standalone_text for c in extract_claims(text)]
    encode_s, _ = timed(lambda: embedder.encode(texts), args.repeat)
    vectors = embedder.encode([c.standalone_text for c in claims])
    with session_scope(engine) as session:
        libraries = {kind: library_settings(session, settings=settings, library=kind) for kind in LIBRARIES}
        batched_s, batched = timed(lambda: suggestions_for_claims(session, settings=settings, claims=claims,
                                                                  vectors=vectors, libraries=libraries,
                                                                  reported_speech=False), args.repeat)
        # The app's default also searches what claims in reported speech report (parse, encode, search).
        reported_s, with_reported = timed(lambda: suggestions_for_claims(
            session, settings=settings, claims=claims, vectors=vectors, libraries=libraries), args.repeat)
        one_by_one_s, one_by_one = timed(lambda: [
            {kind: search(session, settings=settings, vector=v, kind=kind, text=c.standalone_text,
                          threshold=libraries[kind].suggest_threshold) for kind in LIBRARIES}
            for c, v in zip(claims, vectors)], args.repeat)
    same = batched == one_by_one
    matches = sum(len(hits) for found in batched for hits in found.values())
    print(f"[{db}] library: demo + {args.library:,} fact-checks and {args.library:,} passages "
          f"(built and indexed in {built:.0f} s); embedder {embedder.variant}")
    print(f"[{db}] article: {len(text.split())} words, {len(texts)} candidate sentences, {len(claims)} claims, "
          f"{matches} suggestions")
    print(f"[{db}] ingest with all matches, median of {args.repeat} (warm): {ingest_s * 1000:.0f} ms")
    print(f"[{db}]   encode-only of the same {len(texts)} texts (app embedder): {encode_s * 1000:.0f} ms; "
          f"ratio ingest / encode-only {ingest_s / encode_s:.2f}x")
    print(f"[{db}]   claim types with the parser: {typed_s * 1000:.0f} ms vs features only {untyped_s * 1000:.0f} ms "
          f"(interleaved, median of {args.repeat}; ratio {typed_s / untyped_s:.2f}x)")
    print(f"[{db}]   matching alone, batched: {batched_s * 1000:.0f} ms; claim by claim: {one_by_one_s * 1000:.0f} ms "
          f"(ratio {one_by_one_s / batched_s:.1f}x; same suggestions: {same})", flush=True)
    print(f"[{db}]   ingest with the reported-speech reading: {reading_s * 1000:.0f} ms vs without "
          f"{unread_s * 1000:.0f} ms (interleaved, median of {args.repeat}; ratio {reading_s / unread_s:.2f}x); "
          f"without it ingest / encode-only would be {unread_s / encode_s:.2f}x")
    second = sum(len(hits) for found in with_reported for hits in found.values())
    print(f"[{db}]   matching with the reported-speech reading, the claims parsed there (as when a claim is "
          f"re-matched; ingest reuses the article's parse): {reported_s * 1000:.0f} ms, "
          f"{reported_s / batched_s:.2f}x the wording alone; {second} suggestions (wording alone: {matches})",
          flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--library", type=int, default=0, help="fact-checks and passages to add (0: demo only)")
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite, postgres")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each database with its library and indexes here, and reuse them in later runs "
                             "with the same --library (building 100k takes many minutes on 2 cores)")
    args = parser.parse_args()
    text = article()
    for db in [d for d in args.db.split(",") if d]:
        workdir = args.keep / f"{db}-{args.library}" if args.keep else Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
        workdir.mkdir(parents=True, exist_ok=True)
        server = None
        try:
            if db == "postgres":
                import pgserver

                server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
                url = server.get_uri()
            else:
                url = f"sqlite:///{workdir / 'bench.db'}"
            bench(db, url, workdir, args, text)
        finally:
            if server is not None:
                server.cleanup()
            if args.keep is None:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
