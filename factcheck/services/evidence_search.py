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
relevant. The same run also scores each leg alone (BM25, dense).

``calibrate_passage_threshold`` sets the default passage "suggest" threshold
(``PASSAGE_THRESHOLD_CALIBRATION``, ``FACTCHECK_PASSAGE_THRESHOLD``) on the
re-ranker's scale. CLIMATE-FEVER's dev file is the only passage-relevance data
and also the benchmark, so nothing is fitted on it without a cross-validation
grouped by claim, and the figures it reports are the held-out ones. The
re-ranker itself is the shipped one, trained on CheckThat! fact-check pairs,
not on this file.
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
    ndcg: float  # of the full (hybrid) method, as the app ranks
    recall: float
    methods: list[str]
    stance_pairs: int
    stance_macro_f1: float | None
    stance_basis: str
    legs: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # leg -> (ndcg, recall)

    def as_dict(self) -> dict:
        return {
            "file": self.file, "claims": self.claims, "claims_ranked": self.claims_ranked, "pool": self.pool,
            f"ndcg@{self.k}": round(self.ndcg, 4), f"recall@{self.k}": round(self.recall, 4),
            "methods": self.methods, "stance_pairs": self.stance_pairs,
            "stance_macro_f1": None if self.stance_macro_f1 is None else round(self.stance_macro_f1, 4),
            "stance_basis": self.stance_basis,
            **{leg: {f"ndcg@{self.k}": round(ndcg, 4), f"recall@{self.k}": round(recall, 4)}
               for leg, (ndcg, recall) in self.legs.items()},
        }


def ndcg_at(ranked: list[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG@k."""
    dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


@dataclass(frozen=True)
class ClaimRun:
    """One claim of a CLIMATE-FEVER file searched in the scratch library, rankings as evidence ids."""

    claim_id: str
    relevant: set[str]
    full: list[tuple[str, float, float]]  # the hybrid ranking: (evidence id, re-ranker score, cosine), deduplicated
    bm25: list[str]
    dense: list[tuple[str, float]]  # the dense leg alone, with cosine similarities
    features: np.ndarray  # the re-ranker's features of every candidate, rows as ``candidates``
    candidates: list[str]


def _dedup(items: list, key=lambda item: item) -> list:
    """Keep each evidence sentence's first (best) entry: several passages may map to one sentence."""
    seen, kept = set(), []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def climate_fever_runs(path: str | Path, *, settings: Settings, k: int = 5, progress=None
                       ) -> tuple[list[climate_fever.Claim], int, list[ClaimRun]]:
    """Search every claim with a relevant sentence in a scratch library of the file's pooled evidence.

    One hybrid search per claim gives the full ranking (exactly what
    ``matching.search`` returns, before its threshold) and each leg's own list
    (fetched a little longer, ``leg_k``, so that both legs are scored on
    ``k`` distinct sentences). Returns the claims, the pool size and the runs.
    """
    from factcheck.db import make_engine, session_scope, upgrade

    say = progress or (lambda _message: None)
    claims = climate_fever.load(path)
    runs: list[ClaimRun] = []
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
                embedder = matching.embedder_for(scratch_settings)
                for claim in (claim for claim in claims if claim.relevant_ids):
                    # One at a time, as the app embeds a claim (a batch pads, which moves scores slightly).
                    vector = embedder.encode_one(claim.text)
                    run = matching.hybrid_candidates(session, settings=scratch_settings, kind=matching.KIND_PASSAGE,
                                                     text=claim.text, vector=vector,
                                                     leg_k=max(matching.POOL, 2 * k))
                    of = evidence_of_passage
                    runs.append(ClaimRun(
                        claim_id=claim.id, relevant=claim.relevant_ids,
                        full=_dedup([(of[r.candidate.object_id], r.score, r.candidate.dense) for r in run.ranked()],
                                   key=lambda p: p[0]),
                        bm25=_dedup([of[i] for i, _ in run.lexical]),
                        dense=_dedup([(of[i], score) for i, score in run.dense], key=lambda p: p[0]),
                        features=run.features, candidates=[of[c.object_id] for c in run.candidates]))
        finally:
            engine.dispose()
    return claims, len(set(evidence_of_passage.values())), runs


def evaluate_climate_fever(path: str | Path, *, settings: Settings, k: int = 5, progress=None) -> EvidenceReport:
    """Rank the pooled evidence for each claim (see the module docstring) and score the stance hints.

    nDCG and recall are of the full hybrid method; ``legs`` has each leg
    alone (BM25, dense) from the same run, as ``factcheck eval match`` reports.
    """
    say = progress or (lambda _message: None)
    claims, pool, runs = climate_fever_runs(path, settings=settings, k=k, progress=progress)

    def measure(rankings: list[list[str]]) -> tuple[float, float]:
        if not runs:
            return 0.0, 0.0
        return (float(np.mean([ndcg_at(r, run.relevant, k) for r, run in zip(rankings, runs)])),
                float(np.mean([recall_at(r, run.relevant, k) for r, run in zip(rankings, runs)])))

    ndcg, recall = measure([[evidence for evidence, *_ in run.full] for run in runs])
    legs = {"bm25": measure([run.bm25 for run in runs]),
            "dense": measure([[evidence for evidence, _ in run.dense] for run in runs])}
    say("Scoring the stance hints")
    stance_f1, basis, pairs = score_stance(path, claims, settings)
    return EvidenceReport(
        file=Path(path).name, claims=len(claims), claims_ranked=len(runs), pool=pool, k=k, ndcg=ndcg, recall=recall,
        methods=[matching.METHOD_HYBRID] if runs else [], stance_pairs=pairs, stance_macro_f1=stance_f1,
        stance_basis=basis, legs=legs)


# ------------------------------------------------- passage threshold calibration

#: Cross-validation folds of the calibration, by claim (``stance.train.fold_of``, salted).
CALIBRATION_FOLDS = 5
#: The suggest threshold keeps this share of the relevant passages the hybrid ranking puts in the top k.
CALIBRATION_KEEP = 0.9
CALIBRATION_COMMAND = "python -m factcheck.services.evidence_search calibrate FILE"


#: The shipped default passage suggest threshold (``FACTCHECK_PASSAGE_THRESHOLD``) and how it was set:
#: the output of ``python -m factcheck.services.evidence_search calibrate climate-fever.dev.jsonl`` (keep 0.9,
#: k 5, 5 folds by claim, with the cosine floor ``matching.MIN_COSINE``). Held out (``cv``), it keeps 89% of the
#: relevant passages the ranking puts in the top 5, with 4.0 suggestions per claim at precision 0.27 and
#: recall@5 0.442 — against the old default (dense ranking, cosine 0.4) 4.9 suggestions at precision 0.22
#: and recall@5 0.438. ``passage_reranker_cv``: a re-ranker trained on passages (same features, by claim)
#: reached nDCG@5 0.447 against the shipped fact-check re-ranker's 0.441, too small a gain to ship a
#: second model fitted on the benchmark file.
PASSAGE_THRESHOLD_CALIBRATION = {
    "threshold": 0.0066, "keep": 0.9, "k": 5, "claims": 225, "min_cosine": 0.4,
    "cv": {"folds": 5, "kept": 0.887, "suggestions_per_claim": 4.0, "precision": 0.2683, "recall@5": 0.4416,
           "thresholds": [0.0065, 0.0067, 0.0063, 0.0073, 0.007]},
    "no_threshold": {"kept": 1.0, "suggestions_per_claim": 5.0, "precision": 0.2427, "recall@5": 0.4915},
    "min_cosine_only": {"kept": 0.9963, "suggestions_per_claim": 4.88, "precision": 0.2477, "recall@5": 0.49},
    "old_cosine": {"threshold": 0.4, "kept": 1.0, "suggestions_per_claim": 4.9422, "precision": 0.2167,
                   "recall@5": 0.4379},
    "passage_reranker_cv": {"ndcg@5": 0.4465, "recall@5": 0.4959, "shipped_ndcg@5": 0.4406,
                            "shipped_recall@5": 0.4915},
    "provenance": {
        "data": "climate-fever.dev.jsonl",
        "data_sha256": "e3368debd1161ebea021c97cb840902dc1b69a0ac08f73898ab28070665b3d89",
        "reranker_sha256": "0dac02ede4660b56b441dfbb9cafd00732cb1787811fa9be385d299310759476",
        "embedding_model": "sentence-transformers/all-MiniLM-L6-v2", "embedding_variant": "bf16",
        "command": CALIBRATION_COMMAND,
    },
}


def threshold_keeping(scores: list[float], keep: float) -> float:
    """The highest threshold (rounded down to 0.0001) that at least ``keep`` of ``scores`` reach."""
    if not scores:
        return 0.0
    ordered = sorted(scores, reverse=True)
    return math.floor(ordered[max(math.ceil(keep * len(ordered)), 1) - 1] * 10_000) / 10_000


def _fold(claim_id: str, folds: int) -> int:
    from factcheck.stance.train import fold_of

    return fold_of(claim_id, folds, salt="passage-threshold")


def _suggested(runs: list[ClaimRun], threshold: float, k: int, floor: float) -> dict:
    """What suggesting the top ``k`` at or above ``threshold`` (and the cosine ``floor``) gives on these claims."""
    relevant_in_top = sum(1 for run in runs for evidence, *_ in run.full[:k] if evidence in run.relevant)
    shown = [[evidence for evidence, score, cosine in run.full[:k] if score >= threshold and cosine >= floor]
             for run in runs]
    relevant_shown = sum(1 for run, kept in zip(runs, shown) for evidence in kept if evidence in run.relevant)
    total_shown = sum(len(kept) for kept in shown)
    return {"kept": relevant_shown / relevant_in_top if relevant_in_top else 0.0,
            "suggestions_per_claim": total_shown / len(runs) if runs else 0.0,
            "precision": relevant_shown / total_shown if total_shown else 0.0,
            f"recall@{k}": float(np.mean([recall_at(kept, run.relevant, k) for run, kept in zip(runs, shown)]))
            if runs else 0.0}


def _passage_reranker_cv(runs: list[ClaimRun], folds: int, k: int) -> dict:
    """nDCG/recall@k of a re-ranker trained on passages, cross-validated by claim, next to the shipped one.

    The same features and model family as ``factcheck train matcher``
    (standardised L2 logistic regression), fitted on the candidates of the
    training folds' claims with their CLIMATE-FEVER labels and scored on the
    held-out claims: the question is whether passages need their own
    re-ranker, and only held-out figures can answer it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    fold_of_run = [_fold(run.claim_id, folds) for run in runs]
    ndcgs, recalls = [], []
    for fold in range(folds):
        train = [run for run, f in zip(runs, fold_of_run) if f != fold and len(run.candidates)]
        test = [run for run, f in zip(runs, fold_of_run) if f == fold]
        x = np.vstack([run.features for run in train])
        y = np.concatenate([[c in run.relevant for c in run.candidates] for run in train]).astype(int)
        scaler = StandardScaler().fit(x)
        model = LogisticRegression(C=1.0, max_iter=3000).fit(scaler.transform(x), y)
        for run in test:
            if not run.candidates:
                ndcgs.append(0.0)
                recalls.append(0.0)
                continue
            scores = model.predict_proba(scaler.transform(run.features))[:, 1]
            order = sorted(range(len(run.candidates)), key=lambda j: -scores[j])
            ranking = _dedup([run.candidates[j] for j in order])
            ndcgs.append(ndcg_at(ranking, run.relevant, k))
            recalls.append(recall_at(ranking, run.relevant, k))
    shipped = [[evidence for evidence, *_ in run.full] for run in runs]
    return {f"ndcg@{k}": round(float(np.mean(ndcgs)), 4), f"recall@{k}": round(float(np.mean(recalls)), 4),
            f"shipped_ndcg@{k}": round(float(np.mean([ndcg_at(r, run.relevant, k)
                                                      for r, run in zip(shipped, runs)])), 4),
            f"shipped_recall@{k}": round(float(np.mean([recall_at(r, run.relevant, k)
                                                        for r, run in zip(shipped, runs)])), 4)}


def reranker_sha256(reranker=None) -> str:
    """A hash of the re-ranker's parameters: the passage threshold holds only for the re-ranker it was set on."""
    import hashlib
    import json

    from factcheck.matching.rerank import shipped_reranker

    params = (reranker or shipped_reranker()).to_json()
    params.pop("provenance", None)
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode("utf-8")).hexdigest()


def calibrate_passage_threshold(path: str | Path, *, settings: Settings, k: int = 5, keep: float = CALIBRATION_KEEP,
                                folds: int = CALIBRATION_FOLDS, old_cosine: float = 0.4, progress=None) -> dict:
    """Calibrate the default passage "suggest" threshold on a CLIMATE-FEVER file, with held-out figures.

    The threshold is the highest re-ranker score that keeps ``keep`` of the
    relevant passages the hybrid ranking puts in a claim's top ``k`` (what
    the evidence panel would show with no threshold). This file is also the
    evidence benchmark, so the threshold is never judged on the claims it was
    set on: in a cross-validation grouped by claim, a threshold is set on the
    other folds' claims and measured on the held-out ones (``cv``: share of
    relevant top-k passages kept, suggestions per claim, their precision,
    recall@k). The shipped threshold is the one set on the whole file; its
    held-out behaviour is the ``cv`` figures. For comparison: what the old
    dense ranking with the cosine default kept (``old_cosine``), and whether a
    passage-specific re-ranker would rank better (``passage_reranker_cv``,
    also cross-validated by claim).

    Passages below the cosine floor (``matching.MIN_COSINE``, not fitted
    here) are never suggested, so the threshold is set on those above it.

    Caveats: re-ranker scores depend on the library (BM25 weights, score gaps
    to the best candidate); this pool is about 1,400 Wikipedia sentences on
    climate, a denser topic than most newsroom libraries. And every claim
    here has evidence in the pool, so these figures say nothing about claims
    with none: keeping unrelated passages out is the cosine floor's job.
    """
    runs = climate_fever_runs(path, settings=settings, k=k, progress=progress)[2]
    floor = matching.MIN_COSINE[matching.KIND_PASSAGE]

    def relevant_scores(subset):
        return [score for run in subset for evidence, score, cosine in run.full[:k]
                if evidence in run.relevant and cosine >= floor]

    fold_of_run = [_fold(run.claim_id, folds) for run in runs]
    per_fold = []
    for fold in range(folds):
        held_out = [run for run, f in zip(runs, fold_of_run) if f == fold]
        threshold = threshold_keeping(relevant_scores([r for r, f in zip(runs, fold_of_run) if f != fold]), keep)
        per_fold.append((threshold, len(held_out), _suggested(held_out, threshold, k, floor)))
    total = sum(n for _, n, _ in per_fold) or 1
    cv = {name: round(sum(n * figures[name] for _, n, figures in per_fold) / total, 4)
          for name in per_fold[0][2]} if per_fold else {}
    cv["thresholds"] = [t for t, _, _ in per_fold]
    old = [ClaimRun(run.claim_id, run.relevant, [(e, cosine, cosine) for e, cosine in run.dense], [], [],
                    run.features, []) for run in runs]
    embedder = matching.embedder_for(settings)
    return {
        "threshold": threshold_keeping(relevant_scores(runs), keep), "keep": keep, "k": k, "claims": len(runs),
        "min_cosine": floor,
        "cv": {"folds": folds, **cv},
        "no_threshold": {name: round(value, 4) for name, value in _suggested(runs, -1.0, k, -1.0).items()},
        "min_cosine_only": {name: round(value, 4) for name, value in _suggested(runs, -1.0, k, floor).items()},
        "old_cosine": {"threshold": old_cosine,
                       **{name: round(value, 4) for name, value in _suggested(old, old_cosine, k, -1.0).items()}},
        "passage_reranker_cv": _passage_reranker_cv(runs, folds, k),
        "provenance": {"data": Path(path).name, "data_sha256": climate_fever.file_sha256(path),
                       "reranker_sha256": reranker_sha256(), "embedding_model": embedder.model_id,
                       "embedding_variant": embedder.variant, "command": CALIBRATION_COMMAND},
    }


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


def _main(argv: list[str] | None = None) -> None:
    """``python -m factcheck.services.evidence_search calibrate FILE [--keep 0.9]``: print the calibration as JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m factcheck.services.evidence_search")
    parser.add_argument("command", choices=["calibrate"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--keep", type=float, default=CALIBRATION_KEEP)
    parser.add_argument("--folds", type=int, default=CALIBRATION_FOLDS)
    args = parser.parse_args(argv)
    result = calibrate_passage_threshold(args.file, settings=Settings.from_env(), k=args.k, keep=args.keep,
                                         folds=args.folds, progress=lambda message: print(message, flush=True))
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    _main()
