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

from collections.abc import Sequence

from factcheck.coref.features import SPEECH_LEMMAS
from factcheck.coref.parsing import parse_many

__all__ = ["reported_contents", "reported_ranges", "reported_text"]

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
    unique = list(dict.fromkeys(claims))
    return {claim: _content_of(doc) for claim, doc in zip(unique, parse_many(unique, disable=_UNUSED_PIPES))}


def _reports(head) -> bool:
    """Whether a clause under ``head`` is something reported: a reporting verb that is not negated
    ("did not say that …" reports nothing), or a reporting noun."""
    if any(child.dep_ == "neg" for child in head.children):
        return False
    if head.pos_ in ("VERB", "AUX"):
        return head.lemma_.lower() in _REPORTING_VERBS
    return head.pos_ == "NOUN" and head.lemma_.lower() in _REPORTING_NOUNS


def reported_ranges(tokens) -> list[tuple[int, int]] | None:
    """Where what a sentence reports stands: character ranges (``token.idx`` based, in order; one range
    unless an attribution sits in the middle), or None. ``tokens``: the parsed tokens of one sentence
    (a whole short document, or one sentence of a parsed paragraph: the article reading passes those)."""
    inside = {token.i for token in tokens}
    # A clause with a verb of its own: "declared Covid-19 [a pandemic]" reports nothing on its own.
    clauses = [token for token in tokens if token.pos_ in ("VERB", "AUX") and _reports(token.head) and (
        token.dep_ == "ccomp"
        # "his view [that the shot is behind autism]": a noun's "that" clause (not "the claim he made")
        or (token.dep_ == "acl" and token.head.pos_ == "NOUN"
            and any(child.lower_ == "that" and child.i < token.i for child in token.children)))]
    if clauses:
        widest = max(clauses, key=lambda token: len(list(token.subtree)))
        kept, root = [t for t in widest.subtree if t.i in inside], widest
    else:
        dropped: set[int] = set()
        for token in tokens:
            attribution = (
                (token.dep_ in ("parataxis", "advcl") and _reports(token)
                 and any(child.dep_ in ("nsubj", "nsubjpass") for child in token.children))
                or (token.dep_ == "prep" and token.lower_ == "according"))
            if attribution:
                dropped.update(t.i for t in token.subtree)
        if not dropped:
            return None
        root = next((t for t in tokens if t.dep_ == "ROOT"), None)
        kept = [t for t in tokens if t.i not in dropped]
    kept = _trimmed(kept, root)
    words = [t for t in kept if any(c.isalnum() for c in t.text)]
    if len(words) < _MIN_CONTENT_WORDS or {t.i for t in words} == {
            t.i for t in tokens if any(c.isalnum() for c in t.text)}:
        return None  # too little left, or nothing taken away
    ranges: list[tuple[int, int]] = []
    for token in kept:
        if ranges and _continues(ranges[-1], token, tokens):
            ranges[-1] = (ranges[-1][0], token.idx + len(token.text))
        else:
            ranges.append((token.idx, token.idx + len(token.text)))
    return ranges


def _continues(previous: tuple[int, int], token, tokens) -> bool:
    """Whether ``token`` continues the range ``previous`` (nothing dropped between them but spaces)."""
    return not any(previous[1] <= t.idx < token.idx and not t.is_space for t in tokens)


def reported_text(text: str, ranges: list[tuple[int, int]], offset: int = 0) -> str:
    """The words of ``text`` in ``ranges`` (``offset``: where ``text`` starts on their scale), one space
    between ranges, the first letter capitalised."""
    joined = " ".join(" ".join(text[start - offset:end - offset].split()) for start, end in ranges)
    return joined[:1].upper() + joined[1:]


def _trimmed(tokens, root) -> list:
    """``tokens`` in order without the clause's own "that" (the mark of ``root``, its head verb) or
    punctuation at either end."""
    tokens = sorted(tokens, key=lambda t: t.i)
    while tokens and (tokens[0].is_punct or tokens[0].is_space
                      or (tokens[0].head == root and tokens[0].lower_ in ("that", "whether")
                          and tokens[0].dep_ != "det")):
        tokens = tokens[1:]
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space):
        tokens = tokens[:-1]
    return tokens


def _content_of(doc) -> str | None:
    ranges = reported_ranges(list(doc))
    return reported_text(doc.text, ranges) if ranges else None
