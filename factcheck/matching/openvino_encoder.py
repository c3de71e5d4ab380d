"""A sentence-transformers model run by OpenVINO (the ``openvino-*`` embedding variants).

The model's whole pipeline (transformer, pooling, normalisation) is converted
once from the sentence-transformers folder to an OpenVINO graph and saved, with
the model's fast tokenizer, in a cache folder keyed by the folder's content and
the OpenVINO version: a later process loads the graph without importing torch
(seconds saved at start, ~0.4 GB less memory). OpenVINO's CPU plugin runs it in
bfloat16 where the CPU computes bf16 natively (``openvino-bf16``), else in
float32. Texts are tokenised in one call, sorted by token count and batched, so
a batch pads to lengths that are close (claims run from 5 to 60 tokens).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from pathlib import Path

import numpy as np

from factcheck.config import user_cache_dir

log = logging.getLogger(__name__)

#: Bump when the saved graph's inputs or outputs change, so stale caches are not reused.
FORMAT = 1


def default_cache_dir() -> Path:
    return user_cache_dir("FACTCHECK_EMBEDDING_CACHE", "openvino")


def _folder_digest(folder: Path) -> str:
    """SHA-256 over every file of a model folder (names and bytes): the cache key of its graph."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class OpenVinoEncoder:
    """Encodes texts with an OpenVINO graph of a sentence-transformers model."""

    def __init__(self, model_path: str, *, precision: str, cache_dir: Path | None = None) -> None:
        import openvino as ov
        from tokenizers import Tokenizer

        if precision not in ("bf16", "f32"):
            raise ValueError(f"unknown OpenVINO precision {precision!r}")
        self.core = ov.Core()
        folder = Path(model_path)
        saved = None
        if folder.is_dir():
            key = hashlib.sha256(f"{FORMAT}|{ov.__version__}|{_folder_digest(folder)}".encode()).hexdigest()[:20]
            saved = (cache_dir or default_cache_dir()) / key
        if saved is not None and (saved / "meta.json").exists():
            graph = self.core.read_model(str(saved / "model.xml"))
            meta = json.loads((saved / "meta.json").read_text())
            tokenizer = Tokenizer.from_file(str(saved / "tokenizer.json"))
        else:
            graph, meta, tokenizer = self._convert(model_path)
            if saved is not None:
                self._save(saved, graph, meta, tokenizer)
        self.dim = int(meta["dim"])
        self.inputs = list(meta["inputs"])
        self.pad_id = int(meta["pad_id"])
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=int(meta["max_seq_length"]))
        self.tokenizer = tokenizer
        self.compiled = self.core.compile_model(graph, "CPU", {
            "INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"})
        self._local = threading.local()  # an infer request is not thread-safe: one per thread

    @staticmethod
    def _convert(model_path: str):
        """The model as an OpenVINO graph, with what encoding needs to know about it."""
        import openvino as ov
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_path, device="cpu")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
                 if n in model.tokenizer.model_input_names]

        class Pipeline(torch.nn.Module):
            """The sentence-transformers modules end to end: token ids in, sentence vectors out."""

            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                features = {"input_ids": input_ids, "attention_mask": attention_mask}
                if token_type_ids is not None:
                    features["token_type_ids"] = token_type_ids
                return self.model(features)["sentence_embedding"]

        example = model.tokenizer(["a short example", "and a somewhat longer example sentence"],
                                  padding=True, return_tensors="pt")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracing warns about shapes it fixes; pooling handles any length
            graph = ov.convert_model(Pipeline().eval(), example_input={n: example[n] for n in names})
        meta = {"dim": int(model.get_embedding_dimension()), "inputs": names,
                "max_seq_length": int(model.max_seq_length), "pad_id": int(model.tokenizer.pad_token_id or 0)}
        tokenizer = model.tokenizer.backend_tokenizer
        return graph, meta, tokenizer

    @staticmethod
    def _save(folder: Path, graph, meta: dict, tokenizer) -> None:
        """Save atomically (a temporary folder renamed into place); a cache that cannot be written is skipped."""
        import openvino as ov

        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            ov.save_model(graph, str(tmp / "model.xml"), compress_to_fp16=False)
            tokenizer.save(str(tmp / "tokenizer.json"))
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.replace(tmp, folder)
        except OSError as exc:
            log.warning("Could not cache the OpenVINO graph in %s (%s); it is converted again next time.",
                        folder, exc)

    def _request(self):
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        return request

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        request = self._request()
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                n = lengths[i]
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out[rows] = request.infer(feed)[0]
        return out
