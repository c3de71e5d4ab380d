"""Features of a (pronoun, candidate antecedent) pair, for the resolver.

Parse features come from spaCy's dependency parse and named entities; they
describe where the candidate is relative to the pronoun and what role each
plays (subject, object, possessor, speaker). Meaning features come from the
transformer's token vectors of the two mentions (`encoder`). The same
function serves GAP training rows and article pronouns, so it only uses what
an article has too (not GAP's Wikipedia page title)."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["PARSE_FEATURES", "pair_vector", "parse_features", "pronoun_gender", "SPEECH_LEMMAS"]

SPEECH_LEMMAS = frozenset(
    "say tell add note write argue claim announce explain insist warn tweet acknowledge confirm "
    "report estimate testify declare assert maintain contend counter reply respond predict conclude "
    "recall admit deny allege ask concede emphasize emphasise stress joke quip state".split()
)
_SUBJECT = {"nsubj", "nsubjpass", "csubj"}
_OBJECT = {"dobj", "dative", "iobj"}
_ROLES = ("subject", "object", "pobj", "poss", "appos_attr", "other")

PARSE_FEATURES = (
    "before", "log_token_distance", "same_sentence", "previous_sentence", "log_sentence_distance",
    *(f"candidate_{role}" for role in _ROLES),
    "pronoun_nominative", "pronoun_accusative", "pronoun_possessive",
    "parallel_role", "candidate_is_speaker_of_pronoun_clause", "same_clause_subject_object",
    "candidate_root_subject", "log_persons_between", "log_mentions", "first_person_named",
    "nearest_candidate", "nearest_subject_candidate", "candidate_in_parentheses_or_appos",
    "pronoun_in_candidate_subtree",
)


def pronoun_gender(word: str) -> str | None:
    word = word.lower()
    if word in ("he", "him", "his", "himself"):
        return "masculine"
    if word in ("she", "her", "hers", "herself"):
        return "feminine"
    return None


def _role(token) -> str:
    dep = token.dep_
    if dep in _SUBJECT:
        return "subject"
    if dep in _OBJECT:
        return "object"
    if dep == "pobj":
        return "pobj"
    if dep == "poss":
        return "poss"
    if dep in ("appos", "attr"):
        return "appos_attr"
    return "other"


def _head_token(span):
    """The syntactic head of a name ("Smith" in "Bob Smith")."""
    return span.root


def _clause_verb(token):
    """The nearest verb (or sentence root) governing the token."""
    current = token
    while current.head.i != current.i:
        current = current.head
        if current.pos_ in ("VERB", "AUX"):
            return current
    return current


def _surname(span) -> str:
    return span[-1].text.lower().removesuffix("'s").removesuffix("’s")


def parse_features(doc, pronoun, candidate, persons) -> np.ndarray:
    """``pronoun`` a spaCy Token; ``candidate`` a Span; ``persons`` every
    person-name Span of the text (candidate included), in order."""
    head = _head_token(candidate)
    before = candidate.end <= pronoun.i
    token_distance = abs(pronoun.i - head.i)
    sentence_starts = [sentence.start for sentence in doc.sents]
    pronoun_sentence = sum(1 for start in sentence_starts if start <= pronoun.i)
    candidate_sentence = sum(1 for start in sentence_starts if start <= head.i)
    sentence_distance = pronoun_sentence - candidate_sentence
    role = _role(head)
    pronoun_role = _role(pronoun)
    word = pronoun.text.lower()
    possessive = word in ("his", "hers") or (word == "her" and pronoun.dep_ == "poss")
    nominative = word in ("he", "she")
    accusative = not possessive and not nominative

    pronoun_verb = _clause_verb(pronoun)
    candidate_verb = _clause_verb(head)
    # "Smith said he ...": the candidate speaks the clause the pronoun is in.
    speaker = (
        role == "subject" and candidate_verb.lemma_ in SPEECH_LEMMAS
        and pronoun_verb.i != candidate_verb.i and candidate_verb in list(pronoun_verb.ancestors)
    )
    # "Smith praised him": a plain pronoun object of the candidate's own verb is someone else.
    same_clause = role == "subject" and pronoun_role in ("object", "pobj") and pronoun_verb.i == candidate_verb.i

    between = {_surname(p) for p in persons
               if min(head.i, pronoun.i) < p.root.i < max(head.i, pronoun.i) and _surname(p) != _surname(candidate)}
    mentions = sum(1 for p in persons if _surname(p) == _surname(candidate))
    first_named = bool(persons) and _surname(persons[0]) == _surname(candidate)
    preceding = [p for p in persons if p.end <= pronoun.i]
    nearest = bool(preceding) and _surname(preceding[-1]) == _surname(candidate)
    preceding_subjects = [p for p in preceding if _role(p.root) == "subject"]
    nearest_subject = bool(preceding_subjects) and _surname(preceding_subjects[-1]) == _surname(candidate)
    appos = head.dep_ == "appos" or (candidate.start > 0 and doc[candidate.start - 1].text == "(")
    in_subtree = candidate.start <= pronoun.i < candidate.end or head in pronoun.ancestors

    values = [
        float(before), math.log1p(token_distance), float(sentence_distance == 0), float(sentence_distance == 1),
        math.log1p(abs(sentence_distance)),
        *(float(role == name) for name in _ROLES),
        float(nominative), float(accusative), float(possessive),
        float(role == pronoun_role), float(speaker), float(same_clause),
        float(head.dep_ in _SUBJECT and head.head.dep_ == "ROOT"),
        math.log1p(len(between)), math.log1p(mentions), float(first_named),
        float(nearest), float(nearest_subject), float(appos), float(in_subtree),
    ]
    return np.asarray(values, dtype=np.float32)


def pair_vector(parse: np.ndarray, pronoun_vector: np.ndarray, candidate_vector: np.ndarray) -> np.ndarray:
    """The pair model's input: parse features, then how the two mentions'
    contextual vectors relate (elementwise product, absolute difference and
    cosine similarity)."""
    norms = float(np.linalg.norm(pronoun_vector) * np.linalg.norm(candidate_vector))
    cosine = float(pronoun_vector @ candidate_vector) / norms if norms else 0.0
    return np.concatenate([parse, pronoun_vector * candidate_vector, np.abs(pronoun_vector - candidate_vector),
                           [cosine]]).astype(np.float32)
