"""Evidence for a claim from the source library, and a benchmark of how well it is found.

``suggestions_for`` ranks passages for a claim with the same hybrid search as
earlier fact-checks (``services.matching``), marks the sentence of each
passage closest to the claim, and adds a stance hint. It searches afresh on
every call, so a document added after the claim is found too; passages a
checker rejected for this claim are left out.

``evaluate_climate_fever`` measures that ranking on CLIMATE-FEVER: every
evidence sentence of the file goes into a scratch library (through
``library.add_source``, as an upload would), each claim is searched with
``services.matching``, and its own SUPPORTS/REFUTES sentences count as
relevant.
"""
from __future__ import annotations

import dataclasses
import math
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.extraction import split_sentences
from factcheck.models import Claim, Match, Passage, SourceDocument
from factcheck.services import library, matching
from factcheck.stance import climate_fever
from factcheck.stance.model import StanceHint, StanceModel, model_for


@dataclass(frozen=True)
class EvidenceSuggestion:
    passage: Passage
    source: SourceDocument
    score: float
    # The passage cut around its sentence closest to the claim: before + best + after == passage.text
    before: str
    best: str
    after: str
    hint: StanceHint | None


def stance_model(settings: Settings) -> StanceModel | None:
    return model_for(settings, matching.embedder_for(settings).model_id)


def suggestions_for(session: Session, *, settings: Settings, claim: Claim, k: int | None = None
                    ) -> list[EvidenceSuggestion]:
    """The best passages for ``claim``, best first, each with its closest sentence and a stance hint."""
    k = k or settings.match_top_k
    rejected = set(session.exec(select(Match.passage_id).where(
        Match.claim_id == claim.id, Match.kind == matching.KIND_PASSAGE, Match.status == "rejected")).all())
    embedder = matching.embedder_for(settings)
    claim_vector = embedder.encode_one(claim.standalone_text)
    hits = matching.search(session, settings=settings, vector=claim_vector, text=claim.standalone_text,
                           kind=matching.KIND_PASSAGE, k=k + len(rejected))
    hits = [hit for hit in hits if hit.object_id not in rejected][:k]
    if not hits:
        return []
    passages = {p.id: p for p in session.exec(select(Passage).where(Passage.id.in_([h.object_id for h in hits])))}
    sources = {s.id: s for s in session.exec(
        select(SourceDocument).where(SourceDocument.id.in_({p.source_id for p in passages.values()})))}
    hits = [hit for hit in hits if hit.object_id in passages]
    best = _best_sentences(embedder, claim_vector, [passages[hit.object_id].text for hit in hits])
    model = stance_model(settings)
    hints: list[StanceHint | None] = [None] * len(hits)
    if model is not None:
        best_texts = [passages[hit.object_id].text[s:e] for hit, ((s, e), _) in zip(hits, best)]
        hints = model.hints(np.repeat(claim_vector[None, :], len(hits), axis=0),
                            np.stack([vector for _span, vector in best]),
                            [claim.standalone_text] * len(hits), best_texts)
    suggestions = []
    for hit, ((start, end), _vector), hint in zip(hits, best, hints):
        passage = passages[hit.object_id]
        suggestions.append(EvidenceSuggestion(
            passage=passage, source=sources[passage.source_id], score=hit.score,
            before=passage.text[:start], best=passage.text[start:end], after=passage.text[end:], hint=hint))
    return suggestions


def _best_sentences(embedder, claim_vector: np.ndarray, texts: list[str]
                    ) -> list[tuple[tuple[int, int], np.ndarray]]:
    """For each passage, the span of its sentence most similar to the claim, and that sentence's vector."""
    spans = [[(s.start, s.end) for s in split_sentences(text)] or [(0, len(text))] for text in texts]
    sentences = [text[s:e] for text, text_spans in zip(texts, spans) for s, e in text_spans]
    vectors = embedder.encode(sentences)
    result, offset = [], 0
    for text_spans in spans:
        block = vectors[offset:offset + len(text_spans)]
        best = int(np.argmax(block @ claim_vector))
        result.append((text_spans[best], block[best]))
        offset += len(text_spans)
    return result


# ----------------------------------------------------------------- benchmark


@dataclass
class EvidenceReport:
    file: str
    claims: int  # claims in the file
    claims_ranked: int  # those with at least one SUPPORTS or REFUTES sentence
    pool: int  # distinct evidence sentences searched
    k: int
    ndcg: float
    recall: float
    methods: list[str]
    stance_pairs: int
    stance_macro_f1: float | None
    stance_basis: str

    def as_dict(self) -> dict:
        return {
            "file": self.file, "claims": self.claims, "claims_ranked": self.claims_ranked, "pool": self.pool,
            f"ndcg@{self.k}": round(self.ndcg, 4), f"recall@{self.k}": round(self.recall, 4),
            "methods": self.methods, "stance_pairs": self.stance_pairs,
            "stance_macro_f1": None if self.stance_macro_f1 is None else round(self.stance_macro_f1, 4),
            "stance_basis": self.stance_basis,
        }


def ndcg_at(ranked: list[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG@k."""
    dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def evaluate_climate_fever(path: str | Path, *, settings: Settings, k: int = 5, progress=None) -> EvidenceReport:
    """Rank the pooled evidence for each claim (see the module docstring) and score the stance hints."""
    from factcheck.db import make_engine, session_scope, upgrade

    say = progress or (lambda _message: None)
    claims = climate_fever.load(path)
    with tempfile.TemporaryDirectory(prefix="factcheck-eval-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'evidence.db'}"
        upgrade(url)
        engine = make_engine(url)
        scratch_settings = dataclasses.replace(settings, database_url=url, instance_path=scratch)
        try:
            with session_scope(engine) as session:
                say("Adding the pooled evidence to a scratch library")
                evidence_of_passage = _load_pool(session, scratch_settings, claims)
                say("Ranking the pool for each claim")
                ranked_claims, ndcgs, recalls, methods = 0, [], [], set()
                for claim in claims:
                    relevant = claim.relevant_ids
                    if not relevant:
                        continue
                    hits = matching.search_text(session, settings=scratch_settings, text=claim.text,
                                                kind=matching.KIND_PASSAGE, k=2 * k, threshold=-1.0)
                    methods.update(hit.method for hit in hits)
                    ranked = list(dict.fromkeys(evidence_of_passage[hit.object_id] for hit in hits))
                    ndcgs.append(ndcg_at(ranked, relevant, k))
                    recalls.append(recall_at(ranked, relevant, k))
                    ranked_claims += 1
        finally:
            engine.dispose()
    say("Scoring the stance hints")
    stance_f1, basis, pairs = score_stance(path, claims, settings)
    return EvidenceReport(
        file=Path(path).name, claims=len(claims), claims_ranked=ranked_claims, pool=len(set(evidence_of_passage.values())),
        k=k, ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0, recall=float(np.mean(recalls)) if recalls else 0.0,
        methods=sorted(methods), stance_pairs=pairs, stance_macro_f1=stance_f1, stance_basis=basis)


def _load_pool(session: Session, settings: Settings, claims: list[climate_fever.Claim]) -> dict[int, str]:
    """One source document per Wikipedia article, one paragraph per evidence sentence; passage id -> evidence id."""
    sentences: dict[str, dict[str, str]] = defaultdict(dict)
    for claim in claims:
        for evidence in claim.evidences:
            sentences[evidence.article][evidence.id] = " ".join(evidence.text.split())
    evidence_of_passage: dict[int, str] = {}
    for article, by_id in sentences.items():
        ids = sorted(by_id, key=_sentence_index)
        text = "\n\n".join(by_id[i] for i in ids)
        starts, position = [], 0
        for evidence_id in ids:
            starts.append((position, evidence_id))
            position += len(by_id[evidence_id]) + 2
        source = library.add_source(session, settings=settings, data={"title": article, "text": text})
        for passage in library.passages_of(session, source.id):
            evidence_of_passage[passage.id] = max(s for s in starts if s[0] <= passage.span_start)[1]
    return evidence_of_passage


def _sentence_index(evidence_id: str) -> tuple[int, str]:
    tail = evidence_id.rsplit(":", 1)[-1]
    return (int(tail), evidence_id) if tail.isdigit() else (0, evidence_id)


def score_stance(path, claims: list[climate_fever.Claim], settings: Settings) -> tuple[float | None, str, int]:
    """Macro-F1 of the stance hints on every pair of the file, never with a model trained on that file."""
    from factcheck.stance import train

    model = stance_model(settings)
    if model is None:
        return None, "no stance model for the configured embedding model", 0
    embedder = matching.embedder_for(settings)
    features, labels, groups = train.featurize(claims, embedder)
    if model.provenance.get("data_sha256") == climate_fever.file_sha256(path):
        cv = model.cv
        predicted, _ = train.cross_validated_predictions(features, labels, groups, folds=cv.get("folds", train.FOLDS),
                                                         fold_c=cv.get("fold_c"))
        basis = "cross-validated (the shipped model was trained on this file)"
    else:
        predicted = model.predict_proba(features).argmax(axis=1)
        basis = "shipped model"
    return train.macro_f1(labels, predicted), basis, len(labels)
