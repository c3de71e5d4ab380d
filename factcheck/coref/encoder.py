"""Contextual token vectors for coreference.

The encoder is the first ``LAYERS`` transformer layers of all-mpnet-base-v2
(``factcheck.coref.bundled``; ``FACTCHECK_COREF_MODEL`` names another folder).
On GAP, its middle layer's vectors separate the right antecedent from the
wrong one far better than MiniLM's (held-out F1 0.49 → ~0.76 at the same
precision), and the upper half of the model adds nothing, so it is cut off:
half the cost. Weights run in bfloat16 (this CPU has native bf16 dot
products; the resolver is trained on the same bf16 vectors it sees at run
time).

A mention's vector is the mean of its word pieces' states. Texts longer than
``MAX_PIECES`` pieces are read in overlapping chunks, and each mention takes
its vector from the chunk where it sits furthest from an edge, so every
mention is read with context on both sides: one pass per article region,
not one per pronoun.
"""
from __future__ import annotations

import os
import threading

import numpy as np

__all__ = ["LAYERS", "MAX_PIECES", "TokenEncoder", "token_encoder"]

LAYERS = 6
MAX_PIECES = 256
STRIDE = 64  # pieces shared by neighbouring chunks
_BATCH = 8

_lock = threading.Lock()
_encoder: "TokenEncoder | None" = None


class TokenEncoder:
    def __init__(self, model_path: str, layers: int = LAYERS):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        model = AutoModel.from_pretrained(model_path, dtype=torch.bfloat16)
        # Only the first `layers` layers are read; the rest would be computed for nothing.
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
        self.model = model.eval()
        self.dim = model.config.hidden_size

    def encode(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[np.ndarray]:
        """For each text, one vector per (start, end) character span: array of
        shape (len(spans[i]), dim). A span no piece covers gets zeros."""
        import torch

        encoded = self.tokenizer(texts, return_offsets_mapping=True, truncation=True, max_length=MAX_PIECES,
                                 stride=STRIDE, return_overflowing_tokens=True, padding=True,
                                 return_tensors="pt")
        offsets = encoded.pop("offset_mapping").numpy()
        owner = encoded.pop("overflow_to_sample_mapping").numpy()
        encoded.pop("token_type_ids", None)
        lengths = encoded["attention_mask"].sum(dim=1).numpy()
        # Chunks of similar length go together so little time goes on padding.
        order = np.argsort(lengths, kind="stable")
        states = [None] * len(owner)
        with torch.inference_mode():
            for start in range(0, len(order), _BATCH):
                rows = order[start : start + _BATCH]
                width = int(lengths[rows].max())
                batch = {name: value[rows, :width] for name, value in encoded.items()}
                hidden = self.model(**batch).last_hidden_state.float().numpy()
                for row, state in zip(rows, hidden):
                    states[row] = state
        chunks_of: dict[int, list[int]] = {}
        for chunk, text_index in enumerate(owner):
            chunks_of.setdefault(int(text_index), []).append(chunk)

        results = []
        for text_index, text_spans in enumerate(spans):
            vectors = np.zeros((len(text_spans), self.dim), dtype=np.float32)
            for span_index, (span_start, span_end) in enumerate(text_spans):
                best = None
                for chunk in chunks_of.get(text_index, ()):
                    starts, ends = offsets[chunk, :, 0], offsets[chunk, :, 1]
                    real = ends > starts
                    pieces = np.flatnonzero(real & (starts < span_end) & (ends > span_start))
                    if not len(pieces):
                        continue
                    real_positions = np.flatnonzero(real)
                    # How far the mention sits from the chunk's nearer edge (in pieces).
                    margin = min(pieces[0] - real_positions[0], real_positions[-1] - pieces[-1])
                    if best is None or margin > best[0]:
                        best = (margin, chunk, pieces)
                if best is not None:
                    vectors[span_index] = states[best[1]][best[2]].mean(axis=0)
            results.append(vectors)
        return results


def token_encoder() -> TokenEncoder:
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                from factcheck.coref.bundled import coref_model_path

                _encoder = TokenEncoder(coref_model_path())
    return _encoder
