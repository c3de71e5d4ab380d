"""The claim type a checker works with, decided with the parser where structure matters.

Types: ``statistic``, ``quote``, ``causal``, ``comparison``, ``pledge`` (a
pledge or announcement with a figure or a deadline: checkable now for its
figures and later for whether it was kept), ``prediction`` and ``opinion``
(neither can be rated), ``other``.

The linguistic features (`features.sentence_features`) give a first answer
(`features.claim_type`); three questions need the sentence's structure, so
for sentences that could raise them the English parser (spaCy,
``en_core_web_sm``) is asked:

* Is a future verb a *commitment* by someone who can keep it ("Calderon said
  it will launch a $1 billion fund", "the council has committed to making 30
  percent affordable") rather than a forecast about the world ("the slowdown
  would reassure the bank", "unemployment will fall to 3 percent")? The
  subject of the verb (or of "pledge/commit/plan to") must be an organisation,
  person or place, a pronoun, or a noun for such an agent; "would" counts
  only in reported speech ("said it would"), not in a conditional; and the
  commitment must carry a figure or a deadline.
* Is a quotation a title ("The Salt Road", a film) rather than someone's
  words? Quoted words with no verb that the parser tags as a work of art or
  that are written in title case are a title; a sentence whose only quotation
  marks enclose titles is not a quote.
* Is a judgement hedged ("It may be the best line-up this decade", "Perhaps
  it is not perfect, but I think ...")? A hedged judgement with no figure is
  an opinion, whatever comparison word it uses.

Parsing costs a few milliseconds per sentence, and only sentences with a
future or commitment word, quotation marks or a hedge are parsed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from factcheck.checkworthiness.features import claim_type
# One spaCy pipeline per process, shared with standalone wording (which needs its lemmas too).
from factcheck.coref.parsing import parse

__all__ = ["PLEDGE", "classify"]

PLEDGE = "pledge"

# Cheap pre-filters: only sentences that may hold a commitment, a quotation or a hedge are parsed.
_MAY_COMMIT = re.compile(
    r"\b(?:will|would|shall|won['’]t|pledg\w*|commit\w*|promis\w*|vow\w*|plans? to|planned to|"
    r"aims? to|intends? to|is set to|are set to|undertak\w*)\b|['’]ll\b",
    re.IGNORECASE,
)
_QUOTE_MARKS = re.compile(r"[\"“”]")
_HEDGED = re.compile(
    r"(?i:\b(?:might|could|perhaps|possibly|arguably|probably|seems?|seemed|appears? to|"
    r"i think|i believe|we think|we believe|i suspect|in my (?:view|opinion))\b)|\bmay\b"
)

_FUTURE_AUX = frozenset({"will", "would", "shall", "'ll", "’ll", "wo"})
_COMMIT_VERBS = frozenset({"pledge", "pledged", "pledges", "pledging", "commit", "committed", "commits",
                           "committing", "promise", "promised", "promises", "vow", "vowed", "vows", "plan",
                           "plans", "planned", "aim", "aims", "aimed", "intend", "intends", "intended",
                           "undertake", "undertook", "undertakes", "set"})
_SPEECH_VERBS = frozenset({"say", "said", "says", "announce", "announced", "announces", "tell", "told",
                           "tells", "confirm", "confirmed", "confirms", "state", "stated", "states",
                           "pledge", "pledged", "promise", "promised", "add", "added", "insist", "insisted",
                           "vow", "vowed", "declare", "declared", "acknowledge", "acknowledged", "warn",
                           "warned", "warns", "predict", "predicted", "expect", "expected", "expects", "argue",
                           "argued", "claim", "claimed", "estimate", "estimated", "believe", "believes",
                           "believed", "suggest", "suggested", "concede", "conceded", "admit", "admitted"})
# Nouns for someone who can make and keep a commitment.
_AGENT_NOUNS = frozenset("""
    company firm business group government administration ministry department council authority agency
    state city county region country nation board trust bank developer operator owner school university
    hospital party union association federation organisation organization charity force police army
    minister secretary president governor mayor chancellor premier leader chief executive director chair
    chairman chairwoman spokesman spokeswoman spokesperson commissioner official officials team club
    league programme program fund institute committee parliament congress senate assembly cabinet
    regulator watchdog coalition alliance campaign manufacturer retailer airline carrier utility
""".split())
_AGENT_ENTITIES = frozenset({"ORG", "PERSON", "GPE", "NORP"})
_AGENT_PRONOUNS = frozenset({"it", "we", "he", "she", "they", "i"})
_FIGURES = frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL"})
# "by 2030", "by the end of March": a target date. A scheduled date ("will vote on Feb. 3") is not one.
_DEADLINE_PREPOSITIONS = frozenset({"by", "until", "before", "within"})


def classify(sentence: str, features: Mapping[str, float]) -> str:
    """The claim type of ``sentence`` given its linguistic ``features``."""
    needs_commitment = bool(_MAY_COMMIT.search(sentence))
    needs_quotes = bool(features.get("quotation")) and bool(_QUOTE_MARKS.search(sentence))
    needs_hedge = bool(_HEDGED.search(sentence)) and not features.get("statistic")
    if not (needs_commitment or needs_quotes or needs_hedge):
        return claim_type(dict(features))
    doc = parse(sentence)
    if needs_commitment:
        future = _main_future(doc)
        if future is not None and _is_pledge(doc):
            return PLEDGE
        if future is not None:
            # What the sentence asserts is a future event or intention without a figure to check
            # ("the coalition said it would campaign against the bill"): a prediction.
            return "prediction"
    adjusted = dict(features)
    if needs_quotes and _only_titles_quoted(doc):
        adjusted["quotation"] = 0.0
    if needs_hedge and _hedged_judgement(doc, adjusted):
        return "opinion"
    return claim_type(adjusted)


# ------------------------------------------------------------------ pledges


def _subject(token):
    for child in token.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            return child
    # "the council has committed to making ...": the subject sits on the governing verb.
    if token.dep_ in ("xcomp", "conj") and token.head is not token:
        return _subject(token.head)
    return None


def _is_agent(subject) -> bool:
    if subject is None:
        return False
    if subject.lower_ in _AGENT_PRONOUNS:
        return True
    if subject.ent_type_ in _AGENT_ENTITIES:
        return True
    # "Calderon Systems, the business software company" or "the national arts council".
    words = {subject.lower_} | {child.lower_ for child in subject.children if child.dep_ in ("compound", "appos")}
    return bool(words & _AGENT_NOUNS) or (subject.pos_ == "PROPN")


def _reported(token) -> bool:
    """Whether ``token`` is inside what someone is reported to have said ("said it would ...",
    "it will cut ..., it said")."""
    head = token
    for _ in range(5):
        if head is not token and head.lower_ in _SPEECH_VERBS:
            return True
        if head.dep_ == "ROOT":
            return any(child.lower_ in _SPEECH_VERBS for child in head.children if child.dep_ in ("parataxis", "ccomp"))
        head = head.head
    return False


def _has_figure_or_deadline(token) -> bool:
    for word in token.subtree:
        if word.ent_type_ in _FIGURES or (word.like_num and word.ent_type_ != "DATE"):
            return True
        if word.ent_type_ == "DATE" and _deadline(word):
            return True
    return False


def _committed(token) -> bool:
    """"pledged to cut", "plans to build" (the infinitive), "has committed to making" (the commit verb)."""
    if token.dep_ == "xcomp" and token.head.lower_ in _COMMIT_VERBS:
        return True
    if token.lower_ not in _COMMIT_VERBS:
        return False
    return any(child.dep_ == "xcomp" or (child.dep_ == "prep" and child.lower_ == "to"
                                         and any(g.dep_ == "pcomp" for g in child.children))
               for child in token.children)


def _main_future(doc):
    """The future verb the sentence asserts: the main verb, or the verb of what its speaker is
    reported to have said ("X said it would ..."), not a future tucked into a relative clause."""
    for token in doc:
        if token.pos_ not in ("VERB", "AUX") or token.dep_ == "aux":
            continue
        auxiliaries = {child.lower_ for child in token.children if child.dep_ == "aux"}
        committed = _committed(token)
        if not (auxiliaries & _FUTURE_AUX or committed):
            continue
        if "would" in auxiliaries and not committed and not _reported(token):
            continue  # a conditional: left to the features
        anchor = token.head if token.dep_ == "xcomp" else token
        if anchor.dep_ == "ROOT" or (anchor.dep_ in ("ccomp", "conj") and _reported(anchor)):
            return token
    return None


def _deadline(word) -> bool:
    """Whether a date word is part of a target: governed (maybe through "the end of") by "by", "until", ..."""
    head = word
    for _ in range(4):
        if head.dep_ == "pobj" and head.head.lower_ in _DEADLINE_PREPOSITIONS:
            return True
        if head.head is head:
            return False
        head = head.head
    return False


def _is_pledge(doc) -> bool:
    for token in doc:
        if token.pos_ not in ("VERB", "AUX") or token.dep_ == "aux":
            continue
        auxiliaries = {child.lower_ for child in token.children if child.dep_ == "aux"}
        committed = _committed(token)
        future = bool(auxiliaries & _FUTURE_AUX)
        if not (future or committed):
            continue
        if "would" in auxiliaries and not committed and not _reported(token):
            continue  # a conditional or a forecast, not a reported commitment
        if not _is_agent(_subject(token)):
            continue
        scope = token.head if committed and token.dep_ != "xcomp" else token
        if _has_figure_or_deadline(token) or _has_figure_or_deadline(scope):
            return True
    return False


# ------------------------------------------------------------------- titles

_OPENING_QUOTES = {'"', "“"}
_CLOSING_QUOTES = {'"', "”"}
_SMALL_WORDS = frozenset("a an the of in on at to for and or but with from by as is".split())


def _quoted_spans(doc) -> list:
    spans, start = [], None
    for token in doc:
        if token.text in _OPENING_QUOTES and start is None:
            start = token.i + 1
        elif token.text in _CLOSING_QUOTES and start is not None:
            spans.append(doc[start:token.i])
            start = None
    return spans


def _is_title(span) -> bool:
    words = [t for t in span if not t.is_punct]
    if not words or len(words) > 10:
        return False
    if any(t.pos_ in ("VERB", "AUX") for t in words):
        return False  # someone's words have a verb; a title usually does not
    if any(t.ent_type_ == "WORK_OF_ART" for t in words):
        return True
    return all(t.text[:1].isupper() or t.lower_ in _SMALL_WORDS or not t.is_alpha for t in words) and \
        words[0].text[:1].isupper()


def _only_titles_quoted(doc) -> bool:
    spans = _quoted_spans(doc)
    return bool(spans) and all(_is_title(span) for span in spans)


# ------------------------------------------------------------------- hedges

_HEDGE_WORDS = frozenset({"might", "could", "may", "perhaps", "possibly", "arguably", "probably", "seem",
                          "seems", "seemed", "appear", "appears"})
_OPINION_VERBS = frozenset({"think", "believe", "suspect", "feel", "reckon", "guess"})  # with "I"/"we"


def _hedged_judgement(doc, features: Mapping[str, float]) -> bool:
    """A judgement said with a hedge ("it may be the best", "perhaps it is not perfect") and no figure."""
    if features.get("statistic") or features.get("money_or_percent"):
        return False
    hedged = any(t.lower_ in _HEDGE_WORDS and t.dep_ in ("aux", "advmod", "ROOT", "ccomp", "parataxis")
                 for t in doc) or any(t.lower_ in _OPINION_VERBS and any(c.lower_ in ("i", "we") for c in t.children)
                                      for t in doc)
    if not hedged:
        return False
    judged = bool(features.get("evaluative") or features.get("opinion") or features.get("value_judgement"))
    # "the best line-up", "the most expensive saving": a superlative or comparative judgement.
    judged = judged or any(t.tag_ in ("JJS", "RBS") or (t.tag_ == "JJR" and t.dep_ in ("acomp", "attr"))
                           for t in doc)
    # "it is not perfect": an adjective said of the subject.
    judged = judged or any(t.dep_ == "acomp" and t.pos_ == "ADJ" for t in doc)
    return judged
