"""Split a source document into passages that keep their character spans."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PASSAGE_WORDS = 120
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class PassageSpan:
    start: int
    end: int
    text: str  # document[start:end] == text


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for separator in _PARAGRAPH_BREAK.finditer(text):
        spans.append((position, separator.start()))
        position = separator.end()
    spans.append((position, len(text)))
    result = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + (len(chunk) - len(chunk.lstrip()))
            result.append((offset, offset + len(stripped)))
    return result


def split_passages(text: str, max_words: int = MAX_PASSAGE_WORDS) -> list[PassageSpan]:
    """Paragraphs as passages; long paragraphs are cut at sentence boundaries."""
    from factcheck.domain.extraction import split_sentences

    passages: list[PassageSpan] = []
    for start, end in _paragraphs(text):
        paragraph = text[start:end]
        if len(paragraph.split()) <= max_words:
            passages.append(PassageSpan(start, end, paragraph))
            continue
        current_start = current_end = None
        words = 0
        for sentence in split_sentences(paragraph):
            sentence_words = len(sentence.text.split())
            if current_start is not None and words + sentence_words > max_words:
                passages.append(PassageSpan(start + current_start, start + current_end,
                                            text[start + current_start:start + current_end]))
                current_start, words = None, 0
            if current_start is None:
                current_start = sentence.start
            current_end = sentence.end
            words += sentence_words
        if current_start is not None:
            passages.append(PassageSpan(start + current_start, start + current_end,
                                        text[start + current_start:start + current_end]))
    return passages
