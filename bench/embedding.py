"""Embedding throughput of each variant against raw sentence-transformers fp32, and their agreement.

Run: ``.venv/bin/python bench/embedding.py [--texts 2000]``

Texts: CheckThat! verified claims (``../shared/data``) when present, else the
demo library and the bench article's sentences. In one process, with the
same texts and 2 torch threads: raw ``SentenceTransformer.encode`` in fp32
(the baseline) and the app's ``Embedder`` per variant, taking turns for
``--rounds`` rounds (best of each), so load from other processes evens out. Agreement with fp32:
the minimum cosine between a text's two vectors, and the mean overlap of
each text's 10 nearest neighbours among all texts.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.config import Settings  # noqa: E402
from factcheck.matching.embedder import Embedder, cpu_has_bf16, resolve_variant  # noqa: E402

CLEF = ROOT.parent / "shared" / "data" / "clef2020-t2-claim-retrieval" / "verified_claims.docs.tsv"


def texts(n: int) -> list[str]:
    if CLEF.exists():
        with open(CLEF, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t"))[1:]
        return [r[1] for r in rows[:n]]
    demo = json.loads((ROOT / "factcheck" / "data" / "demo_library.json").read_text())
    pool = [f["claim_reviewed"] for f in demo["fact_checks"]]
    pool += [s.strip() for s in (ROOT / "bench" / "article_800.txt").read_text().split(".") if len(s.split()) > 4]
    return [f"{pool[i % len(pool)]} ({i})" for i in range(n)]


def best_rates(encoders: dict, items: list[str], rounds: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Texts/s of each encoder, best of ``rounds``; the encoders take turns so that load from other
    processes on the machine hits them alike."""
    for encode in encoders.values():
        encode(items[:64])  # warm up
    best = dict.fromkeys(encoders, float("inf"))
    vectors = {}
    for _ in range(rounds):
        for name, encode in encoders.items():
            start = time.perf_counter()
            vectors[name] = np.asarray(encode(items), dtype=np.float32)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: len(items) / seconds for name, seconds in best.items()}, vectors


def neighbours(vectors: np.ndarray, k: int = 10) -> np.ndarray:
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    return np.argsort(-scores, axis=1)[:, :k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = Settings.from_env(environ={}).embedding_model
    items = texts(args.texts)
    print(f"{len(items)} texts, mean {np.mean([len(t.split()) for t in items]):.0f} words; "
          f"CPU bf16: {cpu_has_bf16()}; 'auto' resolves to {resolve_variant('auto')}")
    raw = SentenceTransformer(model, device="cpu")
    encoders = {"raw": lambda x: raw.encode(x, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)}
    variants = ["fp32", "bf16"] if cpu_has_bf16() else ["fp32"]
    for variant in variants:
        encoders[variant] = Embedder(model, batch_size=64, variant=variant).encode
    rates, vectors = best_rates(encoders, items, args.rounds)
    print(f"raw sentence-transformers fp32: {rates['raw']:7.0f} texts/s (baseline)")
    reference = vectors["raw"]
    reference_neighbours = neighbours(reference)
    for variant in variants:
        cosine = float(np.min(np.sum(vectors[variant] * reference, axis=1)))
        overlap = float(np.mean([len(set(a) & set(b)) / 10
                                 for a, b in zip(neighbours(vectors[variant]), reference_neighbours)]))
        print(f"Embedder {variant}: {rates[variant]:7.0f} texts/s = {rates[variant] / rates['raw']:.2f}x raw fp32; "
              f"min cosine to fp32 {cosine:.4f}, top-10 neighbour overlap {overlap:.3f}")
    if not cpu_has_bf16():
        print("bf16: skipped (no hardware bf16 on this CPU; it would be slower than fp32)")


if __name__ == "__main__":
    main()
