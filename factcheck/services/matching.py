"""Embed texts and match claims against earlier fact-checks and source passages.

Both libraries — earlier fact-checks and source passages — are matched with
the hybrid method (``hybrid-v1``): a dense leg (the vector index) and a
lexical leg (BM25) each propose candidates, and a trained re-ranker scores
their union with features of both (``factcheck.matching.rerank``). Its score
is the probability that a candidate states the same claim. Passages use the
same re-ranker, trained on fact-check pairs (CheckThat! 2020): on
CLIMATE-FEVER it ranks evidence better than either leg alone (nDCG@5 0.441
against 0.388 dense, 0.387 BM25), and a passage-specific re-ranker,
cross-validated by claim on that file, gained only 0.006 nDCG@5
(``evidence_search.PASSAGE_THRESHOLD_CALIBRATION``). A passage is evidence about
a claim rather than the same claim, so its scores are lower, and passages have
their own suggest threshold, calibrated on that scale, plus a cosine floor
(``MIN_COSINE``) that keeps passages on another subject out. Each library's
thresholds (``match_settings``) decide what is suggested and what is linked
automatically.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, delete, select

from factcheck.config import Settings
from factcheck.domain.errors import NotFound, ValidationFailed
from factcheck.matching import calibration
from factcheck.matching.calibration import METHOD_CALIBRATED
from factcheck.matching.embedder import Embedder, get_embedder
from factcheck.matching.index import IndexOptions, index_for
from factcheck.matching.lexical import LexicalIndex, words
from factcheck.domain.library_kinds import (  # noqa: F401 (re-exported: callers name kinds through here too)
    KIND_CLAIM,
    KIND_FACT_CHECK,
    KIND_PASSAGE,
    LIBRARIES,
    METHOD_DENSE,
    METHOD_HYBRID,
)
from factcheck.matching.rerank import (
    Candidate,
    QueryFeatures,
    features,
    features_many,
    shipped_reranker,
)
from factcheck.models import (
    Claim,
    Embedding,
    FactCheck,
    Match,
    MatchSetting,
    Passage,
    SourceDocument,
    User,
    utcnow,
)
from factcheck.services import claim_facts, events, versions
from factcheck.services.match_settings import library_settings

log = logging.getLogger(__name__)

#: Libraries matched with the hybrid method (see ``search``).
HYBRID_LIBRARIES = (KIND_FACT_CHECK, KIND_PASSAGE)
#: Libraries whose scores are calibrated probabilities (``matching.calibration``); passages keep the
#: re-ranker's score, with a threshold calibrated on CLIMATE-FEVER (``evidence_search``).
CALIBRATED_LIBRARIES = (KIND_FACT_CHECK,)

#: A passage less similar than this to the claim (cosine) is never suggested, whatever its re-ranker score.
#: Several re-ranker features are relative to the other candidates (gap to the best cosine, ranks), so
#: in a small library the best of a few unrelated passages still scores like evidence: in the demo
#: library "Our bakery sells sourdough bread every Saturday morning." reaches 0.013 and "The new stadium
#: will open next spring." 0.05 with cosines below 0.1, above the calibrated suggest threshold. Fact-checks
#: need no such floor: their threshold (0.5) is far above what relative features alone can reach. 0.4 was
#: the dense-only default; on CLIMATE-FEVER 99.6% of the relevant passages in the hybrid top 5 reach it.
MIN_COSINE = {KIND_PASSAGE: 0.4}
#: Candidates each leg proposes to the re-ranker (the re-ranker was trained with this many).
POOL = 50
#: Claims shorter than this many words are only ever suggested, never linked automatically:
#: short texts ("Taxes went up.") match too many different claims.
MIN_WORDS_TO_AUTO_LINK = 8

_lexical_indexes: dict[str, LexicalIndex] = {}
_lexical_lock = threading.Lock()


def lexical_index(settings: Settings) -> LexicalIndex:
    """The process's BM25 leg, saving its postings beside the HNSW graphs in the instance folder."""
    options = IndexOptions.from_env(settings.instance_path)
    with _lexical_lock:
        index = _lexical_indexes.get(options.folder)
        if index is None:
            index = _lexical_indexes[options.folder] = LexicalIndex(options.folder or None)
        return index


def embedder_for(settings: Settings) -> Embedder:
    return get_embedder(settings.embedding_model, settings.embedding_batch_size, settings.embedding_variant)


def vector_index(session: Session, settings: Settings):
    """The vector index for the session's database, with HNSW graphs kept in the instance folder."""
    return index_for(session, IndexOptions.from_env(settings.instance_path))


def store_embeddings(session: Session, *, embedder: Embedder, kind: str, ids: list[int],
                     vectors: np.ndarray) -> None:
    """Add (or replace) vectors for objects; the caller commits."""
    if not ids:
        return
    session.exec(
        delete(Embedding).where(
            Embedding.kind == kind, Embedding.object_id.in_(ids),
            Embedding.model_id == embedder.model_id, Embedding.variant == embedder.variant,
        )
    )
    reduced: list = [None] * len(ids)
    if kind in LIBRARIES and session.get_bind().dialect.name == "postgresql":
        # A library with a projection (PostgreSQL's reduced HNSW index) gets every new vector projected.
        # The index keeps a found projection for the process's life: no query per stored batch.
        projection = index_for(session).projection(session, kind=kind, model_id=embedder.model_id,
                                                   variant=embedder.variant)
        if projection is not None and projection.components.shape[0] == vectors.shape[1]:
            reduced = list(projection.project(vectors))
    session.add_all([Embedding(kind=kind, object_id=object_id, model_id=embedder.model_id,
                               variant=embedder.variant, dim=int(vector.shape[0]), vector=vector,
                               reduced=projected)
                     for object_id, vector, projected in zip(ids, vectors, reduced)])


def embed_and_store(session: Session, *, settings: Settings, kind: str,
                    items: list[tuple[int, str]], show_progress: bool = False) -> np.ndarray:
    embedder = embedder_for(settings)
    vectors = embedder.encode([text for _, text in items], show_progress=show_progress)
    store_embeddings(session, embedder=embedder, kind=kind, ids=[i for i, _ in items], vectors=vectors)
    return vectors


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def library_texts(session: Session, kind: str, object_ids: list[int]) -> dict[int, tuple[str, str]]:
    """For each object: (text the re-ranker compares, text BM25 indexes).

    A fact-check is compared by the claim it reviewed (what the dense leg
    embeds) but found lexically also by its summary, which names the people,
    places and numbers the claim is about.
    """
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(list(object_ids)):
        if kind == KIND_FACT_CHECK:
            rows = session.exec(select(FactCheck.id, FactCheck.claim_reviewed, FactCheck.summary)
                                .where(FactCheck.id.in_(chunk))).all()
            found.update((i, (claim, f"{claim}\n{summary}")) for i, claim, summary in rows)
        elif kind == KIND_PASSAGE:
            rows = session.exec(select(Passage.id, Passage.text).where(Passage.id.in_(chunk))).all()
            found.update((i, (text, text)) for i, text in rows)
        elif kind == KIND_CLAIM:
            rows = session.exec(select(Claim.id, Claim.standalone_text).where(Claim.id.in_(chunk))).all()
            found.update((i, (text, text)) for i, text in rows)
        else:
            raise ValidationFailed(f"Only fact-checks and passages are searched, not {kind!r}.", {"kind": "unknown"})
    return found


def _lexical_texts(kind: str):
    return lambda session, ids: {i: texts[1] for i, texts in library_texts(session, kind, ids).items()}


@dataclass(frozen=True)
class Suggestion:
    kind: str
    object_id: int
    score: float
    method: str = METHOD_DENSE
    # Scored on what the claim reports rather than on its wording ("X told … that [Y]"): a suggestion
    # only, never linked automatically, since the wording as written did not reach that score.
    reported: bool = False


@dataclass(frozen=True)
class Ranked:
    """One candidate of a hybrid search, with the re-ranker's score."""

    candidate: Candidate
    score: float
    features: np.ndarray | None = None  # the candidate's re-ranker features (rerank.FEATURES order)


@dataclass(frozen=True)
class HybridCandidates:
    """Everything one hybrid search saw: both legs' lists and the union the re-ranker scores."""

    dense: list[tuple[int, float]]
    lexical: list[tuple[int, float]]
    candidates: list[Candidate]
    features: np.ndarray  # one row per candidate, columns as rerank.FEATURES

    def ranked(self, reranker=None) -> list[Ranked]:
        scores = (reranker or shipped_reranker()).score(self.features)
        order = sorted(range(len(self.candidates)), key=lambda j: (-scores[j], self.candidates[j].object_id))
        return [Ranked(self.candidates[j], float(scores[j]), self.features[j]) for j in order]


def hybrid_candidates(session: Session, *, settings: Settings, kind: str, text: str, vector: np.ndarray,
                      pool: int = POOL, leg_k: int | None = None,
                      exclude: frozenset[int] | set[int] = frozenset()) -> HybridCandidates:
    """Both legs, and the features of the union of their top ``pool`` candidates.

    ``leg_k`` (>= pool) fetches longer leg lists, for evaluating each leg alone
    from the same run; the re-ranker still sees only the top ``pool`` of each.
    ``exclude``: object ids searched as if they were not in the library (a
    claim's own published check; the gold fact-checks of an open-set
    evaluation). Each leg lists what follows them, so ranks and gaps are those
    of a library without them (BM25's document frequencies still count them:
    one document in the library's size).
    """
    embedder = embedder_for(settings)
    names = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant)
    leg_k = max(leg_k or pool, pool)
    dense = [(h.object_id, h.score) for h in vector_index(session, settings).search(
        session, query=vector, k=leg_k + len(exclude), **names) if h.object_id not in exclude][:leg_k]
    lexical = [(i, score) for i, score in lexical_index(settings).search(
        session, text=text, k=leg_k + len(exclude), texts=_lexical_texts(kind), **names)
        if i not in exclude][:leg_k]
    dense_rank = {object_id: rank for rank, (object_id, _) in enumerate(dense[:pool])}
    lexical_rank = {object_id: rank for rank, (object_id, _) in enumerate(lexical[:pool])}
    lexical_score = dict(lexical[:pool])
    ids = list(dict.fromkeys([i for i, _ in dense[:pool]] + [i for i, _ in lexical[:pool]]))
    texts = library_texts(session, kind, ids) if ids else {}
    cosine = _cosines(session, ids=ids, vector=vector, **names) if ids else {}
    candidates = [Candidate(i, texts[i][0], cosine[i], dense_rank.get(i), lexical_score.get(i, 0.0),
                            lexical_rank.get(i)) for i in ids if i in texts and i in cosine]
    return HybridCandidates(dense, lexical, candidates, features(QueryFeatures(text), candidates))


def _cosines(session: Session, *, ids: list[int], vector: np.ndarray, kind: str, model_id: str,
             variant: str) -> dict[int, float]:
    """Cosine of the query with each object's stored vector (lexical-only candidates have no dense score yet)."""
    query = np.asarray(vector, dtype=np.float32)
    found: dict[int, float] = {}
    for chunk in _chunks(ids):
        rows = session.exec(select(Embedding.object_id, Embedding.vector).where(
            Embedding.kind == kind, Embedding.model_id == model_id, Embedding.variant == variant,
            Embedding.object_id.in_(chunk))).all()
        found.update((object_id, float(np.dot(np.asarray(stored, dtype=np.float32), query)))
                     for object_id, stored in rows)
    return found


def _ids_in(session: Session, column, ids: list[int]):
    """``column IN ids`` as one statement parameter whatever the number of ids (a JSON or array value),
    so a batched search sends the same statements for 5 claims as for 500."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import BigInteger, any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(ids), ARRAY(BigInteger)))
    from sqlalchemy import literal_column

    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(list(ids)))))


def hybrid_candidates_many(session: Session, *, settings: Settings, kind: str, texts: list[str],
                           vectors: np.ndarray, pool: int = POOL,
                           excludes: list[frozenset[int]] | None = None) -> list[HybridCandidates]:
    """``hybrid_candidates`` for many queries (an article's claims) at once, with the same results.

    One batched vector search, one lexical pass, one read of the candidates' texts and one of
    their vectors for the union of all queries' candidates, and the re-ranking features of every
    (query, candidate) pair computed together: the statements sent do not grow with the number of
    queries.
    """
    if not texts:
        return []
    embedder = embedder_for(settings)
    names = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant)
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    # ``excludes``: per query, object ids searched as if not in the library (see ``hybrid_candidates``).
    excludes = excludes or [frozenset()] * len(texts)
    extra = max((len(e) for e in excludes), default=0)
    dense_lists = [[(h.object_id, h.score) for h in hits if h.object_id not in excluded][:pool]
                   for hits, excluded in zip(vector_index(session, settings).search_many(
                       session, queries=vectors, k=pool + extra, **names), excludes)]
    lexical_lists = [[(i, score) for i, score in hits if i not in excluded][:pool]
                     for hits, excluded in zip(lexical_index(settings).search_many(
                         session, queries=list(texts), k=pool + extra, texts=_lexical_texts(kind), **names),
                         excludes)]
    id_lists = [list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical]))
                for dense, lexical in zip(dense_lists, lexical_lists)]
    union = sorted({i for ids in id_lists for i in ids})
    library = _library_texts_in(session, kind, union) if union else {}
    stored = _stored_vectors(session, ids=union, **names) if union else {}
    columns = {object_id: j for j, object_id in enumerate(stored)}
    cosines = vectors @ np.stack(list(stored.values())).T if stored else np.zeros((len(texts), 0), np.float32)
    candidate_lists = []
    for n, (dense, lexical, ids) in enumerate(zip(dense_lists, lexical_lists, id_lists)):
        dense_rank = {object_id: rank for rank, (object_id, _) in enumerate(dense)}
        lexical_rank = {object_id: rank for rank, (object_id, _) in enumerate(lexical)}
        lexical_score = dict(lexical)
        candidate_lists.append([
            Candidate(i, library[i][0], float(cosines[n, columns[i]]), dense_rank.get(i), lexical_score.get(i, 0.0),
                      lexical_rank.get(i)) for i in ids if i in library and i in columns])
    matrices = features_many([QueryFeatures(t) for t in texts], candidate_lists)
    return [HybridCandidates(dense, lexical, candidates, x)
            for dense, lexical, candidates, x in zip(dense_lists, lexical_lists, candidate_lists, matrices)]


def _library_texts_in(session: Session, kind: str, object_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``library_texts`` in one statement."""
    if kind == KIND_FACT_CHECK:
        rows = session.exec(select(FactCheck.id, FactCheck.claim_reviewed, FactCheck.summary)
                            .where(_ids_in(session, FactCheck.id, object_ids))).all()
        return {i: (claim, f"{claim}\n{summary}") for i, claim, summary in rows}
    if kind == KIND_PASSAGE:
        rows = session.exec(select(Passage.id, Passage.text).where(_ids_in(session, Passage.id, object_ids))).all()
        return {i: (text, text) for i, text in rows}
    raise ValidationFailed(f"Only fact-checks and passages are searched, not {kind!r}.", {"kind": "unknown"})


def _stored_vectors(session: Session, *, ids: list[int], kind: str, model_id: str,
                    variant: str) -> dict[int, np.ndarray]:
    """Each object's stored vector of the active model and variant, in one statement."""
    rows = session.exec(select(Embedding.object_id, Embedding.vector).where(
        Embedding.kind == kind, Embedding.model_id == model_id, Embedding.variant == variant,
        _ids_in(session, Embedding.object_id, ids))).all()
    return {object_id: np.asarray(vector, dtype=np.float32) for object_id, vector in rows}


def _suggestions(kind: str, text: str, ranked: list[Ranked], *, k: int, threshold: float,
                 scores: list[tuple[float, str]] | None = None, classify: bool = True) -> list[Suggestion]:
    """Of the top ``k`` re-ranked candidates of the claim ``text``, those shown: on the library's scale
    (``scores_of``; ``scores`` when already computed) at or above ``threshold``, and a passage at or above
    its cosine floor."""
    floor = MIN_COSINE.get(kind, -1.0)
    shown = []
    scores = scores if scores is not None else scores_of(kind, [(text, ranked[:k])], classify=classify)[0]
    for r, (score, method) in zip(ranked[:k], scores):
        if score >= threshold and r.candidate.dense >= floor:
            shown.append(Suggestion(kind, r.candidate.object_id, round(score, 4), method))
    return shown


def search(session: Session, *, settings: Settings, vector: np.ndarray, kind: str,
           k: int | None = None, threshold: float | None = None, text: str | None = None,
           exclude: frozenset[int] | set[int] = frozenset(), classify: bool = True) -> list[Suggestion]:
    """The best library objects for a claim, best first.

    Given ``text`` (the claim's wording), both libraries are searched with the
    hybrid method (``hybrid_candidates``, ranked by the re-ranker) and each
    result is scored on its library's scale (``scores_of``): for fact-checks
    the calibrated probability of "same claim", for passages the re-ranker's
    score. The default threshold is the library's "suggest" threshold, on that
    scale, and a passage must also reach ``MIN_COSINE``. Without ``text`` only
    the dense leg can run: scores are cosine similarities, on which the
    library thresholds mean nothing, so the default is no threshold (the top ``k``).
    """
    k = k or settings.match_top_k
    if text is None or kind not in HYBRID_LIBRARIES:
        embedder = embedder_for(settings)
        hits = vector_index(session, settings).search(
            session, kind=kind, model_id=embedder.model_id, variant=embedder.variant,
            query=vector, k=k, min_score=-1.0 if threshold is None else threshold)
        return [Suggestion(kind, h.object_id, round(h.score, 4)) for h in hits]
    if threshold is None:
        threshold = library_settings(session, settings=settings, library=kind).suggest_threshold
    ranked = hybrid_candidates(session, settings=settings, kind=kind, text=text, vector=vector,
                               exclude=exclude).ranked()
    return _suggestions(kind, text, ranked, k=k, threshold=threshold, classify=classify)


def scores_of(kind: str, items: list[tuple[str, list[Ranked]]], *,
              classify: bool = True) -> list[list[tuple[float, str]]]:
    """Re-ranked candidates' scores on the library's scale, with the scale's name (what ``Match.method``
    records), for several claims at once: ``items`` are (claim wording, its candidates).

    Fact-checks: the calibrated probability of "same claim" (``LibraryCalibration.probabilities``: the
    verifier, and for the plausible candidates the same-claim classifier, in one call for all claims).
    ``classify=False``: the verifier alone (a typed search is a few words, not a claim to compare).
    """
    fitted = calibration.for_library(kind) if kind in CALIBRATED_LIBRARIES else None
    if fitted is None:
        return [[(r.score, METHOD_HYBRID) for r in ranked] for _text, ranked in items]
    flat = [(text, r) for text, ranked in items for r in ranked]
    if not flat:
        return [[] for _ in items]
    probabilities = fitted.probabilities([r.score for _, r in flat], np.stack([r.features for _, r in flat]),
                                         [(text, r.candidate.text) for text, r in flat] if classify else None)
    out, start = [], 0
    for _text, ranked in items:
        out.append([(float(p), METHOD_CALIBRATED) for p in probabilities[start:start + len(ranked)]])
        start += len(ranked)
    return out


#: The library search page casts a wider net than suggestions: a search is asked for, and a few words
#: ("tram depot") cover little of a fact-check's wording, so the calibrated probability of "same claim"
#: stays low for a right answer. Fact-checks from 5%; passages keep their own calibrated threshold and
#: cosine floor (None).
LIBRARY_SEARCH_THRESHOLD = {KIND_FACT_CHECK: 0.05, KIND_PASSAGE: None}


def search_text(session: Session, *, settings: Settings, text: str, kind: str,
                k: int | None = None, threshold: float | None = None) -> list[Suggestion]:
    """Hybrid search for a typed text (see ``search``): a few words are not a claim, so the verifier alone
    scores fact-checks (the same-claim classifier learnt on whole claims)."""
    vector = embedder_for(settings).encode_one(text)
    return search(session, settings=settings, vector=vector, kind=kind, k=k, threshold=threshold, text=text,
                  classify=False)


def match_claims(session: Session, *, settings: Settings, claims: list[Claim],
                 vectors: np.ndarray, readings: dict[int, str] | None = None) -> list[Match]:
    """Store the top suggestions above threshold for each claim; the caller commits.

    Two steps: ``suggestions_for_claims`` searches (batched over the claims),
    ``store_suggestions`` applies the decisions already taken and the auto-link
    rules (see there). What the second step reads — the claims' earlier matches,
    the publication dates of auto-link candidates — is read for all claims at
    once, and auto-links are flushed together: an article sends the same
    statements whatever its number of claims.
    """
    libraries = {kind: library_settings(session, settings=settings, library=kind) for kind in LIBRARIES}
    found = suggestions_for_claims(session, settings=settings, claims=claims, vectors=vectors, libraries=libraries,
                                   readings=readings)
    existing: dict[int, list[Match]] = {claim.id: [] for claim in claims}
    if claims:
        for match in session.exec(select(Match).where(_ids_in(session, Match.claim_id, list(existing)))).all():
            existing[match.claim_id].append(match)
    published = _publication_dates(session, {
        (kind, hit.object_id) for hits in found for kind, library in libraries.items()
        for hit in hits.get(kind, []) if hit.score >= library.same_claim_threshold})
    created: list[Match] = []
    auto_linked: list[Match] = []
    for claim, hits in zip(claims, found):
        created.extend(store_suggestions(session, claim=claim, hits=hits, libraries=libraries,
                                         existing=existing[claim.id], published=published, auto_linked=auto_linked))
    _record_auto_links(session, auto_linked)
    return created


def _publication_dates(session: Session, targets: set[tuple[str, int]]) -> dict[tuple[str, int], date | None]:
    """When each library object was published (a passage: when its source was added), in at most two statements."""
    dates: dict[tuple[str, int], date | None] = dict.fromkeys(targets)
    fact_checks = [i for kind, i in targets if kind == KIND_FACT_CHECK]
    passages = [i for kind, i in targets if kind == KIND_PASSAGE]
    if fact_checks:
        for i, published in session.exec(select(FactCheck.id, FactCheck.date_published)
                                         .where(_ids_in(session, FactCheck.id, fact_checks))).all():
            dates[(KIND_FACT_CHECK, i)] = published
    if passages:
        for i, created_at in session.exec(select(Passage.id, SourceDocument.created_at)
                                          .join(SourceDocument, SourceDocument.id == Passage.source_id)
                                          .where(_ids_in(session, Passage.id, passages))).all():
            dates[(KIND_PASSAGE, i)] = created_at.date() if created_at else None
    return dates


def suggestions_for_claims(session: Session, *, settings: Settings, claims: list[Claim], vectors: np.ndarray,
                           libraries: dict[str, MatchSetting], reported_speech: bool = True,
                           readings: dict[int, str] | None = None) -> list[dict[str, list[Suggestion]]]:
    """For each claim (in order), each library's suggestions at or above its suggest threshold, best first.

    One batched hybrid search per library for all the claims (``hybrid_candidates_many``):
    the same lists as ``search`` per claim, with a number of statements that does not
    grow with the number of claims.

    A claim in reported speech ("X told the audience that the MMR vaccine causes autism") is also
    searched for what it reports (``coref.reported``), in the same batch, in the libraries of
    ``REPORTED_SPEECH_LIBRARIES``; a candidate found by both readings keeps its better score.
    ``readings`` (claim position -> what it reports) are those the article's own parse found at
    extraction (``ExtractedClaim.reported_text``); without them the claims are parsed here.
    ``reported_speech=False`` searches the wording as written only (what the bench compares).
    """
    found: list[dict[str, list[Suggestion]]] = [{} for _ in claims]
    if not claims:
        return found
    texts = [claim.standalone_text for claim in claims]
    own = own_check_ids(session, [claim.id for claim in claims])
    reported = ({} if not reported_speech else _reported_readings(texts) if readings is None
                else {i: text for i, text in readings.items() if text})
    owners = list(range(len(texts))) + sorted(reported)
    queries = texts + [reported[i] for i in owners[len(texts):]]
    if reported:
        vectors = np.vstack([np.atleast_2d(vectors), embedder_for(settings).encode(queries[len(texts):])])
    k = settings.match_top_k
    for kind in LIBRARIES:
        count = len(queries) if kind in REPORTED_SPEECH_LIBRARIES else len(texts)
        excludes = [frozenset(own.get(claims[i].id, ())) if kind == KIND_FACT_CHECK else frozenset()
                    for i in owners[:count]]
        batch = hybrid_candidates_many(session, settings=settings, kind=kind, texts=queries[:count],
                                       vectors=vectors[:count], excludes=excludes)
        ranked = [candidates.ranked() for candidates in batch]
        scores = scores_of(kind, [(text, r[:k]) for text, r in zip(queries, ranked)])
        for position, (owner, text, r, s) in enumerate(zip(owners, queries, ranked, scores)):
            hits = _suggestions(kind, text, r, k=k, threshold=libraries[kind].suggest_threshold, scores=s)
            if position >= len(texts):  # the second reading: what the claim reports
                hits = [dataclasses.replace(hit, reported=True) for hit in hits]
            found[owner][kind] = _better_of(found[owner][kind], hits, k) if kind in found[owner] else hits
    return found


#: Libraries searched with what a claim in reported speech reports, besides its wording (measured on
#: fact-checks; passage thresholds were calibrated on CLIMATE-FEVER claims, which are never reported speech).
REPORTED_SPEECH_LIBRARIES = (KIND_FACT_CHECK,)


def _reported_readings(texts: list[str]) -> dict[int, str]:
    """Index of each claim in reported speech -> what it reports (``coref.reported``)."""
    from factcheck.coref.reported import reported_contents

    contents = reported_contents(texts)
    return {i: contents[text] for i, text in enumerate(texts) if contents.get(text)}


def _better_of(first: list[Suggestion], second: list[Suggestion], k: int) -> list[Suggestion]:
    """One list from two readings of a claim: each object once, with its higher score, best first, top ``k``
    (on a tie, the wording's own reading: ``first``)."""
    best: dict[int, Suggestion] = {}
    for hit in first + second:
        if hit.object_id not in best or hit.score > best[hit.object_id].score:
            best[hit.object_id] = hit
    return sorted(best.values(), key=lambda hit: -hit.score)[:k]


def own_check_ids(session: Session, claim_ids: list[int]) -> dict[int, set[int]]:
    """The library entry each of these claims published (a claim is never suggested its own check)."""
    found: dict[int, set[int]] = {}
    for chunk in _chunks([i for i in claim_ids if i is not None]):
        for fact_check_id, claim_id in session.exec(select(FactCheck.id, FactCheck.own_claim_id)
                                                    .where(FactCheck.own_claim_id.in_(chunk))).all():
            found.setdefault(claim_id, set()).add(fact_check_id)
    return found


def store_suggestions(session: Session, *, claim: Claim, hits: dict[str, list[Suggestion]],
                      libraries: dict[str, MatchSetting], existing: list[Match] | None = None,
                      published: dict[tuple[str, int], date | None] | None = None,
                      auto_linked: list[Match] | None = None) -> list[Match]:
    """Turn one claim's search results into ``Match`` rows; returns the new ones.

    Earlier decisions are kept: a match a checker confirmed or rejected is never
    re-suggested or overwritten. A new match scoring at or above the library's
    "same claim" threshold is linked automatically (confirmed, with the method
    and score in the log) unless a safeguard says only to suggest it (among them:
    a score reached only by what the claim reports, ``Suggestion.reported``); an
    existing suggestion is never upgraded, so a checker's "undo" sticks.
    Undecided suggestions no longer found (an earlier wording's) are removed.

    ``existing`` (the claim's matches), ``published`` (dates of the auto-link
    candidates) and ``auto_linked`` (collects auto-linked matches for the caller
    to log with ``_record_auto_links``) let a caller batch the reads and writes
    of many claims; left out, they are read and written here.
    """
    if existing is None:
        existing = session.exec(select(Match).where(Match.claim_id == claim.id)).all()
    if published is None:
        published = _publication_dates(session, {(kind, hit.object_id) for kind in libraries
                                                 for hit in hits.get(kind, [])})
    linked_here = [] if auto_linked is None else None
    existing = {(m.kind, m.fact_check_id or m.passage_id): m for m in existing}
    created: list[Match] = []
    current_hits: set[tuple[str, int]] = set()
    for kind, library in libraries.items():
        for hit in hits.get(kind, []):
            current_hits.add((kind, hit.object_id))
            current = existing.get((kind, hit.object_id))
            if current is not None:
                if current.status == "suggested":
                    # The method too: a suggestion stored by dense-only passage matching holds a cosine.
                    current.score, current.method = hit.score, hit.method
                    session.add(current)
                continue
            match = Match(
                claim_id=claim.id, kind=kind, score=hit.score, method=hit.method,
                fact_check_id=hit.object_id if kind == KIND_FACT_CHECK else None,
                passage_id=hit.object_id if kind == KIND_PASSAGE else None,
            )
            session.add(match)
            created.append(match)
            if hit.score >= library.same_claim_threshold and not hit.reported and _may_auto_link(
                    claim=claim, published=published.get((kind, hit.object_id)),
                    max_age_days=library.auto_link_max_age_days):
                match.status = "confirmed"
                match.decided_at = utcnow()
                (auto_linked if linked_here is None else linked_here).append(match)
    for target, match in existing.items():
        if match.status == "suggested" and target not in current_hits:
            session.delete(match)
    if linked_here:
        _record_auto_links(session, linked_here)
    return created


def _may_auto_link(*, claim: Claim, published: date | None, max_age_days: int) -> bool:
    """The safeguards: a short claim or an old (or undated) target is only ever suggested."""
    if len(words(claim.standalone_text)) < MIN_WORDS_TO_AUTO_LINK:
        return False
    if published is None:
        return False  # an undated fact-check may be arbitrarily old
    return date.today() - published <= timedelta(days=max_age_days)


def _record_auto_links(session: Session, matches: list[Match]) -> None:
    """Log matches linked automatically (one flush gives them all their ids)."""
    if not matches:
        return
    session.flush()
    for match in matches:
        events.record(session, action="match_auto_linked", claim_id=match.claim_id, match_id=match.id,
                      kind=match.kind, target_id=match.fact_check_id or match.passage_id, score=match.score,
                      method=match.method)


def rematch_claim(session: Session, *, settings: Settings, claim: Claim) -> list[Match]:
    """Re-embed a claim's standalone text and refresh its suggestions."""
    vectors = embed_and_store(session, settings=settings, kind=KIND_CLAIM,
                              items=[(claim.id, claim.standalone_text)])
    created = match_claims(session, settings=settings, claims=[claim], vectors=vectors)
    session.commit()
    return created


def _stale_match(session: Session, claim_id: int, match_id: int, expected: int | None):
    session.rollback()
    match = session.get(Match, match_id)
    if match is None or match.claim_id != claim_id:
        raise NotFound("No such match for this claim.")
    who = None
    if match.decided_by_id is not None:
        who = session.get(User, match.decided_by_id)
    elif match.decided_at is not None:
        who = "the matcher (linked automatically)"
    return versions.stale(kind="match", label="match decision", current_version=match.version, expected=expected,
                          changed_by=who, changed_at=match.decided_at, current=match)


def decide_match(session: Session, *, claim_id: int, match_id: int, user: User, decision: str,
                 expected_version: int | None = None, settings: Settings | None = None) -> Match:
    """Confirm or reject a suggestion (a human decision, recorded in the log).

    Who may: ``permissions.CLAIM_RULES["decide_match"]`` (the checker holding the claim
    while it is in progress, editors until it is closed). ``StaleWrite`` (nothing
    written) when the match was decided since ``expected_version``. With ``settings``, a
    confirmed or rejected fact-check match is also stored as a training pair: the
    re-ranker's features of (claim, fact-check) now (``Match.decision_features``),
    which ``factcheck train matcher --with-decisions`` adds to the public training
    data. Undoing a decision removes its pair.
    """
    if decision not in ("confirmed", "rejected", "suggested"):
        raise ValidationFailed("Decision must be confirmed, rejected or suggested.", {"decision": "invalid"})
    match = session.get(Match, match_id)
    if match is None or match.claim_id != claim_id:
        raise NotFound("No such match for this claim.")
    claim_facts.authorize(session, user, "decide_match", session.get(Claim, claim_id))
    seen = match.version
    versions.check(expected_version, seen, lambda: _stale_match(session, claim_id, match_id, expected_version))
    if not versions.claim_version(session, Match, row_id=match.id, seen=seen):
        raise _stale_match(session, claim_id, match_id, expected_version if expected_version is not None else seen)
    actor_id = user.id
    previous = match.status
    match.status = decision
    match.decided_by_id = actor_id if decision != "suggested" else None
    match.decided_at = utcnow() if decision != "suggested" else None
    match.version = seen + 1
    match.decision_features = None
    if decision != "suggested" and settings is not None and match.kind == KIND_FACT_CHECK:
        claim = session.get(Claim, claim_id)
        pair = pair_features(session, settings=settings, text=claim.standalone_text, fact_check_id=match.fact_check_id)
        match.decision_features = [round(float(value), 6) for value in pair] if pair is not None else None
    session.add(match)
    events.record(session, action=f"match_{decision}", claim_id=claim_id, actor_id=actor_id,
                  match_id=match.id, kind=match.kind, target_id=match.fact_check_id or match.passage_id,
                  previous=previous, version=match.version)
    session.commit()
    return match


def pair_features(session: Session, *, settings: Settings, text: str, fact_check_id: int) -> np.ndarray | None:
    """The re-ranker's features of one (claim wording, fact-check) pair, among the candidates a search proposes.

    Several features are relative to the other candidates (ranks, gap to the
    best), so the pair is scored within the claim's own search; a fact-check
    neither leg proposed joins it with its cosine and no rank.
    """
    vector = embedder_for(settings).encode_one(text)
    run = hybrid_candidates(session, settings=settings, kind=KIND_FACT_CHECK, text=text, vector=vector)
    position = next((j for j, c in enumerate(run.candidates) if c.object_id == fact_check_id), None)
    if position is not None:
        return run.features[position]
    embedder = embedder_for(settings)
    cosine = _cosines(session, ids=[fact_check_id], vector=vector, kind=KIND_FACT_CHECK,
                      model_id=embedder.model_id, variant=embedder.variant).get(fact_check_id)
    texts = library_texts(session, KIND_FACT_CHECK, [fact_check_id])
    if cosine is None or fact_check_id not in texts:
        return None
    candidates = [*run.candidates, Candidate(fact_check_id, texts[fact_check_id][0], cosine, None, 0.0, None)]
    return features(QueryFeatures(text), candidates)[-1]


def decided_pairs(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Checkers' decisions stored as training pairs: (features, 1 for confirmed / 0 for rejected)."""
    from factcheck.matching.rerank import FEATURES

    rows = session.exec(select(Match.decision_features, Match.status).where(
        Match.decision_features.is_not(None), Match.decided_by_id.is_not(None),
        Match.status.in_(("confirmed", "rejected")))).all()
    rows = [(f, status) for f, status in rows if isinstance(f, list) and len(f) == len(FEATURES)]
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0, dtype=int)
    return (np.asarray([f for f, _ in rows], dtype=np.float64),
            np.asarray([status == "confirmed" for _, status in rows], dtype=int))


def undoable_decisions(session: Session, claim_id: int) -> dict[int, int]:
    """History events whose match decision can be undone from the history: event id -> match id.

    The latest decision event of each match that still holds that decision
    (confirmed, rejected, or linked automatically).
    """
    import json

    from factcheck.models import Event

    statuses = {"match_confirmed": "confirmed", "match_rejected": "rejected", "match_auto_linked": "confirmed"}
    latest: dict[int, tuple[int, str]] = {}
    for event in session.exec(select(Event).where(Event.claim_id == claim_id, Event.action.like("match_%"))
                              .order_by(Event.id)).all():
        try:
            match_id = int(json.loads(event.detail or "{}").get("match_id"))
        except (TypeError, ValueError):
            continue
        latest[match_id] = (event.id, event.action)
    current = {m.id: m.status for m in session.exec(select(Match).where(Match.claim_id == claim_id)).all()}
    return {event_id: match_id for match_id, (event_id, action) in latest.items()
            if action in statuses and current.get(match_id) == statuses[action]}


@dataclass
class MatchView:
    """A match with the text it points at, for pages and the API."""

    match: Match
    text: str
    title: str
    url: str | None
    rating: str | None = None
    fact_check: FactCheck | None = None
    passage: Passage | None = None
    source: SourceDocument | None = None

    @property
    def own(self) -> bool:
        """A check this newsroom published ("published by us")."""
        return self.fact_check is not None and self.fact_check.own_claim_id is not None

    @property
    def calibrated(self) -> bool:
        return self.match.method == METHOD_CALIBRATED

    @property
    def auto_linked(self) -> bool:
        """Confirmed by the app (score above the "same claim" threshold), not yet by a person."""
        return self.match.status == "confirmed" and self.match.decided_by_id is None

    @property
    def label(self) -> str | None:
        """Plain words for a calibrated score ("likely same claim" / "possibly related"); None otherwise."""
        if not self.calibrated:
            return None
        return calibration.label(self.match.kind, self.match.score, 0.0)


@dataclass
class Comparison:
    """A claim and one suggested fact-check side by side, before a checker confirms it."""

    claim: Claim
    view: MatchView
    claim_segments: list[tuple[str, bool]]  # (text, shared with the other wording)
    target_segments: list[tuple[str, bool]]


def comparison(session: Session, *, claim_id: int, match_id: int) -> Comparison:
    """Both wordings with their shared terms marked, and the earlier verdict's facts (rating, publisher, date)."""
    from factcheck.matching.lexical import shared_term_segments

    claim = session.get(Claim, claim_id)
    view = next((v for v in match_views(session, claim_id) if v.match.id == match_id), None) if claim else None
    if claim is None or view is None:
        raise NotFound("No such match for this claim.")
    return Comparison(claim, view, shared_term_segments(claim.standalone_text, view.text),
                      shared_term_segments(view.text, claim.standalone_text))


def possible_duplicate_claims(session: Session, *, settings: Settings, claim: Claim,
                              k: int | None = None) -> list[tuple[Claim, float]]:
    """Open claims that may state the same claim as ``claim``, with the calibrated probability, best first.

    Two checkers must not check one claim in parallel: an open claim (new, in
    progress, in review) is compared with the other open claims by the same
    hybrid search and calibration as fact-checks, and shown from the same
    "suggest" threshold. Closed and published claims are left out (a published
    one is in the fact-check library already).
    """
    from factcheck.domain.workflow import OPEN_STATES

    open_states = {state.value for state in OPEN_STATES}
    if claim.state not in open_states:
        return []
    k = k or settings.match_top_k
    threshold = library_settings(session, settings=settings, library=KIND_FACT_CHECK).suggest_threshold
    embedder = embedder_for(settings)
    stored = session.exec(select(Embedding.vector).where(
        Embedding.kind == KIND_CLAIM, Embedding.object_id == claim.id, Embedding.model_id == embedder.model_id,
        Embedding.variant == embedder.variant)).first()
    vector = np.asarray(stored, dtype=np.float32) if stored is not None else embedder.encode_one(claim.standalone_text)
    ranked = hybrid_candidates(session, settings=settings, kind=KIND_CLAIM, text=claim.standalone_text,
                               vector=vector, exclude=frozenset({claim.id})).ranked()
    ids = [r.candidate.object_id for r in ranked]
    claims = {c.id: c for c in session.exec(select(Claim).where(Claim.id.in_(ids), Claim.state.in_(open_states)))}
    ranked = [r for r in ranked if r.candidate.object_id in claims]
    found = []
    for r, (score, _method) in zip(ranked, scores_of(KIND_FACT_CHECK, [(claim.standalone_text, ranked)])[0]):
        other = claims[r.candidate.object_id]
        if score >= threshold:
            found.append((other, round(score, 4)))
        if len(found) == k:
            break
    return found


def match_views(session: Session, claim_id: int) -> list[MatchView]:
    matches = session.exec(
        select(Match).where(Match.claim_id == claim_id).order_by(Match.kind, Match.score.desc())
    ).all()
    views: list[MatchView] = []
    for match in matches:
        if match.kind == KIND_FACT_CHECK:
            fc = session.get(FactCheck, match.fact_check_id)
            if fc is None:
                continue
            publisher = fc.publisher or ""
            views.append(MatchView(match, fc.claim_reviewed, publisher, fc.url, fc.rating, fact_check=fc))
        else:
            passage = session.get(Passage, match.passage_id)
            if passage is None:
                continue
            source = session.get(SourceDocument, passage.source_id)
            views.append(MatchView(match, passage.text, source.title if source else "",
                                   source.url if source else None, passage=passage, source=source))
    return views


def describe_hits(session: Session, hits: list[Suggestion]) -> list[dict]:
    """Attach the text, title and link of each hit, for search results."""
    described = []
    for hit in hits:
        if hit.kind == KIND_FACT_CHECK:
            fc = session.get(FactCheck, hit.object_id)
            if fc:
                described.append({"kind": hit.kind, "id": fc.id, "score": hit.score, "text": fc.claim_reviewed,
                                  "rating": fc.rating, "title": fc.publisher or "", "url": fc.url, "object": fc,
                                  "own": fc.own_claim_id is not None, "method": hit.method,
                                  "label": calibration.label(hit.kind, hit.score, 0.0)
                                  if hit.method == METHOD_CALIBRATED else None})
        else:
            passage = session.get(Passage, hit.object_id)
            source = session.get(SourceDocument, passage.source_id) if passage else None
            if passage and source:
                described.append({"kind": hit.kind, "id": passage.id, "score": hit.score, "text": passage.text,
                                  "rating": None, "title": source.title, "url": source.url, "object": passage,
                                  "source": source})
    return described


def reindex(session: Session, *, settings: Settings, kind: str, show_progress: bool = False,
            batch: int = 512) -> int:
    """(Re-)embed every object of ``kind`` with the configured model and variant, in batches."""
    from tqdm import tqdm

    if kind == KIND_FACT_CHECK:
        rows = session.exec(select(FactCheck.id, FactCheck.claim_reviewed).order_by(FactCheck.id)).all()
    elif kind == KIND_PASSAGE:
        rows = session.exec(select(Passage.id, Passage.text).order_by(Passage.id)).all()
    elif kind == KIND_CLAIM:
        rows = session.exec(select(Claim.id, Claim.standalone_text).order_by(Claim.id)).all()
    else:
        raise ValidationFailed(f"Unknown kind {kind!r}.", {"kind": "unknown"})
    with tqdm(total=len(rows), desc=f"embedding {kind}", unit="text", disable=not show_progress) as bar:
        for start in range(0, len(rows), batch):
            chunk = [(row[0], row[1]) for row in rows[start:start + batch]]
            embed_and_store(session, settings=settings, kind=kind, items=chunk)
            session.commit()
            bar.update(len(chunk))
    return len(rows)


#: Stages of ``rebuild_index``, as its ``step`` callback names them.
STAGE_BM25, STAGE_VECTORS = "bm25", "vectors"


def rebuild_index(session: Session, *, settings: Settings, kind: str, show_progress: bool = False,
                  step=None) -> str:
    """(Re)build the indexes of one library for the active model; returns what was done.

    The BM25 postings are rebuilt from the library's texts and saved under the
    instance folder. SQLite: the HNSW graph is built from the table and saved
    there too. PostgreSQL: pgvector's HNSW index is created if missing
    (PostgreSQL keeps it up to date itself). Searches go on with the current
    indexes until the new ones replace them.

    ``step(stage, rows)`` (optional) is told after each batch how many rows a
    stage (``STAGE_BM25``, then ``STAGE_VECTORS``) has just done; the CLI shows
    a progress bar per stage (``show_progress``), the background job turns the
    counts into the job's progress.
    """
    embedder = embedder_for(settings)
    names = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant)
    total = library_size(session, settings=settings, kind=kind)
    lexical = lexical_index(settings)
    with _counted(f"BM25 {kind}", total, "text", show_progress, step, STAGE_BM25) as update:
        size = lexical.rebuild(session, texts=_lexical_texts(kind), progress=update, **names)
    done = f"BM25 index of {size} texts" + (f" saved in {lexical.folder}" if lexical.folder else "")
    index = vector_index(session, settings)
    with _counted(f"HNSW {kind}", total, "vector", show_progress, step, STAGE_VECTORS) as update:
        if session.get_bind().dialect.name == "postgresql":
            name = index.ensure_hnsw(session, dim=embedder.dim, progress=update, **names)
            # Only rows filled with their principal components are counted as they go (a small library
            # has none); once the index is made it covers every row.
            if update.rows < total:
                update(total - update.rows)
            return f"{done}; pgvector HNSW index {name} is in place"
        size = index.hnsw.rebuild(session, progress=update, **names)
    return f"{done}; HNSW graph of {size} vectors saved in {index.options.folder}"


def library_size(session: Session, *, settings: Settings, kind: str) -> int:
    """How many vectors of the active model and variant a library holds (what its indexes cover)."""
    embedder = embedder_for(settings)
    return session.exec(select(func.count(Embedding.id)).where(
        Embedding.kind == kind, Embedding.model_id == embedder.model_id, Embedding.variant == embedder.variant)).one()


@contextmanager
def _counted(description: str, total: int, unit: str, show_progress: bool, step, stage: str):
    """An ``update(rows)`` callback feeding a tqdm bar (when shown) and ``step(stage, rows)`` (when given)."""
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit=unit, disable=not show_progress) as bar:
        def update(rows: int) -> None:
            update.rows += rows
            bar.update(rows)
            if step is not None:
                step(stage, rows)

        update.rows = 0
        yield update


def variant_warnings(session: Session, *, settings: Settings) -> list[str]:
    """Libraries whose stored vectors are of another model or variant than the active one.

    Vectors of different variants are never mixed in a search, so such a
    library is (partly) invisible until ``factcheck embeddings reindex``.
    """
    embedder = embedder_for(settings)
    rows = session.exec(select(Embedding.kind, Embedding.model_id, Embedding.variant, func.count(Embedding.id))
                        .where(Embedding.kind.in_(LIBRARIES))
                        .group_by(Embedding.kind, Embedding.model_id, Embedding.variant)).all()
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for kind, model_id, variant, count in rows:
        counts.setdefault(kind, {})[(model_id, variant)] = count
    active = (embedder.model_id, embedder.variant)
    warnings = []
    for kind, by_space in sorted(counts.items()):
        others = {space: n for space, n in by_space.items() if space != active}
        if others and by_space.get(active, 0) < max(others.values()):
            described = ", ".join(f"{n} of {m} ({v})" for (m, v), n in sorted(others.items()))
            warnings.append(f"{kind}: {by_space.get(active, 0)} vectors of the active {active[0]} ({active[1]}) "
                            f"but {described}; run 'factcheck embeddings reindex' to search them.")
    return warnings


def match_view(session: Session, claim_id: int, match_id: int) -> MatchView | None:
    """One match of a claim with the text it points at (``None`` when that text is gone)."""
    return next((view for view in match_views(session, claim_id) if view.match.id == match_id), None)


def variant_warnings_at_start(engine, *, settings: Settings) -> list[str]:
    """``variant_warnings`` for an app being set up; none while the database is not migrated yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from factcheck.db import session_scope

    try:
        with session_scope(engine) as session:
            return variant_warnings(session, settings=settings)
    except SQLAlchemyError:
        return []  # not migrated yet: nothing stored to warn about
