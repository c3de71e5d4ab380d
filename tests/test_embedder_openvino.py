"""The OpenVINO embedding variants: vectors that agree with the model's fp32 ones, and a graph converted once."""
from __future__ import annotations

import numpy as np
import pytest

from factcheck.config import Settings
from factcheck.matching import openvino_encoder
from factcheck.matching.embedder import Embedder, cpu_has_bf16, get_embedder, resolve_variant

TEXTS = [
    "Covid-19 is being spread by the new 5G phone masts.",
    "Inflation in Britain went above 11 percent in autumn 2022.",
    "Measles vaccination has prevented an estimated 56 million deaths between 2000 and 2021, the WHO says.",
    "Taxes went up.",
    "",
]


@pytest.fixture(scope="module")
def model() -> str:
    return Settings.from_env(environ={}).embedding_model


def test_auto_picks_openvino(model):
    assert resolve_variant("auto") == ("openvino-bf16" if cpu_has_bf16() else "openvino-fp32")
    with pytest.raises(ValueError):
        resolve_variant("openvino-int4")


@pytest.mark.parametrize("variant", ["openvino-fp32", "openvino-bf16"])
def test_openvino_vectors_agree_with_fp32(model, variant):
    if variant == "openvino-bf16" and not cpu_has_bf16():
        pytest.skip("no hardware bf16 on this CPU")
    reference = get_embedder(model, 64, "fp32").encode(TEXTS)
    vectors = get_embedder(model, 64, variant).encode(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(vectors * reference, axis=1)
    assert cosines.min() >= (0.9999 if variant == "openvino-fp32" else 0.99), cosines
    # Batching by length gives each text the vector it gets alone.
    alone = np.stack([get_embedder(model, 64, variant).encode([t])[0] for t in TEXTS])
    assert np.sum(alone * vectors, axis=1).min() >= 0.999


def test_a_second_process_loads_the_cached_graph_without_converting(model, monkeypatch):
    first = Embedder(model, variant="openvino-fp32")
    expected = first.encode(TEXTS[:2])  # converts, or finds the graph already cached
    folder = openvino_encoder.default_cache_dir()
    assert any((entry / "meta.json").exists() for entry in folder.iterdir())

    def no_conversion(*_args, **_kwargs):
        raise AssertionError("the cached graph should have been used")

    monkeypatch.setattr(openvino_encoder.OpenVinoEncoder, "_convert", staticmethod(no_conversion))
    again = Embedder(model, variant="openvino-fp32")
    np.testing.assert_allclose(again.encode(TEXTS[:2]), expected, atol=1e-6)
    assert again.dim == expected.shape[1]
