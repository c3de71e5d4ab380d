"""Linguistic features of a sentence, and the claim type they imply.

These are the model's interpretable inputs: each feature has a reason a
checker can read ("contains a statistic"), and the reasons shown for a score
are the features that pushed it up most (see `model.CheckworthinessModel`).
The same function computes them for training sentences (debates, tweets) and
for article sentences, so they must depend on the sentence alone. Pure:
standard library only.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from factcheck.domain.standalone import (
    MONTHS,
    WEEKDAYS,
    capitalised_mid_sentence,
    find_claimant,
    strip_dateline,
)

__all__ = ["CLAIM_TYPES", "FEATURES", "NOT_CHECKABLE_TYPES", "Feature", "claim_type", "sentence_features"]


@dataclass(frozen=True)
class Feature:
    name: str
    reason: str  # shown to checkers when the feature raises the score


FEATURES: tuple[Feature, ...] = (
    Feature("statistic", "contains a statistic"),
    Feature("money_or_percent", "cites a percentage or a sum of money"),
    Feature("named_source", "attributed to a named source"),
    Feature("unnamed_source", "attributed to an unnamed source"),
    Feature("comparison", "compares quantities"),
    Feature("cause", "asserts a cause"),
    Feature("date", "names a specific date"),
    Feature("entities", "names specific people, places or organisations"),
    Feature("past_event", "reports a past event or change"),
    Feature("absolute", "makes a sweeping statement (all, never, only)"),
    Feature("negation", "denies or negates something"),
    Feature("quotation", "contains a quotation"),
    Feature("hedge", "uses hedged language"),
    Feature("opinion", "expresses an opinion"),
    Feature("value_judgement", "makes a value judgement"),
    Feature("evaluative", "uses evaluative language"),
    Feature("prediction", "makes a prediction"),
    Feature("first_person", "speaks in the first person"),
    Feature("second_person", "addresses the listener"),
    Feature("question", "is a question"),
    Feature("instruction", "reads as an instruction or boilerplate"),
    Feature("length", "is long and detailed"),
)

#: Claim types, in the order they are tested (first match wins). ``pledge`` (a commitment or
#: announcement with a figure or deadline) needs the sentence's structure: `types.classify`.
CLAIM_TYPES = ("pledge", "prediction", "opinion", "statistic", "quote", "causal", "comparison", "other")
#: A fact-checker cannot rate the future or a matter of taste, so these types
#: stay out of the queue's pool unless a checker asks for them.
NOT_CHECKABLE_TYPES = frozenset({"prediction", "opinion"})

# Dates, clock times and reference numbers contain digits without being
# statistics; they are blanked out before looking for numbers.
_NON_STATISTIC_NUMBERS = re.compile(
    rf"\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\b"
    r"|(?<![$£€\d.,])\b(?:1[5-9]|20)\d\d(?:s|'s|’s)?\b(?!\s*(?:%|percent|per cent))"
    r"|\b\d{1,2}(?::\d\d)?\s*(?:[ap]\.m\.|[ap]m\b)|\b\d{1,2}:\d\d\b"
    r"|\bNo\.\s*\d+"
)
_NUMBER = re.compile(r"(?<![^\W\d_])(?<!-)\d")
_NUMBER_WORDS = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"trillions?|dozens?|half|a third|a quarter|percent|per cent)\b",
    re.IGNORECASE,
)
_MONEY_OR_PERCENT = re.compile(
    r"[$£€¥]\s?\d|\d\s?%|\b(?:percent|per cent|dollars?|euros?|pounds?|cents?)\b", re.IGNORECASE
)
# "May" counts only as "May 5" or "in May": otherwise it may be a name.
_SPECIFIC_DATE = re.compile(
    r"\b(?:(?:January|February|March|April|June|July|August|September|October|November|"
    rf"December|{WEEKDAYS})\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.|"
    r"May(?=\s+\d))|(?<=in )May\b"
    r"|(?<![$£€\d.,])\b(?:1[5-9]|20)\d\d(?:s)?\b(?!\s*(?:%|percent))"
)
_COMPARISON = re.compile(
    r"\b(?:(?:more|less|fewer|worse|(?!rather\b|other\b)\w+er)\s+than|compared (?:with|to)|"
    r"relative to|versus|vs|up from|down from|twice|three times|doubled|tripled|halved|"
    r"outnumber\w*|exceed\w*|surpass\w*|record|all-time|highest|lowest|largest|smallest|"
    r"biggest|fastest|slowest|oldest|youngest|longest|shortest|deadliest|worst|richest|"
    r"poorest|busiest|hottest|coldest|wettest|driest|strongest|weakest|most|least)\b",
    re.IGNORECASE,
)
_CAUSE = re.compile(
    r"\b(?:caused|causes|causing|because|led to|leads to|leading to|due to|resulted in|"
    r"results in|as a result of|triggered|blamed (?:on|for)|responsible for|contributed to|"
    r"linked to|thanks to|owing to|driven by|fuell?ed by|stems? from|stemmed from|"
    r"therefore|consequently)\b",
    re.IGNORECASE,
)
_PAST_EVENT = re.compile(
    r"\b(?:rose|risen|fell|fallen|grew|grown|dropped|declined|increased|decreased|reached|"
    r"surged|plunged|jumped|slumped|climbed|killed|died|injured|won|lost|voted|passed|"
    r"approved|rejected|signed|vetoed|announced|reported|recorded|found|spent|cost|paid|"
    r"raised|cut|arrested|charged|convicted|sentenced|fined|sued|banned|launched|opened|"
    r"closed|built|hired|fired|resigned|elected|appointed|acquired|bought|sold|earned|"
    r"received|published|released|introduced|founded|ended|began|started)\b",
    re.IGNORECASE,
)
_ABSOLUTE = re.compile(
    r"\b(?:all|every|everyone|everybody|never|always|nobody|none|nothing|only|entire|"
    r"whole|any|ever)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor)\b|n['’]t\b", re.IGNORECASE)
_QUOTATION = re.compile(r"[\"“”]")
_HEDGE = re.compile(
    r"(?i:\b(?:might|could|perhaps|possibly|reportedly|allegedly|apparently|likely|unlikely|"
    r"probably|seems?|seemed|appears? to|appeared to|suggests?|suggested|rumou?red|"
    r"it is believed|some say)\b)|\bmay\b"  # "may" only in lower case: "May" is also a month
)
_FIRST_PERSON_OPINION = re.compile(
    r"\b(?:i|we)\s+(?:think|believe|feel|guess|suppose|reckon|hope|love|hate|prefer)\b"
    r"|\bin (?:my|our) (?:opinion|view)\b|\bi(?:['’]m| am) (?:sure|convinced|certain)\b"
    r"|\bpersonally\b|\bfrankly\b|\bi(?:['’]d| would) say\b",
    re.IGNORECASE,
)
_VALUE_JUDGEMENT = re.compile(r"\b(?:should|ought to|must)\b", re.IGNORECASE)
_EVALUATIVE = re.compile(
    r"\b(?:wonderful|beautiful|amazing|awesome|terrible|awful|horrible|great|fantastic|"
    r"lovely|brilliant|disgraceful|shameful|outrageous|ridiculous|stupid|pathetic|"
    r"disgusting|delightful|magnificent|gorgeous|incredible|appalling|disaster|"
    r"disastrous|tremendous|beautifully|sad|nice)\b"
    # Case-sensitive: "Great Wall" and "Sad Hill" are names, not judgements.
    r"|^[Ww]hat an?\b|!$"
)
_PREDICTION = re.compile(
    r"\b(?:will|won['’]t|shall|(?:is|are) (?:expected|projected|forecast|likely|set|going) to|"
    r"forecasts?|plans? to|next (?:year|month|week|decade))\b|['’]ll\b"
    r"|\bif\b[^.;]*\b(?:would|could|might)\b|\b(?:would|could|might)\b[^.;]*\bif\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|we|us|our)\b|\bI['’]")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours)\b", re.IGNORECASE)
_CLOSERS = re.escape("\"'”’»)]")
_QUESTION = re.compile(f"\\?[!?]*[{_CLOSERS}]*$")
_INSTRUCTION = re.compile(
    r"^(?:click|tap|sign up|subscribe|follow|read|watch|listen|share|download|join|visit|"
    r"call|email|contact|register|log in|see)(?=\s)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_DATE_WORDS = frozenset(f"{MONTHS}|{WEEKDAYS}".lower().split("|"))
# Sentences run from a few words to ~60; the log keeps the feature in 0..~1.
_LENGTH_SCALE = math.log(64)


def _has_statistic(sentence: str) -> bool:
    without_dates = _NON_STATISTIC_NUMBERS.sub(" ", sentence)
    return bool(_NUMBER.search(without_dates) or _NUMBER_WORDS.search(sentence))


def _names_entities(sentence: str) -> bool:
    return any(word.lower() not in _DATE_WORDS for word in capitalised_mid_sentence(sentence))


def sentence_features(sentence: str) -> dict[str, float]:
    """The value of every feature in `FEATURES` for one sentence (0/1, and a
    length in 0..~1); a leading dateline is not content and is ignored."""
    body = strip_dateline(sentence.strip())
    claimant, reports_speech = find_claimant(body)
    opinion = bool(_FIRST_PERSON_OPINION.search(body))
    values = {
        "statistic": _has_statistic(body),
        "money_or_percent": bool(_MONEY_OR_PERCENT.search(body)),
        "named_source": claimant is not None,
        "unnamed_source": reports_speech and claimant is None,
        "comparison": bool(_COMPARISON.search(body)),
        "cause": bool(_CAUSE.search(body)),
        "date": bool(_SPECIFIC_DATE.search(body)),
        "entities": _names_entities(body),
        "past_event": bool(_PAST_EVENT.search(body)),
        "absolute": bool(_ABSOLUTE.search(body)),
        "negation": bool(_NEGATION.search(body)),
        "quotation": bool(_QUOTATION.search(body)),
        "hedge": bool(_HEDGE.search(body)),
        "opinion": opinion,
        "value_judgement": bool(_VALUE_JUDGEMENT.search(body)),
        "evaluative": bool(_EVALUATIVE.search(body)),
        "prediction": bool(_PREDICTION.search(body)),
        "first_person": bool(_FIRST_PERSON.search(body)) and not opinion,
        "second_person": bool(_SECOND_PERSON.search(body)),
        "question": bool(_QUESTION.search(body)),
        "instruction": bool(_INSTRUCTION.search(body)),
        "length": math.log1p(len(_WORD.findall(body))) / _LENGTH_SCALE,
    }
    return {name: float(value) for name, value in values.items()}


def claim_type(features: dict[str, float]) -> str:
    """The kind of claim, which decides whether it can be checked at all.

    A prediction stays a prediction even with a number in it ("will fall to 3
    percent"): the future cannot be checked. An opinion is a sentence whose
    only content is a judgement; one that also states a fact is typed by the
    fact.
    """
    factual = any(features[name] for name in ("statistic", "date", "past_event", "comparison", "cause"))
    if features["prediction"]:
        return "prediction"
    if (features["opinion"] or features["value_judgement"] or features["evaluative"]) and not factual:
        return "opinion"
    if features["statistic"]:
        return "statistic"
    if features["quotation"] or features["named_source"] or features["unnamed_source"]:
        return "quote"
    if features["cause"]:
        return "causal"
    if features["comparison"]:
        return "comparison"
    return "other"
