"""What a claim in reported speech reports: "X told the audience [that the MMR vaccine causes autism]".

A news article wraps a claim in who said it, where and when ("At a packed school board meeting on
Tuesday, parent activist Mark Ellison told the audience that the MMR vaccine causes autism."); a
fact-check states it bare ("The MMR vaccine causes autism."). The wrapping dilutes what the matcher
compares — the embedding, the words in common, the same-claim classifier (learnt on tweets) — so a
claim in reported speech is matched twice, as written and as what it reports, and the better reading
counts (``services.matching.suggestions_for_claims``). On sentences written for this project
(``bench/restatements.py``) that took the shown hit rate from 0.750 to 0.886 with nothing false shown.

The clause comes from spaCy's dependency parse, not from patterns over the words: the clausal complement
of a reporting verb or noun, or the sentence without an attribution attached to it. When the parse gives
no clean clause, there is no second reading and the claim is matched as written only.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

from factcheck.coref.features import SPEECH_LEMMAS
from factcheck.coref.parsing import parse_many

__all__ = ["reported_contents"]

#: The entity recogniser is not needed for the clause and costs half the parse.
_UNUSED_PIPES = ("ner",)

#: Verbs that put what follows in someone's mouth or mind ("X said that …", "… , X told reporters"),
#: beyond the speaker detector's speech verbs; and nouns that do it ("his view that …", "the claim that …").
#: Verbs that reject what they report (deny) are left out: their clause is not the claim made; and
#: "declare", whose clause is most often a verdict ("declared Covid-19 a pandemic").
_REPORTING_VERBS = (SPEECH_LEMMAS | {"believe", "think", "suggest", "repeat", "remind", "reassure", "point",
                                     "show", "find", "describe", "inform", "promise", "boast", "post",
                                     "share", "complain", "agree", "stress"}) - {"deny", "ask", "counter", "declare"}
_REPORTING_NOUNS = frozenset({"claim", "view", "belief", "assertion", "argument", "allegation", "suggestion",
                              "theory", "idea", "message", "post", "rumour", "rumor"})
#: What is left must still read as a claim: at least this many words.
_MIN_CONTENT_WORDS = 3


def reported_contents(claims: Sequence[str]) -> dict[str, str | None]:
    """For each claim, what it reports someone said or believes, without who said it where, or None when
    it is not reported speech (or the parser finds no clean clause). From spaCy's parse: the clausal
    complement of a reporting verb or noun ("told the audience [that the MMR vaccine causes autism]"),
    or the sentence without its attribution ("[…], the minister said"; "According to X, […]")."""
    with _content_lock:
        known = {claim: _content_cache[claim] for claim in claims if claim in _content_cache}
    missing = [claim for claim in dict.fromkeys(claims) if claim not in known]
    parsed = {claim: _content_of(doc) for claim, doc in zip(missing, parse_many(missing, disable=_UNUSED_PIPES))}
    with _content_lock:
        for claim, content in parsed.items():
            _content_cache[claim] = content
            while len(_content_cache) > _CONTENT_CACHE_SIZE:
                del _content_cache[next(iter(_content_cache))]
    return {**known, **parsed}


# The claims of the articles being matched, parsed once: suggestions are scored again when a page asks.
_content_cache: dict[str, str | None] = {}
_content_lock = threading.Lock()
_CONTENT_CACHE_SIZE = 4096


def _reports(head) -> bool:
    """Whether a clause under ``head`` is something reported: a reporting verb that is not negated
    ("did not say that …" reports nothing), or a reporting noun."""
    if any(child.dep_ == "neg" for child in head.children):
        return False
    if head.pos_ in ("VERB", "AUX"):
        return head.lemma_.lower() in _REPORTING_VERBS
    return head.pos_ == "NOUN" and head.lemma_.lower() in _REPORTING_NOUNS


def _clause(tokens, root) -> str:
    """The words of ``tokens`` (document order) as written, without the clause's own "that" (the mark of
    ``root``, its head verb) or punctuation at either end."""
    tokens = sorted(tokens, key=lambda t: t.i)
    while tokens and (tokens[0].is_punct or (tokens[0].head == root and tokens[0].lower_ in ("that", "whether")
                                             and tokens[0].dep_ != "det")):
        tokens = tokens[1:]
    while tokens and tokens[-1].is_punct:
        tokens = tokens[:-1]
    text = "".join(t.text_with_ws for t in tokens).strip()
    return text[:1].upper() + text[1:]


def _content_of(doc) -> str | None:
    # A clause with a verb of its own: "declared Covid-19 [a pandemic]" reports nothing on its own.
    clauses = [token for token in doc if token.dep_ == "ccomp" and token.pos_ in ("VERB", "AUX")
               and _reports(token.head)]
    if clauses:
        widest = max(clauses, key=lambda token: len(list(token.subtree)))
        content = _clause(widest.subtree, widest)
    else:
        dropped: set[int] = set()
        for token in doc:
            attribution = (
                (token.dep_ in ("parataxis", "advcl") and _reports(token)
                 and any(child.dep_ in ("nsubj", "nsubjpass") for child in token.children))
                or (token.dep_ == "prep" and token.lower_ == "according"))
            if attribution:
                dropped.update(t.i for t in token.subtree)
        if not dropped:
            return None
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        content = _clause((t for t in doc if t.i not in dropped), root)
    words = [t for t in content.split() if any(c.isalnum() for c in t)]
    if len(words) < _MIN_CONTENT_WORDS or content == doc.text.strip():
        return None
    return content
