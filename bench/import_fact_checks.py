"""Time to bulk-import 10,000 fact-checks (ClaimReview JSON lines) into a fresh SQLite database.

Run: ``.venv/bin/python bench/import_fact_checks.py [--count 10000]``

Goal: 10k items in <= 20 s on the project's 2-core machine. The claims are
CheckThat! verified claims when ``../shared/data`` is present (realistic
lengths), else generated sentences. Reports the whole import (parse,
validate, insert, embed with the active variant, commit) and, from the same
run, embedding alone, which is most of it.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck import create_app  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import session_scope, upgrade  # noqa: E402
from factcheck.services.imports import import_fact_checks  # noqa: E402
from factcheck.services.matching import embedder_for  # noqa: E402

CLEF = ROOT.parent / "shared" / "data" / "clef2020-t2-claim-retrieval" / "verified_claims.docs.tsv"


def claims(count: int) -> list[str]:
    if CLEF.exists():
        with open(CLEF, newline="", encoding="utf-8") as f:
            rows = [r[1] for r in list(csv.reader(f, delimiter="\t"))[1:]]
    else:
        rows = [f"Officials in district {i} said the new bridge cost {i * 7} million dollars." for i in range(count)]
    return [rows[i % len(rows)] + ("" if i < len(rows) else f" (variant {i})") for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-bench-import-"))
    path = workdir / "reviews.jsonl"
    texts = claims(args.count)
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"@type": "ClaimReview", "url": f"https://checks.example/{i}", "claimReviewed": text,
                                "datePublished": "2024-01-15", "author": {"name": "Example Checks"},
                                "reviewRating": {"alternateName": "False"}}) + "\n")
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    app = create_app(Settings.from_env(environ={}, database_url=url, instance_path=str(workdir / "instance")))
    settings = app.config["SETTINGS"]
    embedder = embedder_for(settings)
    embedder.encode(["warm up the model"])
    with session_scope(app.extensions["factcheck.engine"]) as session:
        start = time.perf_counter()
        report = import_fact_checks(session, settings=settings, path=path)
        total = time.perf_counter() - start
    start = time.perf_counter()
    embedder.encode(texts)
    encode = time.perf_counter() - start
    print(f"imported {report.added} fact-checks ({embedder.variant}) in {total:.1f} s "
          f"= {report.added / total:.0f}/s; goal 10k in <= 20 s")
    print(f"  embedding the same texts alone: {encode:.1f} s ({encode / total:.0%} of the import)")


if __name__ == "__main__":
    main()
