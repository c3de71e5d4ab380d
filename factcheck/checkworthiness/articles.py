"""Articles with the claims a fact-checker would pick: load them and score a ranking.

Each article is a TOML file (``factcheck/data/eval/articles/*.toml``): ``title``,
``beat``, ``published`` (a date), ``split`` (``tuning``: looked at while
changing the extraction and ranking; ``held_out``: never looked at for that, so
its figures say how the app does on articles it was not shaped on), ``text``
and ``claims``, each an exact piece of ``text``.

The measure is the one a checker feels: of the claims they would pick, how
many are among the article's first ten, in the order the app lists them
(`factcheck.services.articles.in_priority_order`). A picked claim counts as
found when one of the first ten candidates covers at least half of it (a
sentence split in two still finds its claim).
"""
from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["DEFAULT_DIR", "EvalArticle", "SPLITS", "TOP_K", "load_articles", "recall_at"]

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "eval" / "articles"
SPLITS = ("tuning", "held_out")
TOP_K = 10


@dataclass(frozen=True)
class EvalArticle:
    name: str
    title: str
    beat: str
    published: date | None
    split: str
    text: str
    claims: tuple[tuple[int, int], ...]  # spans of the picked claims in ``text``


def load_articles(directory: Path) -> list[EvalArticle]:
    """Every ``*.toml`` article in ``directory``; a picked claim missing from its text is an error."""
    articles = []
    for path in sorted(Path(directory).glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        text = data["text"].strip()
        split = data.get("split", "tuning")
        if split not in SPLITS:
            raise ValueError(f"{path.name}: split must be one of {', '.join(SPLITS)}, not {split!r}.")
        spans = []
        for claim in data["claims"]:
            start = text.find(claim)
            if start < 0:
                raise ValueError(f"{path.name}: a picked claim is not in the text: {claim[:60]!r}")
            spans.append((start, start + len(claim)))
        published = data.get("published")
        articles.append(EvalArticle(path.stem, data["title"], data.get("beat", ""),
                                    published if isinstance(published, date) else None, split, text,
                                    tuple(spans)))
    if not articles:
        raise ValueError(f"No *.toml articles in {directory}.")
    return articles


def _covers(candidate: tuple[int, int], picked: tuple[int, int]) -> bool:
    overlap = min(candidate[1], picked[1]) - max(candidate[0], picked[0])
    return overlap > 0 and overlap * 2 >= picked[1] - picked[0]


def found(picked: tuple[int, int], ranked_spans: Sequence[tuple[int, int]], k: int = TOP_K) -> bool:
    """Whether one of the first ``k`` candidates covers half of ``picked`` (split claims: together)."""
    covered = 0
    for start, end in ranked_spans[:k]:
        if _covers((start, end), picked):
            return True
        covered += max(0, min(end, picked[1]) - max(start, picked[0]))
    return covered * 2 >= picked[1] - picked[0]


def recall_at(article: EvalArticle, ranked_spans: Sequence[tuple[int, int]], k: int = TOP_K) -> float:
    """Share of the article's picked claims found among the first ``k`` ranked candidates."""
    return sum(found(picked, ranked_spans, k) for picked in article.claims) / len(article.claims)
