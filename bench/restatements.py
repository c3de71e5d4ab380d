"""What the fact-check matcher shows for newsroom wording: claims restated in reported speech, and off-topic articles.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python bench/restatements.py [--distractors 20000] [--thresholds 0.5,0.6]
[--two-stage FILE] [--verbose]``

CheckThat! tweets state a claim bare; a news article wraps it in who said it where ("At a packed
meeting on Tuesday, X told the audience that the MMR vaccine causes autism."). This measures, on a
throw-away SQLite database holding the demo library:

* ``tests/fixtures/restatements.json``: 44 sentences written for this project, each restating a claim of
  the demo library in a reporter's words, and 39 on the same subjects that are not those claims. Per
  calibration: the share of restatements whose fact-check is shown (``hit``) and shown first (``top``),
  and the share of sentences showing a wrong fact-check (``false``, restatements and others apart);
* ``tests/fixtures/offtopic/*.txt``: six articles the demo library has nothing about, ingested; the
  number of fact-check suggestions shown for all their claims (the issue's goal: at most 1).

With ``--distractors N`` the library also holds the first N fact-checks of the CheckThat! 2020 collection
(``../shared/data``, up to 10,375): a newsroom library is thousands of fact-checks, and neighbours on the
same subjects are what a matcher confuses. Some of them check the same claims as the demo library (vaccines
and autism, 5G): one of those shown for a restatement is counted apart ("other shown"), not as false.

The calibrations compared: the shipped file (``factcheck/data/calibration.json``), and each file given
with ``--two-stage`` (from ``factcheck train calibration --same-claim …``), its same-claim classifier
reading each claim as written only and also as what it reports (``same_claim.reported_contents``).
Each arm runs the app's own ``suggestions_for_claims`` at its file's default "suggest" threshold, twice:
searching each sentence as written only, and also for what it reports (``coref.reported``: the
app's default).
"""
from __future__ import annotations

import argparse
import csv
import functools
import json
import sys
import tempfile
from unittest import mock
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck import create_app  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import session_scope, upgrade  # noqa: E402
from factcheck.matching import calibration, same_claim  # noqa: E402
from factcheck.models import Claim, Embedding, FactCheck, MatchSetting, utcnow  # noqa: E402
from factcheck.services.articles import ingest_article  # noqa: E402
from factcheck.services.library import load_demo_library  # noqa: E402
from factcheck.services.matching import (  # noqa: E402
    KIND_FACT_CHECK,
    LIBRARIES,
    embedder_for,
    rebuild_index,
    suggestions_for_claims,
)
from sqlmodel import select  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def arms(two_stage: list[str]) -> list[tuple[str, calibration.LibraryCalibration, bool | None]]:
    """(name, fact-check calibration, whether its classifier also reads the reported clause) of each arm."""
    found = [("shipped", calibration.for_library(KIND_FACT_CHECK), None)]
    for path in two_stage:
        fitted = calibration.from_json(json.loads(Path(path).read_text()))[KIND_FACT_CHECK]
        found.append((f"{Path(path).name}, classifier as written", fitted, False))
        found.append((f"{Path(path).name}, classifier + reported", fitted, True))
    return found


_LOGITS = same_claim.logits


def shown(settings, session, fitted, classifier_reads_reported, texts: list[str], vectors,
          reported_speech: bool, threshold: float) -> list[list[tuple[int, float]]]:
    """For each text, the (fact-check id, probability) the app shows (``suggestions_for_claims``) with the
    calibration ``fitted`` from ``threshold``, best first."""
    claims = [Claim(standalone_text=text, sentence=text) for text in texts]
    libraries = {kind: MatchSetting(library=kind, suggest_threshold=threshold if kind == KIND_FACT_CHECK
                                    else 1.0, same_claim_threshold=1.0) for kind in LIBRARIES}
    logits = functools.partial(_LOGITS, reported=bool(classifier_reads_reported))
    with mock.patch.object(calibration, "for_library", lambda kind: fitted if kind == KIND_FACT_CHECK else None), \
            mock.patch.object(same_claim, "logits", logits):
        found = suggestions_for_claims(session, settings=settings, claims=claims, vectors=vectors,
                                       libraries=libraries, reported_speech=reported_speech)
    return [[(hit.object_id, hit.score) for hit in hits[KIND_FACT_CHECK]] for hits in found]


def add_distractors(engine, settings, n: int) -> int:
    """The first ``n`` CheckThat! 2020 fact-checks, embedded and indexed; how many were added."""
    path = ROOT.parent / "shared" / "data" / "clef2020-t2-claim-retrieval" / "verified_claims.docs.tsv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in list(csv.reader(f, delimiter="\t"))[1:] if r[1].strip()][:n]
    embedder = embedder_for(settings)
    vectors = embedder.encode([r[1] for r in rows], show_progress=True)
    names = dict(model_id=embedder.model_id, variant=embedder.variant, dim=int(vectors.shape[1]), created_at=utcnow())
    with session_scope(engine) as session:
        checks = [FactCheck(claim_reviewed=r[1], summary=r[2], rating="False", url=f"https://clef.example/{r[0]}",
                            date_published=date(2020, 1, 1)) for r in rows]
        session.add_all(checks)
        session.flush()
        session.add_all([Embedding(kind=KIND_FACT_CHECK, object_id=c.id, vector=v, **names)
                         for c, v in zip(checks, vectors)])
        session.commit()
        print(f"  {rebuild_index(session, settings=settings, kind=KIND_FACT_CHECK, show_progress=True)}", flush=True)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--two-stage", action="append", default=[],
                        help="A calibration file fitted with the same-claim classifier (repeatable).")
    parser.add_argument("--distractors", type=int, default=0,
                        help="Add this many CheckThat! 2020 fact-checks to the library (0: the demo library alone).")
    parser.add_argument("--thresholds", type=lambda v: [float(x) for x in v.split(",") if x], default=[],
                        help="Also report each arm from these suggest thresholds (comma-separated), besides its default.")
    parser.add_argument("--verbose", action="store_true", help="Print each sentence's shown suggestions.")
    args = parser.parse_args()
    sentences = json.loads((FIXTURES / "restatements.json").read_text())["sentences"]
    articles = sorted((FIXTURES / "offtopic").glob("*.txt"))
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/bench.db"
        upgrade(url)
        app = create_app(Settings.from_env(environ={}, database_url=url, instance_path=f"{workdir}/instance"))
        settings, engine = app.config["SETTINGS"], app.extensions["factcheck.engine"]
        embedder = embedder_for(settings)
        with session_scope(engine) as session:
            load_demo_library(session, settings=settings)
        if args.distractors:
            add_distractors(engine, settings, args.distractors)
        with session_scope(engine) as session:
            for path in articles:
                ingest_article(session, settings=settings, data={"title": path.stem, "text": path.read_text()})
        with session_scope(engine) as session:
            by_url = {f.url: f.id for f in session.exec(select(FactCheck)).all()}
            titles = {f.id: f.claim_reviewed for f in session.exec(select(FactCheck)).all()}
            claims = [c.standalone_text for c in session.exec(select(Claim).order_by(Claim.id)).all()]
            texts = [s["text"] for s in sentences] + claims
            vectors = embedder.encode(texts)
            results_of = {(name, query): shown(settings, session, fitted, reads, texts, vectors,
                                               query == "+ reported query",
                                               min([fitted.suggest, *args.thresholds]))
                          for name, fitted, reads in arms(args.two_stage)
                          for query in ("as written", "+ reported query")}
        gold = [by_url.get(s["gold"]) if s["gold"] else None for s in sentences]
        positives = sum(1 for g in gold if g)
        negatives = len(gold) - positives
        print(f"{positives} restatements, {negatives} other sentences; {len(claims)} claims in {len(articles)} "
              f"off-topic articles; library of {len(by_url)} fact-checks")
        print(f"{'arm':<62} {'suggest':>7} {'hit':>6} {'top':>6} {'other shown':>12} "
              f"{'false (others)':>15} {'off-topic shown':>16}")
        for (name, fitted, _reads), query, threshold in [
                (arm, query, threshold) for arm in arms(args.two_stage) for query in ("as written", "+ reported query")
                for threshold in sorted({arm[1].suggest, *args.thresholds})]:
            results = [[(i, p) for i, p in r if p >= threshold] for r in results_of[(name, query)]]
            name = name if query == "as written" else f"{name}; {query}"
            restated = [(g, r) for g, r in zip(gold, results) if g]
            others = [r for g, r in zip(gold, results[:len(sentences)]) if not g]
            hit = sum(any(i == g for i, _ in r) for g, r in restated) / positives
            top = sum(bool(r) and r[0][0] == g for g, r in restated) / positives
            false_restated = sum(any(i != g for i, _ in r) for g, r in restated) / positives
            false_others = sum(bool(r) for r in others) / negatives
            off_topic = sum(len(r) for r in results[len(sentences):])
            print(f"{name:<62} {threshold:>7.2f} {hit:>6.3f} {top:>6.3f} {false_restated:>12.3f} "
                  f"{false_others:>15.3f} {off_topic:>16d}")
            if args.verbose and threshold == fitted.suggest:
                for text, g, r in zip(texts, gold + [None] * len(claims), results):
                    if r and any(i != g for i, _ in r) or (g and not any(i == g for i, _ in r)):
                        print(f"   {'MISS' if g and not any(i == g for i, _ in r) else 'FALSE'} {text[:80]!r} -> "
                              + "; ".join(f"{titles[i][:50]} {p:.2f}" for i, p in r))


if __name__ == "__main__":
    main()
