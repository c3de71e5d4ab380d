"""Turn a news article's text into candidate claims, worded to stand alone.

It needs no Flask, database or web request, so the web app, batch jobs and
tests all call it; it does parse the article (spaCy, loaded once per process)
for speakers, pronouns and dates (`factcheck.coref.reading`).

The pipeline is: split the text into sentences whose character spans slice the
original text exactly (so reviewers can highlight them in the article), drop
what cannot be a claim (headlines, bylines, teasers, captions, boilerplate,
questions, fragments), split a sentence that joins two checkable assertions,
then describe each candidate: its proposed standalone wording, the rewrites
it makes and its claimant (`factcheck.coref.reading`), its linguistic features and claim type
(`factcheck.checkworthiness.features`). How worth checking a candidate is, is
the trained model's call: `factcheck.services.articles` embeds the candidates
once, scores them and keeps those above the model's threshold.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pysbd

from factcheck.checkworthiness.features import (
    NOT_CHECKABLE_TYPES,
    sentence_features,
)
from factcheck.checkworthiness.types import classify
from factcheck.coref.reading import ArticleReading, Rewrite, apply_rewrites, read_article
from factcheck.coref.reported import reported_text
from factcheck.domain.standalone import (
    MONTHS,
    WEEKDAYS,
    Clause,
    find_claimant,
    split_assertions,
    strip_dateline,
)

__all__ = [
    "ExtractedClaim",
    "Sentence",
    "extract_claims",
    "split_sentences",
]


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # invariant: article_text[start:end] == text, no leading/trailing whitespace


@dataclass(frozen=True)
class ExtractedClaim:
    """A candidate claim: where it is, how it reads alone, what kind it is."""

    start: int
    end: int
    sentence: str  # invariant: article_text[start:end] == sentence (a clause, if the sentence was split)
    standalone_text: str
    claimant: str | None
    claim_type: str  # statistic, quote, causal, comparison, pledge, prediction, opinion or other
    checkable: bool  # False for predictions and opinions
    features: Mapping[str, float]  # the model's linguistic features of `sentence`
    # How `standalone_text` differs from `sentence`: every substitution, for the checker to review.
    rewrites: tuple[Rewrite, ...] = ()
    # What the claim reports someone said, in the standalone wording, when it is reported speech ("X told
    # the audience that [the MMR vaccine causes autism]"): the matcher searches it too (coref.reported).
    reported_text: str | None = None


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
_CLOCK_SUFFIX = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
# pysbd treats "a.m." before a capitalised word as a sentence end, which is
# wrong for "10 a.m. ET" and "9 a.m. Tuesday".
_AFTER_CLOCK_TIME = re.compile(
    rf"(?:[A-Z]{{1,2}}[SD]?T|GMT|UTC|CET|CEST|BST|{WEEKDAYS}|{MONTHS})\b"
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
    rf"(?:last\s+)?(?:updated|published|posted)(?:\s*:|\s+\d|\s+(?:{MONTHS})\b)|"
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
# Extraction
# ---------------------------------------------------------------------------

_ENDS_CLAUSE = re.compile(f"[.!?…:;,][{_CLOSERS}]*$")


def _clause_wording(clause_text: str, clause_start: int, clause: Clause, claimant: str | None,
                    rewrites: list[Rewrite], split: bool) -> tuple[str, list[Rewrite]]:
    """The standalone wording of a sentence or of one clause of a split
    sentence, and the rewrites it applies (a later clause of a split sentence
    gets the sentence's speaker in front, recorded as a rewrite too)."""
    dateline = len(clause_text) - len(strip_dateline(clause_text))
    if dateline:
        rewrites = [Rewrite(clause_start, clause_start + dateline, clause_text[:dateline], "", "dateline", 1.0),
                    *[r for r in rewrites if r.start >= clause_start + dateline]]
    text = " ".join(apply_rewrites(clause_text, clause_start, rewrites).split())
    if not split:
        return text, rewrites
    text = text.rstrip(",;: ")
    if not _ENDS_CLAUSE.search(text):
        text += "."
    frame = clause.speech_frame or (f"{claimant} said" if claimant and not any(
        r.kind == "speaker" for r in rewrites) and not find_claimant(clause_text)[1] else None)
    if frame:
        lowered = text if text[:2].isupper() or text.split(" ", 1)[0] in _KEEP_CAPITALISED else text[0].lower() + text[1:]
        rewrites = [Rewrite(clause_start, clause_start, "", f"{frame} ", "subject", 1.0, claimant), *rewrites]
        return f"{frame} {lowered}", rewrites
    return text[0].upper() + text[1:], rewrites


_KEEP_CAPITALISED = frozenset({"I"})


def _claims_in(sentence: Sentence, reading: ArticleReading) -> list[ExtractedClaim]:
    claimant = reading.claimant_of(sentence.start)
    clauses = split_assertions(sentence.text)
    claims = []
    for clause in clauses:
        clause_text = sentence.text[clause.start : clause.end]
        clause_start = sentence.start + clause.start
        features = sentence_features(clause_text)
        kind = classify(clause_text, features)
        wording, rewrites = _clause_wording(
            clause_text, clause_start, clause, claimant,
            reading.rewrites_in(clause_start, clause_start + len(clause_text)), split=len(clauses) > 1)
        reported = _reported_wording(sentence, clause_start, clause_start + len(clause_text),
                                     reading.reported.get(sentence.start), rewrites)
        claims.append(ExtractedClaim(
            reported_text=reported if reported and reported.rstrip(".") != wording.rstrip(".") else None,
            start=clause_start,
            end=clause_start + len(clause_text),
            sentence=clause_text,
            standalone_text=wording,
            claimant=claimant,
            claim_type=kind,
            checkable=kind not in NOT_CHECKABLE_TYPES,
            features=features,
            rewrites=tuple(rewrites),
        ))
    return claims


def _reported_wording(sentence: Sentence, start: int, end: int, ranges: list[tuple[int, int]] | None,
                      rewrites: list[Rewrite]) -> str | None:
    """What the clause ``start:end`` of ``sentence`` reports (the article reading's ``ranges``, absolute),
    with the clause's rewrites that fall inside applied ("he" -> "Mark Ellison"), or None."""
    inside = [(max(a, start), min(b, end)) for a, b in ranges or () if a < end and b > start]
    if not inside:
        return None
    pieces = [apply_rewrites(sentence.text[a - sentence.start:b - sentence.start], a,
                             # the clause's speech frame ("X said ") is inserted before it: not reported
                             [r for r in rewrites if a <= r.start and r.end <= b and r.kind != "dateline"
                              and not (r.start == r.end == start and r.kind == "subject")])
              for a, b in inside]
    text = reported_text(" ".join(pieces), [(0, len(" ".join(pieces)))])
    return text if len(text.split()) >= 3 else None


def extract_claims(text: str, *, published: date | None = None, outlet: str | None = None) -> list[ExtractedClaim]:
    """Return the candidate claims of an article in document order.

    Page furniture, questions and fragments are dropped; everything else is a
    candidate, for the check-worthiness model to score. The article is parsed
    once (`factcheck.coref.reading`) for claimants and the rewrites that make
    each claim stand alone; ``published`` (the article's date) lets relative
    dates become absolute, and ``outlet`` (the publication) is who "our
    analysis" and "we asked" in its own voice are.
    """
    blocks = [(start, end, text[start:end], _sentences_in(text, start, end)) for start, end in _blocks(text)]
    candidates = [
        sentence
        for _, _, line, sentences in blocks if not _is_non_claim_line(line)
        for sentence in sentences if not _is_non_claim_sentence(sentence.text)
    ]
    if not candidates:
        return []
    reading = read_article(
        text, [(start, end, [(s.start, s.end) for s in sentences]) for start, end, _, sentences in blocks],
        claim_starts={sentence.start for sentence in candidates}, published=published, outlet=outlet)
    return [claim for sentence in candidates for claim in _claims_in(sentence, reading)]
