"""Split a source document into passages that keep their character spans (and pages)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

MAX_PASSAGE_WORDS = 120
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class PassageSpan:
    start: int
    end: int
    text: str  # document[start:end] == text
    page: int | None = None  # 1-based page of a paged document (PDF)


class Page(Protocol):
    """A page of the document: ``number`` covers ``text[start:end]``."""

    number: int
    start: int
    end: int


def _paragraphs(text: str, region_start: int, region_end: int) -> list[tuple[int, int]]:
    spans, position = [], region_start
    for separator in _PARAGRAPH_BREAK.finditer(text, region_start, region_end):
        spans.append((position, separator.start()))
        position = separator.end()
    spans.append((position, region_end))
    result = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + (len(chunk) - len(chunk.lstrip()))
            result.append((offset, offset + len(stripped)))
    return result


def split_passages(text: str, max_words: int = MAX_PASSAGE_WORDS,
                   pages: Iterable[Page] = ()) -> list[PassageSpan]:
    """Paragraphs as passages; long paragraphs are cut at sentence boundaries.

    With ``pages``, each page is split on its own, so a passage never straddles
    a page break and can be cited by page number.
    """
    regions = [(page.start, page.end, page.number) for page in pages] or [(0, len(text), None)]
    passages: list[PassageSpan] = []
    for region_start, region_end, number in regions:
        for start, end in _paragraphs(text, region_start, region_end):
            passages.extend(_split_paragraph(text, start, end, max_words, number))
    return passages


def _split_paragraph(text: str, start: int, end: int, max_words: int, page: int | None) -> list[PassageSpan]:
    from factcheck.domain.extraction import split_sentences

    paragraph = text[start:end]
    if len(paragraph.split()) <= max_words:
        return [PassageSpan(start, end, paragraph, page)]
    passages: list[PassageSpan] = []
    current_start = current_end = None
    words = 0
    for sentence in split_sentences(paragraph):
        sentence_words = len(sentence.text.split())
        if current_start is not None and words + sentence_words > max_words:
            passages.append(PassageSpan(start + current_start, start + current_end,
                                        text[start + current_start:start + current_end], page))
            current_start, words = None, 0
        if current_start is None:
            current_start = sentence.start
        current_end = sentence.end
        words += sentence_words
    if current_start is not None:
        passages.append(PassageSpan(start + current_start, start + current_end,
                                    text[start + current_start:start + current_end], page))
    return passages
