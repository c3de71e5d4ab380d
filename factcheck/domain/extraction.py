"""Turn a news article's text into checkable claims.

This is a pure module (standard library and pysbd only) so that the web app,
batch jobs and tests can all call it without Flask, a database or a model.

The pipeline is: split the text into sentences whose character spans slice the
original text exactly (so reviewers can highlight them in the article), drop
what cannot be a claim (headlines, bylines, teasers, captions, boilerplate,
questions, fragments, pure opinion), then score what is left with a
transparent weighted heuristic. The heuristic is v1: a trained model will
replace `score_sentence`, so every feature carries a human-readable reason that
reviewers can see and that a later model can be compared against.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import pysbd

__all__ = [
    "ExtractedClaim",
    "Sentence",
    "extract_claims",
    "score_sentence",
    "split_sentences",
]


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # invariant: article_text[start:end] == text, no leading/trailing whitespace


@dataclass(frozen=True)
class ExtractedClaim:
    start: int
    end: int
    sentence: str  # invariant: article_text[start:end] == sentence
    standalone_text: str
    claimant: str | None
    checkworthiness: float  # 0..1, rounded to 3 decimals
    reasons: tuple[str, ...]
    claim_type: str  # statistic, quote, causal, comparison, prediction, opinion or other


# ---------------------------------------------------------------------------
# Sentence splitting
# ---------------------------------------------------------------------------

_LINE_BREAK_CHARS = "\r\n\u2028\u2029"
_LINE = re.compile(f"[^{_LINE_BREAK_CHARS}]+")
_LINE_BREAK = re.compile(f"\r\n|[{_LINE_BREAK_CHARS}]")
# Turning line breaks into spaces keeps every offset valid while letting pysbd
# read a hard-wrapped sentence as one sentence.
_BREAKS_TO_SPACES = {ord(char): " " for char in _LINE_BREAK_CHARS}
_CLOSERS = re.escape("\"'”’»)]")  # for use inside a character class
_ENDS_SENTENCE = re.compile(f"[.!?…][{_CLOSERS}]*$")
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"“”]+?(?=[.,;:!?)\]'’”\"]*(?:\s|$))"
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_CLOCK_SUFFIX = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
# pysbd treats "a.m." before a capitalised word as a sentence end, which is
# wrong for "10 a.m. ET" and "9 a.m. Tuesday".
_AFTER_CLOCK_TIME = re.compile(
    rf"(?:[A-Z]{{1,2}}[SD]?T|GMT|UTC|CET|CEST|BST|{_WEEKDAYS}|{_MONTHS})\b"
)
# pysbd keeps "Washington, D.C. The city ..." together; an initialism followed
# by a word that only ever opens a sentence is a safe place to split.
_INITIALISM_BEFORE_SENTENCE = re.compile(
    r"\b(?:[A-Z]\.){2,}(?=\s+(?:The|A|An|It|He|She|They|We|This|That|These|"
    r"Those|But|His|Her|Their|Its|There|In|On|At)\s)"
)

# A paragraph longer than this is cut before pysbd sees it (see `_chunks`), at
# a full stop after a word of four or more lower-case letters and before a
# capital: no abbreviation pysbd protects ends like that except "Calif.".
_MAX_PYSBD_CHARS = 2000
_SAFE_CUT = re.compile(r"(?<=[a-z]{4}[.!?])(?<!Calif\.)\s+(?=[A-Z])")

_thread_local = threading.local()


def _segmenter() -> pysbd.Segmenter:
    """One segmenter per thread: `Segmenter.segment` stores the text being
    split on the instance, so sharing one across request threads would mix
    articles up. Building it is not free, so it is reused within a thread."""
    segmenter = getattr(_thread_local, "segmenter", None)
    if segmenter is None:
        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        _thread_local.segmenter = segmenter
    return segmenter


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs/lines, stripped of surrounding whitespace.

    Headlines, bylines and teaser lines have no final period, so every line
    break ends a block; the one exception is a hard-wrapped sentence (the line
    has no final punctuation and the next line starts in lower case), which is
    kept in one block so it is not cut in half.
    """
    blocks: list[tuple[int, int]] = []
    previous_line_start = previous_line_end = None
    for line in _LINE.finditer(text):
        content = line.group().strip()
        if not content:
            previous_line_end = None  # a whitespace-only line ends a paragraph
            continue
        start = line.start() + (len(line.group()) - len(line.group().lstrip()))
        end = start + len(content)
        soft_wrap = (
            previous_line_end is not None
            and len(_LINE_BREAK.findall(text, previous_line_end, start)) == 1
            and not _ENDS_SENTENCE.search(text, previous_line_start, previous_line_end)
            and not text.endswith(":", previous_line_start, previous_line_end)
            and content[0].islower()
        )
        if soft_wrap:
            blocks[-1] = (blocks[-1][0], end)
        else:
            blocks.append((start, end))
        previous_line_start, previous_line_end = start, end
    return blocks


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    start += len(piece) - len(piece.lstrip())
    return start, start + len(stripped)


def _chunks(block: str) -> list[tuple[int, int]]:
    """Cut a long paragraph into pieces of about `_MAX_PYSBD_CHARS` at safe
    sentence ends, because pysbd's abbreviation pass slows down faster than
    linearly (an 8,000-word paragraph took over a second in one piece)."""
    chunks: list[tuple[int, int]] = []
    start, last_cut = 0, None
    for cut in _SAFE_CUT.finditer(block):
        if last_cut is not None and cut.start() - start > _MAX_PYSBD_CHARS:
            chunks.append((start, last_cut.start()))
            start = last_cut.end()
        last_cut = cut
    chunks.append((start, len(block)))
    return chunks


def _segment_block(block: str) -> list[tuple[int, int]]:
    """Sentence spans inside one block, relative to the block.

    pysbd's spans include trailing whitespace and pysbd silently drops any
    sentence it cannot find again in the input, so its spans are only trusted
    after checking them, and any text it left out becomes a sentence of its own
    rather than disappearing from the article.
    """
    # Masking keeps lengths, so offsets found in `masked` are valid in `block`.
    masked = _URL.sub(lambda match: "x" * len(match.group()), block.translate(_BREAKS_TO_SPACES))
    spans: list[tuple[int, int]] = []

    def add_stripped(start: int, end: int) -> None:
        span = _strip_span(masked, start, end)
        if span:
            spans.append(span)

    for chunk_start, chunk_end in _chunks(masked):
        cursor = chunk_start
        for segment in _segmenter().segment(masked[chunk_start:chunk_end]):
            sentence = segment.sent.strip()
            if not sentence:
                continue
            leading_space = len(segment.sent) - len(segment.sent.lstrip())
            start = chunk_start + segment.start + leading_space
            if start < cursor or masked[start : start + len(sentence)] != sentence:
                start = masked.find(sentence, cursor, chunk_end)
                if start < 0:
                    continue  # its text is picked up as part of the next gap
            add_stripped(cursor, start)
            spans.append((start, start + len(sentence)))
            cursor = start + len(sentence)
        add_stripped(cursor, chunk_end)
    return _split_after_initialisms(_merge_continuations(spans, masked), masked)


def _merge_continuations(spans: list[tuple[int, int]], block: str) -> list[tuple[int, int]]:
    """Undo pysbd splits that leave a fragment that cannot start a sentence:
    one starting with a lower-case word ("vs. 2.9 pct.", "a year earlier."),
    or a time zone/day after "a.m."/"p.m."."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        piece = block[start:end]
        first_word = piece.split(None, 1)[0]
        continues = merged and (
            (first_word[0].isalpha() and first_word.islower())
            or (
                _CLOCK_SUFFIX.search(block, merged[-1][0], merged[-1][1])
                and _AFTER_CLOCK_TIME.match(piece)
            )
        )
        if continues:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _split_after_initialisms(spans: list[tuple[int, int]], block: str) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in spans:
        for match in _INITIALISM_BEFORE_SENTENCE.finditer(block, start, end):
            result.append((start, match.end()))
            start = _strip_span(block, match.end(), end)[0]
        result.append((start, end))
    return result


def _sentences_in(text: str, block_start: int, block_end: int) -> list[Sentence]:
    block = text[block_start:block_end]
    return [
        Sentence(block_start + start, block_start + end, block[start:end])
        for start, end in _segment_block(block)
    ]


def split_sentences(text: str) -> list[Sentence]:
    """Split news text into sentences with exact character spans.

    Every returned sentence satisfies `text[s.start:s.end] == s.text` and has
    no surrounding whitespace; lines without final punctuation (headlines,
    bylines) are sentences of their own.
    """
    return [
        sentence
        for block_start, block_end in _blocks(text)
        for sentence in _sentences_in(text, block_start, block_end)
    ]


# ---------------------------------------------------------------------------
# What is not a claim
# ---------------------------------------------------------------------------

_MIN_WORDS = 5
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_QUESTION = re.compile(f"\\?[!?]*[{_CLOSERS}]*$")
_BYLINE_START = re.compile(r"^by\s+", re.IGNORECASE)
_BYLINE_TOKEN = re.compile(r"[^\s,;|&/]+")
_BYLINE_LOWERCASE_WORDS = frozenset(
    "and in for the of at de van von staff reporter reporters correspondent "
    "writer writers editor".split()
)
_CREDITS_LINE = re.compile(
    r"^(?:additional\s+)?(?:reporting|writing|editing|research|compiled|graphics|"
    r"produced|translated)\s+by\b|^contribut(?:ing|ors?)\s*:",
    re.IGNORECASE,
)
_TEASER = re.compile(
    r"^(?:read more|read also|also read|more reading|related(?:\s+(?:coverage|stories|"
    r"articles|content|reading|links?))?|see also|watch|listen|more on this(?: story)?|"
    r"recommended(?: stories)?|most read|trending)\s*(?:[:|»›>\-–—]|$)",
    re.IGNORECASE,
)
_CAPTION_START = re.compile(
    r"^\(?\s*(?:photo|photograph|image|picture|video|caption|image caption|file photo|"
    r"credit|photo credit|image credit|illustration)s?\s*(?:[:|\-–—]|by\b)"
    r"|^(?:image|media) (?:caption|source|copyright)\b",  # BBC style, no colon
    re.IGNORECASE,
)
# Case-sensitive on purpose: "a Reuters/Ipsos poll found ..." is a claim, while
# credits are written "REUTERS/Kevin Lamarque" or "(Jae C. Hong/AP)".
_CREDIT_ANYWHERE = re.compile(
    r"\b(?:AP Photo|REUTERS|AFP|EPA(?:-EFE)?)/"
    r"|\(\s*(?i:photo|photograph|picture|image)s?\s+(?:by|credit)\b"
    r"|/\s*(?:Getty Images|AP|AFP|Reuters|EPA(?:-EFE)?|Shutterstock|Bloomberg)"
    r"(?:\s+via\s+Getty Images)?\)?\s*$|\bGetty Images\)?\s*$"
)
_BOILERPLATE = re.compile(
    r"^(?:sign up|subscribe|follow (?:us|me)\b|click here|copyright|©|all rights reserved|"
    r"download (?:our|the)|share (?:this|on)|advertisement|"
    rf"(?:last\s+)?(?:updated|published|posted)(?:\s*:|\s+\d|\s+(?:{_MONTHS})\b)|"
    r"this (?:article|story) (?:was|first|originally))"
    r"|\b(?:all rights reserved|click here|sign up (?:for|to)|subscribe (?:to|for) (?:our|the)|"
    r"follow us on|contributed to this report|originally (?:published|appeared))\b|©",
    re.IGNORECASE,
)


def _is_byline(line: str) -> bool:
    """ "By Jane Doe and John Roe, Reuters" is a byline; "By Monday, officials
    had left." is not, so every word after "By" must look like part of a name."""
    match = _BYLINE_START.match(line)
    if not match:
        return False
    tokens = _BYLINE_TOKEN.findall(line[match.end() :].rstrip("."))
    return 0 < len(tokens) <= 12 and all(
        token[0].isupper() or token.lower() in _BYLINE_LOWERCASE_WORDS for token in tokens
    )


def _is_non_claim_line(line: str) -> bool:
    """Whole lines that are page furniture: every sentence in them is dropped,
    e.g. a caption's descriptive sentence before its "(AP Photo/...)" credit."""
    return bool(
        _is_byline(line)
        or _CREDITS_LINE.search(line)
        or _TEASER.search(line)
        or _CAPTION_START.search(line)
        or _CREDIT_ANYWHERE.search(line)
    )


def _is_non_claim_sentence(sentence: str) -> bool:
    """Sentences that cannot be checked whatever their wording scores:
    headlines and datelines (no final punctuation), questions, fragments,
    furniture that ended up inside a paragraph."""
    return bool(
        not _ENDS_SENTENCE.search(sentence)
        or _QUESTION.search(sentence)
        or len(_WORD.findall(sentence)) < _MIN_WORDS
        or _is_non_claim_line(sentence)
        or _BOILERPLATE.search(sentence)
    )


# ---------------------------------------------------------------------------
# Claimant detection
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
_DATE_WORDS = frozenset(f"{_MONTHS}|{_WEEKDAYS}".lower().split("|"))


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


def _find_claimant(sentence: str) -> tuple[str | None, bool]:
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


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------

STATISTIC = "contains a statistic"
NAMED_SOURCE = "attributed to a named source"
UNNAMED_SOURCE = "attributed to an unnamed source"
COMPARISON = "compares quantities"
CAUSE = "asserts a cause"
DATE = "names a specific date"
ENTITIES = "names specific people, places or organisations"
PAST_EVENT = "reports a past event or change"
HEDGE = "hedged language lowers confidence"
OPINION = "expresses an opinion"
VALUE_JUDGEMENT = "makes a value judgement"
EVALUATIVE = "uses evaluative language"
PREDICTION = "makes a prediction"
QUESTION = "is a question"
INSTRUCTION = "reads as an instruction or boilerplate"

# Logistic model: score = 1 / (1 + exp(-(_BIAS + sum of fired weights))).
# The bias puts a sentence with no features at ~0.18, below the default
# threshold: a sentence has to say something checkable to be kept.
_BIAS = -1.5
_WEIGHTS: dict[str, float] = {
    STATISTIC: 2.0,
    NAMED_SOURCE: 1.2,
    UNNAMED_SOURCE: 0.4,
    COMPARISON: 1.0,
    CAUSE: 1.2,
    DATE: 0.6,
    ENTITIES: 0.7,
    PAST_EVENT: 0.6,
    HEDGE: -1.0,
    OPINION: -2.0,
    VALUE_JUDGEMENT: -1.0,
    EVALUATIVE: -1.0,
    PREDICTION: -0.7,
    QUESTION: -2.5,
    INSTRUCTION: -2.0,
}
_CHECKABLE_REASONS = frozenset(
    {STATISTIC, NAMED_SOURCE, UNNAMED_SOURCE, COMPARISON, CAUSE, DATE, ENTITIES, PAST_EVENT}
)
_OPINION_REASONS = frozenset({OPINION, VALUE_JUDGEMENT, EVALUATIVE})

_DATELINE = re.compile(
    rf"^(?=[A-Z]{{3}})[A-Z][A-Z.'’\- ]+[A-Z.](?:,\s*(?:{_MONTHS})\.?\s+\d{{1,2}})?"
    r"\s*(?:\([^()]{2,40}\))?\s*[-—–]+\s+"
)
# Dates, clock times and reference numbers contain digits without being
# statistics; they are blanked out before looking for numbers.
_NON_STATISTIC_NUMBERS = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b"
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
# "May" counts only as "May 5" or "in May": otherwise it may be a name.
_SPECIFIC_DATE = re.compile(
    r"\b(?:(?:January|February|March|April|June|July|August|September|October|November|"
    rf"December|{_WEEKDAYS})\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.|"
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
_VALUE_JUDGEMENT = re.compile(r"\b(?:should|ought to)\b", re.IGNORECASE)
_EVALUATIVE = re.compile(
    r"\b(?:wonderful|beautiful|amazing|awesome|terrible|awful|horrible|great|fantastic|"
    r"lovely|brilliant|disgraceful|shameful|outrageous|ridiculous|stupid|pathetic|"
    r"disgusting|delightful|magnificent|gorgeous|incredible|appalling)\b"
    r"|^what an?\b|!$"
)
_PREDICTION = re.compile(
    r"\b(?:will|won['’]t|shall|(?:is|are) (?:expected|projected|forecast|likely|set|going) to|"
    r"forecasts?|plans? to|next (?:year|month|week|decade))\b",
    re.IGNORECASE,
)
_INSTRUCTION = re.compile(
    r"^(?:click|tap|sign up|subscribe|follow|read|watch|listen|share|download|join|visit|"
    r"call|email|contact|register|log in|see)(?=\s)",
    re.IGNORECASE,
)
_WORD_WITH_POSITION = re.compile(r"[^\W\d_][\w'’\-]*")
_FIRST_PERSON_I = frozenset(
    {"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"}
)
_QUOTE_MARK = re.compile(r"[\"“”]")


@dataclass(frozen=True)
class _Analysis:
    reasons: tuple[str, ...]
    score: float
    claimant: str | None
    claim_type: str


def _capitalised_mid_sentence(sentence: str) -> list[str]:
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


def _has_statistic(sentence: str) -> bool:
    without_dates = _NON_STATISTIC_NUMBERS.sub(" ", sentence)
    return bool(_NUMBER.search(without_dates) or _NUMBER_WORDS.search(sentence))


def _names_entities(sentence: str) -> bool:
    return any(word.lower() not in _DATE_WORDS for word in _capitalised_mid_sentence(sentence))


def _claim_type(reasons: tuple[str, ...], quoted: bool) -> str:
    if STATISTIC in reasons:
        return "statistic"
    if quoted or NAMED_SOURCE in reasons or UNNAMED_SOURCE in reasons:
        return "quote"
    if CAUSE in reasons:
        return "causal"
    if COMPARISON in reasons:
        return "comparison"
    if PREDICTION in reasons:
        return "prediction"
    if _OPINION_REASONS.intersection(reasons):
        return "opinion"
    return "other"


def _analyse(sentence: str) -> _Analysis:
    body = _DATELINE.sub("", sentence.strip())  # a dateline is not content
    claimant, reports_speech = _find_claimant(body)
    checks = (
        (STATISTIC, _has_statistic(body)),
        (NAMED_SOURCE, claimant is not None),
        (UNNAMED_SOURCE, reports_speech and claimant is None),
        (COMPARISON, bool(_COMPARISON.search(body))),
        (CAUSE, bool(_CAUSE.search(body))),
        (DATE, bool(_SPECIFIC_DATE.search(body))),
        (ENTITIES, _names_entities(body)),
        (PAST_EVENT, bool(_PAST_EVENT.search(body))),
        (HEDGE, bool(_HEDGE.search(body))),
        (OPINION, bool(_FIRST_PERSON_OPINION.search(body))),
        (VALUE_JUDGEMENT, bool(_VALUE_JUDGEMENT.search(body))),
        (EVALUATIVE, bool(_EVALUATIVE.search(body))),
        (PREDICTION, bool(_PREDICTION.search(body))),
        (QUESTION, bool(_QUESTION.search(body))),
        (INSTRUCTION, bool(_INSTRUCTION.search(body))),
    )
    reasons = tuple(reason for reason, fired in checks if fired)
    logit = _BIAS + sum(_WEIGHTS[reason] for reason in reasons)
    score = round(1.0 / (1.0 + math.exp(-logit)), 3)
    claim_type = _claim_type(reasons, quoted=bool(_QUOTE_MARK.search(body)))
    return _Analysis(reasons, score, claimant, claim_type)


def score_sentence(sentence: str) -> tuple[float, tuple[str, ...], str]:
    """Score how worth checking a sentence is: (score in (0, 1), reasons, claim_type).

    Each fired feature adds its weight in `_WEIGHTS` to a logit; the reasons
    list every fired feature, positive ones first, so a reviewer can see why.
    """
    analysis = _analyse(sentence)
    return analysis.score, analysis.reasons, analysis.claim_type


# ---------------------------------------------------------------------------
# Standalone text
# ---------------------------------------------------------------------------

# Words that are never names even when an article capitalises them mid-sentence
# (as in "The New York Times"), so a quotation starting with them is lowered.
_CLOSED_CLASS_WORDS = _LEADING_NON_NAME_WORDS | _PRONOUNS | frozenset(
    "our my your his her their its there these those we us".split()
)
_PERSONAL_PRONOUN = re.compile(
    r"\b(?:I|me|my|mine|we|us|our|ours|you|your|yours)\b|\bI['’]", re.IGNORECASE
)
_WRAPPING_QUOTES = {'"': '"', "“": "”", "‘": "’"}
_REPORTED_VERBS = "said|says|added|wrote|explained|noted|argued|warned|insisted"
_QUOTE_THEN_ATTRIBUTION = re.compile(
    r"^[\"“](?P<quote>[^\"“”]+?),[\"”]\s+(?:"
    rf"(?P<speaker>{_NAME})\s+(?P<verb>{_REPORTED_VERBS}|told)"
    r"(?P<tail>(?:\s+[^\s\"“”,.]+){0,6})"
    rf"|(?P<verb_first>{_REPORTED_VERBS})\s+(?P<speaker_last>{_NAME}))\.$"
)


def _unwrap_quotes(text: str) -> str:
    """Remove quote marks around the whole sentence, but only when they are the
    only ones, so that two separate quotations are never merged into one."""
    if len(text) >= 2 and _WRAPPING_QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if not any(mark in inner for mark in (text[0], text[-1])):
            return inner.strip()
    return text


def _lowercase_first_word(text: str, proper_words: frozenset[str]) -> str:
    """Lower-case the quote's first word when it is capitalised only because it
    opened the quotation; names ("Smith"), acronyms and "I" stay as they are."""
    first = _WORD_WITH_POSITION.match(text)
    if not first:
        return text
    word = first.group()
    is_name = word in proper_words and word.lower() not in _CLOSED_CLASS_WORDS
    if word in _FIRST_PERSON_I or is_name or sum(c.isupper() for c in word) > 1:
        return text
    return text[0].lower() + text[1:]


def _standalone_text(sentence: str, claimant: str | None, proper_words: frozenset[str]) -> str:
    """v1: the sentence with whitespace collapsed and its dateline and wrapping
    quote marks removed; a quotation followed by a named attribution is turned
    into reported speech. Anything less clear-cut is left as written."""
    text = _unwrap_quotes(_DATELINE.sub("", " ".join(sentence.split())))
    match = _QUOTE_THEN_ATTRIBUTION.match(text)
    # In reported speech "we"/"I"/"you" would read as the newsroom's words.
    if not match or claimant is None or _PERSONAL_PRONOUN.search(match.group("quote")):
        return text
    quote = _lowercase_first_word(match.group("quote").strip(), proper_words)
    if match.group("verb_first"):
        lead = f"{match.group('speaker_last')} {match.group('verb_first')}"
    else:
        tail = match.group("tail")
        lead = f"{match.group('speaker')} {match.group('verb')}{tail}"
        if tail or match.group("verb") == "told":
            lead += " that"
    return f"{lead[0].upper()}{lead[1:]} {quote}."


def _article_proper_words(sentences: list[Sentence]) -> frozenset[str]:
    """Words the article itself capitalises mid-sentence: its proper nouns."""
    return frozenset(
        word for sentence in sentences for word in _capitalised_mid_sentence(sentence.text)
    )


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


def extract_claims(text: str, *, min_score: float = 0.35) -> list[ExtractedClaim]:
    """Return the checkable claims of an article in document order.

    Page furniture, questions, fragments and opinion without checkable content
    are dropped whatever their score; the rest is kept when its
    checkworthiness is at least `min_score`.
    """
    blocks = [
        (text[start:end], _sentences_in(text, start, end)) for start, end in _blocks(text)
    ]
    proper_words = _article_proper_words(
        [sentence for _, sentences in blocks for sentence in sentences]
    )
    claims: list[ExtractedClaim] = []
    for line, sentences in blocks:
        if _is_non_claim_line(line):
            continue
        for sentence in sentences:
            if _is_non_claim_sentence(sentence.text):
                continue
            analysis = _analyse(sentence.text)
            pure_opinion = _OPINION_REASONS.intersection(analysis.reasons) and not (
                _CHECKABLE_REASONS.intersection(analysis.reasons)
            )
            if pure_opinion or analysis.score < min_score:
                continue
            claims.append(
                ExtractedClaim(
                    start=sentence.start,
                    end=sentence.end,
                    sentence=sentence.text,
                    standalone_text=_standalone_text(
                        sentence.text, analysis.claimant, proper_words
                    ),
                    claimant=analysis.claimant,
                    checkworthiness=analysis.score,
                    reasons=analysis.reasons,
                    claim_type=analysis.claim_type,
                )
            )
    return claims
