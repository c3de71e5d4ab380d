"""The check-worthiness wording classifier on OpenVINO: bfloat16 against float32, same run.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python bench/wording_precision.py [--sentences 600]``

Builds (or reuses) the merged tuned MiniLM of the shipped adapter, encodes the
first N ClaimBuster sentences (``../shared/data``) with both precisions and
reports speed (53 sentences, the bench article's candidates, and throughput),
the logits' largest and typical difference, and how many sentences would
change side of the wording logit's zero.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from factcheck import lora_classifier as wording
from factcheck.checkworthiness.model import WORDING_CACHE_NAME, shipped_model
from factcheck.matching.openvino_encoder import OpenVinoEncoder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "claimbuster" / "train.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=600)
    args = parser.parse_args()
    folder = shipped_model().wording_adapter
    head = json.loads((folder / "head.json").read_text(encoding="utf-8"))
    tuned = wording.tuned_model_folder(folder, name=WORDING_CACHE_NAME)
    texts = [row["text"] for row in json.loads(DATA.read_text(encoding="utf-8"))[: args.sentences]]
    weights, bias = np.array(head["weights"]), float(head["bias"])
    logits, seconds = {}, {}
    for precision in ("f32", "bf16"):
        encoder = OpenVinoEncoder(str(tuned), precision=precision)
        encoder.encode(texts[:64], 64)  # warm-up
        started = time.perf_counter()
        encoder.encode(texts[:53], 64)
        seconds[precision] = time.perf_counter() - started
        started = time.perf_counter()
        vectors = encoder.encode(texts, 64)
        rate = len(texts) / (time.perf_counter() - started)
        logits[precision] = vectors.astype(np.float64) * head["pooled_scale"] @ weights + bias
        print(f"{precision:>4}: 53 sentences {seconds[precision] * 1000:.0f} ms; {rate:.0f} sentences/s")
    difference = np.abs(logits["f32"] - logits["bf16"])
    print(f"bf16 / f32 time for 53 sentences: {seconds['bf16'] / seconds['f32']:.2f}x")
    print(f"logit difference: max {difference.max():.4f}, 99th percentile {np.quantile(difference, 0.99):.4f}, "
          f"mean {difference.mean():.4f}; sides changed: {int(((logits['f32'] > 0) != (logits['bf16'] > 0)).sum())}"
          f" of {len(texts)}")


if __name__ == "__main__":
    main()
