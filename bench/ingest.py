"""Time to ingest an ~800-word article, and match time against the demo library.

Run: ``.venv/bin/python bench/ingest.py [--repeat 5]``

Everything runs in one process on a throw-away SQLite database: migrate,
load the demo library, then ingest ``bench/article_800.txt`` several times.
Baselines from the same run: encoding the same claim texts with raw
sentence-transformers (the irreducible model cost), and a brute-force numpy
cosine search over the same fact-check vectors.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck import create_app  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import session_scope, upgrade  # noqa: E402
from factcheck.domain.extraction import extract_claims  # noqa: E402
from factcheck.matching.index import index_for  # noqa: E402
from factcheck.models import Embedding  # noqa: E402
from factcheck.services.articles import ingest_article  # noqa: E402
from factcheck.services.library import load_demo_library  # noqa: E402
from factcheck.services.matching import embedder_for  # noqa: E402
from sqlmodel import select  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = (ROOT / "bench" / "article_800.txt").read_text()
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    app = create_app(Settings.from_env(environ={}, database_url=url, instance_path=str(workdir / "instance")))
    settings = app.config["SETTINGS"]
    engine = app.extensions["factcheck.engine"]
    embedder = embedder_for(settings)
    with session_scope(engine) as session:
        load_demo_library(session, settings=settings)
    embedder.encode(["warm up the model"])

    def ingest():
        with session_scope(engine) as session:
            return ingest_article(session, settings=settings, data={"title": "Measles", "text": text})

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
    extract_s, extracted = timed(lambda: extract_claims(text), args.repeat)
    texts = [c.standalone_text for c in extracted]
    encode_s, vectors = timed(lambda: embedder.model.encode(texts, batch_size=64, normalize_embeddings=True), args.repeat)

    with session_scope(engine) as session:
        index = index_for(session)
        query = vectors[0]
        search = lambda: index.search(session, kind="fact_check", model_id=embedder.model_id,  # noqa: E731
                                      variant=embedder.variant, query=query, k=5)
        search()  # fill the cache
        match_s, hits = timed(search, max(args.repeat, 50))

        def fresh_search():
            session.rollback()  # a new transaction: the freshness check runs again
            return search()

        fresh_s, _ = timed(fresh_search, max(args.repeat, 50))
        matrix = np.stack([np.asarray(v) for v in session.exec(
            select(Embedding.vector).where(Embedding.kind == "fact_check")).all()])
        brute_s, _ = timed(lambda: np.argsort(-(matrix @ query))[:5], max(args.repeat, 50))

    words = len(text.split())
    print(f"article: {words} words, {len(claims)} claims kept of {len(texts)} extracted")
    print(f"ingest (extract + embed + match + store), median of {args.repeat}: {ingest_s * 1000:.0f} ms")
    print(f"  extraction alone: {extract_s * 1000:.1f} ms")
    print(f"  baseline raw sentence-transformers encode of the same {len(texts)} claims: {encode_s * 1000:.0f} ms")
    print(f"  ratio ingest / raw encode: {ingest_s / encode_s:.2f}x")
    typed_s, untyped_s = statistics.median(with_parser), statistics.median(without_parser)
    print(f"  claim types with the parser: {typed_s * 1000:.0f} ms vs features only {untyped_s * 1000:.0f} ms "
          f"(interleaved, median of {args.repeat}; ratio {typed_s / untyped_s:.2f}x)")
    print(f"match one claim against the demo library ({matrix.shape[0]} fact-checks):")
    print(f"  brute-force numpy baseline: {brute_s * 1e6:.0f} us")
    print(f"  index search within a transaction: {match_s * 1e6:.0f} us (ratio {match_s / brute_s:.1f}x)")
    print(f"  first search of a transaction (checks the database for new vectors): {fresh_s * 1e6:.0f} us "
          f"(ratio {fresh_s / brute_s:.1f}x)")


if __name__ == "__main__":
    main()
