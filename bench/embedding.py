"""Embedding throughput of each variant against raw sentence-transformers fp32, and their agreement.

Run: ``.venv/bin/python bench/embedding.py [--texts 2000]``

Texts: CheckThat! verified claims (``../shared/data``) when present, else the
demo library and the bench article's sentences. In one process, with the
same texts and 2 torch threads: raw ``SentenceTransformer.encode`` in fp32
(the baseline) and the app's ``Embedder`` per variant (torch fp32/bf16, OpenVINO fp32/bf16,
the default also without length-sorted batches), plus ONNX Runtime fp32 and int8 on a graph
exported here, all taking turns for
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
from factcheck.matching.embedder import Embedder, cpu_has_bf16, openvino_available, resolve_variant  # noqa: E402

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


def unbucketed(embedder: Embedder):
    """The OpenVINO variant fed batches in the texts' own order: what length bucketing saves."""
    def encode(items: list[str]) -> np.ndarray:
        return np.concatenate([embedder.openvino.encode(items[s:s + 64], 64) for s in range(0, len(items), 64)])
    return encode


def onnxruntime_encoders(model: str, workdir: Path) -> dict:
    """ONNX Runtime on a graph exported here from the same model, fp32 and dynamically quantised int8.

    Measured for comparison only (the app runs OpenVINO): export with torch's ONNX exporter, the model's
    fast tokenizer, batches sorted by length like the app's OpenVINO encoder.
    """
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        print("onnxruntime: not installed, skipped")
        return {}
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu")

    class Pipeline(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask,
                            "token_type_ids": token_type_ids})["sentence_embedding"]

    example = st.tokenizer(["a short example", "a somewhat longer example"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32, int8 = workdir / "model.onnx", workdir / "model-int8.onnx"
    torch.onnx.export(Pipeline().eval(), tuple(example[n] for n in names), str(fp32), input_names=names,
                      output_names=["embedding"], opset_version=17, dynamo=False,
                      dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}})
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    tokenizer = st.tokenizer.backend_tokenizer
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=st.max_seq_length)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2

    def runner(path: Path):
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def encode(items: list[str]) -> np.ndarray:
            encodings = tokenizer.encode_batch(items)
            order = np.argsort([len(e.ids) for e in encodings], kind="stable")
            out = np.empty((len(items), 384), dtype=np.float32)
            for s in range(0, len(order), 64):
                rows = order[s:s + 64]
                width = max(len(encodings[i].ids) for i in rows)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros_like(ids)
                for r, i in enumerate(rows):
                    ids[r, :len(encodings[i].ids)] = encodings[i].ids
                    mask[r, :len(encodings[i].ids)] = 1
                out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                               "token_type_ids": np.zeros_like(ids)})[0]
            return out / np.linalg.norm(out, axis=1, keepdims=True)
        return encode

    return {"onnxruntime fp32": runner(fp32), "onnxruntime int8": runner(int8)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-onnxruntime", action="store_true", help="skip the ONNX Runtime comparison")
    args = parser.parse_args()
    import tempfile

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
    if openvino_available():
        variants += ["openvino-fp32"] + (["openvino-bf16"] if cpu_has_bf16() else [])
    for variant in variants:
        embedder = Embedder(model, batch_size=64, variant=variant)
        encoders[f"Embedder {variant}"] = embedder.encode
        if variant == resolve_variant("auto") and variant.startswith("openvino"):
            encoders[f"{variant}, batches not sorted by length"] = unbucketed(embedder)
    with tempfile.TemporaryDirectory() as workdir:
        if not args.no_onnxruntime:
            encoders.update(onnxruntime_encoders(model, Path(workdir)))
        rates, vectors = best_rates(encoders, items, args.rounds)
    print(f"raw sentence-transformers fp32 (batch 64): {rates['raw']:7.0f} texts/s (baseline)")
    reference = vectors["raw"]
    reference_neighbours = neighbours(reference)
    for name in encoders:
        if name == "raw":
            continue
        cosine = float(np.min(np.sum(vectors[name] * reference, axis=1)))
        overlap = float(np.mean([len(set(a) & set(b)) / 10
                                 for a, b in zip(neighbours(vectors[name]), reference_neighbours)]))
        default = " (default)" if name == f"Embedder {resolve_variant('auto')}" else ""
        print(f"{name + default:<48} {rates[name]:7.0f} texts/s = {rates[name] / rates['raw']:.2f}x raw fp32; "
              f"min cosine to fp32 {cosine:.4f}, top-10 neighbour overlap {overlap:.3f}")
    if not cpu_has_bf16():
        print("bf16 variants: skipped (no hardware bf16 on this CPU; they would be slower than fp32)")


if __name__ == "__main__":
    main()
