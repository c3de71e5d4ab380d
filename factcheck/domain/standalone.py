"""Sentence-level helpers for claim wording: speech attribution cues, datelines,
proper words, and splitting a sentence that joins two checkable assertions.

Pure (standard library only). The check-worthiness features use
`find_claimant` and `capitalised_mid_sentence` as cues; who a claim's
claimant is and how it is reworded to stand alone is decided on a parse, in
`factcheck.coref.reading`, not here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "Clause",
    "capitalised_mid_sentence",
    "find_claimant",
    "split_assertions",
    "strip_dateline",
]

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"

_DATELINE = re.compile(
    rf"^(?=[A-Z]{{3}})[A-Z][A-Z.'’\- ]+[A-Z.](?:,\s*(?:{MONTHS})\.?\s+\d{{1,2}})?"
    r"\s*(?:\([^()]{2,40}\))?\s*[-—–]+\s+"
)


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading "WASHINGTON (Reuters) —" dateline."""
    return _DATELINE.sub("", sentence)


# ---------------------------------------------------------------------------
# Names and claimants
# ---------------------------------------------------------------------------

# Python's re has no \p{Lu}; this covers Latin (with accents), Greek and
# Cyrillic capitals so that names such as "Núñez" or "Łukasz" are recognised.
_UPPER = "[" + re.escape("".join(c for c in map(chr, range(0x530)) if c.isupper())) + "]"
_NAME_TOKEN = rf"{_UPPER}(?:[\w'’\-]|\.(?=\w))*\.?"
_NAME_CONNECTOR = r"(?:of|for|and|on|de|da|del|der|van|von|bin|al|le|la|du|y)"
_NAME = rf"(?:the\s+)?{_NAME_TOKEN}(?:\s+(?:{_NAME_CONNECTOR}\s+(?:the\s+)?)?{_NAME_TOKEN})*"
_SPEECH_VERBS = (
    "said|says|told|tells|stated|added|noted|wrote|writes|argued|argues|claimed|claims|"
    "announced|explained|insisted|warned|tweeted|acknowledged|confirmed|reported|"
    "estimated|estimates|testified|declared|asserted|maintained|contended|countered|"
    "replied|responded|predicted|concluded|recalled|admitted|denied|alleged|asked|"
    "conceded|emphasized|emphasised|stressed"
)
_SPEAKER_THEN_VERB = re.compile(
    rf"(?P<name>{_NAME})(?:\s*,\s*[^,\"“”]{{2,80}}?,)?"
    r"(?:\s+(?:has|had|have|also|later|previously|earlier|repeatedly|then))*"
    rf"\s+(?:{_SPEECH_VERBS})\b"
)
_VERB_THEN_SPEAKER = re.compile(
    r"\b(?:said|says|added|wrote|explained|noted|argued|warned|insisted)"
    rf"\s+(?P<name>{_NAME})(?=\s*(?:[,.;:!?]|$)|\s+(?:in|on|at|during|after|who|from)\b)"
)
_ACCORDING_TO = re.compile(
    r"\baccording to\s+(?:(?:new\s+|recent\s+|official\s+|preliminary\s+)?"
    r"(?:data|figures|estimates|statistics|a report|a study|a survey|a statement|a poll|"
    r"an analysis|documents|records|research|a spokesman|a spokeswoman|a spokesperson)"
    rf"\s+(?:from|by|for|at|released by|published by)\s+)?(?P<name>{_NAME})"
)
_ATTRIBUTION = re.compile(rf"\baccording to\b|\b(?:{_SPEECH_VERBS})\b")
_QUOTED_PASSAGE = re.compile(r"“[^“”]*”|\"[^\"]*\"")
_NAME_SUFFIX_ABBREVIATIONS = frozenset({"Jr.", "Sr.", "Inc.", "Co.", "Corp.", "Ltd.", "Bros."})
_INITIALISM = re.compile(r"(?:[A-Z]\.){2,}$")
# Capitalised only because they open the sentence, not part of the name.
_LEADING_NON_NAME_WORDS = frozenset(
    "the a an but and or so yet still however meanwhile later earlier then now also in on "
    "at for from with after before when while as since last this that yesterday today "
    "tonight separately speaking here there".split()
)
_TITLES = frozenset(
    "president vice prime minister secretary gov governor sen senator rep representative "
    "mayor dr prof professor chief director ceo chairman chairwoman chair chancellor judge "
    "justice gen lt col colonel capt captain sgt sergeant officer commissioner executive "
    "spokesman spokeswoman spokesperson mr mrs ms sir dame king queen pope prince princess "
    "ambassador attorney speaker leader premier deputy assistant acting former interim "
    "coach detective inspector superintendent sheriff councilman councilwoman councillor "
    "councilor rev reverend bishop cardinal rabbi imam".split()
)
# A phrase ending in one of these names an institution ("the Justice
# Department"), so a title-like word inside it is not a title to strip.
_INSTITUTION_WORDS = frozenset(
    "department ministry office court agency committee council commission party service "
    "bureau administration government authority board house senate company".split()
)
_PRONOUNS = frozenset("he she they it we i you".split())
# Capitalised at the start of a sentence but not a *named* source.
_GENERIC_SOURCES = frozenset(
    "officials police authorities experts critics analysts researchers scientists witnesses "
    "residents sources investigators prosecutors doctors economists observers supporters "
    "opponents protesters others some many both people aides advocates organizers "
    "organisers lawyers employees workers officers neighbors neighbours parents teachers "
    "students voters locals staff".split()
)
_DATE_WORDS = frozenset(f"{MONTHS}|{WEEKDAYS}".lower().split("|"))
_WORD_WITH_POSITION = re.compile(r"[^\W\d_][\w'’\-]*")
_FIRST_PERSON_I = frozenset({"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"})


def _mask_quoted(sentence: str) -> str:
    """Blank out quoted passages (keeping offsets) so that "X said" inside a
    quotation is not taken for the attribution of the sentence itself."""
    return _QUOTED_PASSAGE.sub(
        lambda match: match.group()[0] + " " * (len(match.group()) - 2) + match.group()[-1],
        sentence,
    )


def _is_title(tokens: list[str], index: int) -> bool:
    """"Health Minister", "Secretary-General", "Attorney General": "General"
    is a title only after another title, so "General Motors" stays a name."""
    word = tokens[index].rstrip(".").lower()
    if word == "general":
        return index > 0 and _is_title(tokens, index - 1)
    return any(part in _TITLES or part.removesuffix("s") in _TITLES for part in word.split("-"))


def _clean_name(raw: str) -> str | None:
    """Reduce a matched speaker phrase to the name of who is speaking, or None
    when it is a pronoun, a generic group or a bare title ("the President")."""
    tokens = raw.split()
    last = tokens[-1]
    keeps_period = last in _NAME_SUFFIX_ABBREVIATIONS or _INITIALISM.search(last)
    if last.endswith(".") and not keeps_period:
        tokens[-1] = last[:-1]
    tokens[-1] = re.sub(r"['’]s$", "", tokens[-1])
    while tokens and (
        tokens[0].lower() in _LEADING_NON_NAME_WORDS
        or tokens[0].rstrip(".").lower() in _DATE_WORDS
    ):
        tokens.pop(0)
    if not tokens:
        return None
    title_positions = [i for i, token in enumerate(tokens) if _is_title(tokens, i)]
    if title_positions and tokens[-1].lower() not in _INSTITUTION_WORDS:
        after_title = tokens[title_positions[-1] + 1 :]
        if not after_title:
            return None
        # "Secretary of State Antony Blinken": cutting after the title would
        # leave "of State ...", so such names are kept as written.
        if not any(token.lower() in {"of", "for"} for token in after_title):
            tokens = after_title
    if len(tokens) == 1 and tokens[0].lower() in _PRONOUNS | _GENERIC_SOURCES:
        return None
    return " ".join(tokens)


def find_claimant(sentence: str) -> tuple[str | None, bool]:
    """Return (named claimant or None, whether the sentence reports speech)."""
    masked = _mask_quoted(sentence)
    if not _ATTRIBUTION.search(masked):
        return None, False
    for pattern in (_SPEAKER_THEN_VERB, _VERB_THEN_SPEAKER, _ACCORDING_TO):
        for match in pattern.finditer(masked):
            name = _clean_name(match.group("name"))
            if name:
                return name, True
    return None, True


def capitalised_mid_sentence(sentence: str) -> list[str]:
    """Words capitalised for a reason other than opening the sentence or a
    quotation: names of people, places, organisations, months and days."""
    words = []
    for index, match in enumerate(_WORD_WITH_POSITION.finditer(sentence)):
        word = match.group()
        if index == 0 or not word[0].isupper() or word in _FIRST_PERSON_I:
            continue
        before = match.start() - 1
        while before >= 0 and sentence[before].isspace():
            before -= 1
        if before >= 0 and sentence[before] in "\"“‘(:":
            continue
        words.append(word)
    return words


# ---------------------------------------------------------------------------
# Sentences that join two assertions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    start: int  # offsets into the sentence; sentence[start:end] is the clause
    end: int
    # "X said" framing the whole sentence, to repeat in front of a later
    # clause so that it keeps its attribution when it stands alone.
    speech_frame: str | None = None


_JOINT = re.compile(r"(?:,\s+(?:and|but|while|whereas)|;\s+(?:and\s+|but\s+|while\s+)?)\s*(?=\S)")
# A clause asserts something on its own when it has a subject and a finite
# verb ("the city added", "unemployment fell", "its debt is"): it must not
# start with the verb ("and added 300 jobs" shares the subject before it).
_FINITE_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|did|does|rose|fell|grew|dropped|declined|increased|"
    r"decreased|reached|added|lost|won|cost|spent|paid|killed|died|doubled|tripled|halved|"
    r"[a-z]{3,}ed)\b"
)
_VERB_FIRST = re.compile(r"^(?:\w+ing\b|\w+ed\b|to\b)|" + _FINITE_VERB.pattern)
_FRAME = re.compile(rf"^(?P<frame>{_NAME}\s+(?:{_SPEECH_VERBS})(?:\s+that)?)\s+(?=[a-z])")
_CHECKABLE_CUE = re.compile(
    r"\d|\b(?:percent|per cent|million|billion|trillion|doubled|tripled|halved|more than|"
    r"less than|fewer than|record)\b",
    re.IGNORECASE,
)


def _is_assertion(clause: str) -> bool:
    words = clause.split()
    return (
        len(words) >= 4
        and not _VERB_FIRST.match(clause)
        and bool(_FINITE_VERB.search(" ".join(words[1:7])))
        and bool(_CHECKABLE_CUE.search(clause))
    )


def split_assertions(sentence: str) -> list[Clause]:
    """Split a sentence at ", and" / "; " / ", but" / ", while" when both sides
    are checkable assertions with their own subject and verb ("Unemployment
    fell to 3 percent, and the city added 12,000 jobs."). Joints inside a
    quotation are never split. Returns one clause for the whole sentence
    when nothing is split."""
    masked = _mask_quoted(sentence)
    frame_match = _FRAME.match(masked)
    frame = frame_match.group("frame") if frame_match else None
    bounds: list[tuple[int, int]] = []
    start = 0
    for joint in _JOINT.finditer(masked):
        next_joint = _JOINT.search(masked, joint.end())
        right = sentence[joint.end() : next_joint.start() if next_joint else len(sentence)]
        left_start = frame_match.end() if frame_match and start == 0 else start
        if _is_assertion(sentence[left_start : joint.start()]) and _is_assertion(right):
            bounds.append((start, joint.start()))
            start = joint.end()
    bounds.append((start, len(sentence)))
    return [
        Clause(clause_start, clause_end, frame if index else None)
        for index, (clause_start, clause_end) in enumerate(bounds)
    ]
