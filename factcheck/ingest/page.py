"""What a news page says about itself, beyond its visible text.

Many news pages describe the story in machine-readable form: schema.org
JSON-LD (``NewsArticle`` and its kin, sometimes inside ``@graph`` or a list,
sometimes with the whole story in ``articleBody``), Open Graph and
``article:*`` meta tags, and ``<link rel="canonical">``. The main-content
extractor reads the visible page; this module reads those descriptions, so
that

* a page that keeps its story in JSON-LD (and shows only a caption in the
  markup) still gives the whole text;
* the canonical address, the first publication date (``datePublished``,
  ``article:published_time``; never ``dateModified``, which is the last
  revision and would shift every relative date in the story), the author and
  the outlet are kept.

It also tidies a story body: a repeated headline, a dateline such as
"LONDON (Reuters) -", and furniture at the head and tail (copyright lines,
"Additional reporting by", editorial-standards lines, newsletter prompts).

Parsing is lxml's; nothing here touches the network or the database.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

import lxml.html

__all__ = ["ARTICLE_TYPES", "PageFacts", "drop_revision_dates", "read_page", "tidy_body"]

#: schema.org types whose ``articleBody`` is the story.
ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BackgroundNewsArticle",
    "OpinionNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "LiveBlogPosting",
    "Report", "SatiricalArticle", "TechArticle",
})
_MAX_URL = 2000


@dataclass(frozen=True)
class PageFacts:
    """The page's own description of its story; every field may be missing."""

    headline: str | None = None
    body: str | None = None  # from JSON-LD articleBody (or live-blog updates), paragraphs split by blank lines
    published: date | None = None  # first publication
    author: str | None = None
    outlet: str | None = None
    canonical_url: str | None = None


# ------------------------------------------------------------------ reading


def read_page(tree: lxml.html.HtmlElement, *, page_url: str | None = None) -> PageFacts:
    """Read JSON-LD, meta tags and the canonical link of a parsed page."""
    article = _main_article(_json_ld_objects(tree))
    meta = _meta(tree)
    ld = _from_json_ld(article) if article else {}
    return PageFacts(
        headline=ld.get("headline") or _clean_line(meta.get("og:title")) or _clean_line(meta.get("twitter:title")),
        body=ld.get("body"),
        published=ld.get("published") or _first_date(
            meta.get(name) for name in ("article:published_time", "og:published_time", "datepublished",
                                        "pubdate", "publishdate", "dc.date.issued", "dcterms.issued")),
        author=ld.get("author") or _meta_author(meta),
        outlet=ld.get("outlet") or _clean_line(meta.get("og:site_name")),
        canonical_url=_canonical(tree, meta, ld.get("url"), page_url),
    )


def _json_ld_objects(tree) -> list[dict]:
    """Every JSON object in the page's JSON-LD blocks, flattened through lists and ``@graph``."""
    found: list[dict] = []

    def walk(value, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(value, list):
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict):
            found.append(value)
            if "@graph" in value:
                walk(value["@graph"], depth + 1)

    for script in tree.xpath('//script[contains(translate(@type, "JSONLD", "jsonld"), "ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw))
        except ValueError:
            # Some pages leave raw control characters or a trailing comma; give up on that block only.
            try:
                walk(json.loads(re.sub(r"[\x00-\x1f]+", " ", raw)))
            except ValueError:
                continue
    return found


def _types(item: dict) -> set[str]:
    declared = item.get("@type")
    declared = declared if isinstance(declared, list) else [declared]
    # "NewsArticle", "schema:NewsArticle" and "https://schema.org/NewsArticle" are the same type.
    return {re.split(r"[/:#]", value)[-1] for value in declared if isinstance(value, str)}


def _main_article(objects: list[dict]) -> dict | None:
    """The page's story: of its article objects, the one with the longest body (then the first)."""
    articles = [item for item in objects if _types(item) & ARTICLE_TYPES]
    if not articles:
        return None
    by_id = {item["@id"]: item for item in objects if isinstance(item.get("@id"), str)}
    best = max(articles, key=lambda item: len(_body_of(item) or ""))
    best = dict(best)
    best["_by_id"] = by_id
    return best


def _body_of(item: dict) -> str | None:
    body = item.get("articleBody")
    if isinstance(body, list):
        body = "\n\n".join(part for part in body if isinstance(part, str))
    if isinstance(body, str) and body.strip():
        return _body_text(body)
    updates = item.get("liveBlogUpdate")
    if isinstance(updates, dict):
        updates = [updates]
    if isinstance(updates, list):
        # A live blog lists its posts newest first; the story reads oldest first.
        parts = []
        for update in reversed([u for u in updates if isinstance(u, dict)]):
            headline = _clean_line(update.get("headline"))
            text = update.get("articleBody")
            text = _body_text(text) if isinstance(text, str) else ""
            parts.append("\n\n".join(part for part in (headline, text) if part))
        joined = "\n\n".join(part for part in parts if part)
        return joined or None
    return None


def _body_text(body: str) -> str:
    """An ``articleBody``: plain text, or (on some sites) markup, as paragraphs separated by blank lines."""
    if re.search(r"<(?:p|br|div|h\d|li)\b", body, re.IGNORECASE):
        fragment = lxml.html.fragment_fromstring(body, create_parent="div")
        for element in fragment.iter("script", "style"):
            element.drop_tree()
        for element in fragment.iter("br"):
            element.tail = "\n" + (element.tail or "")
        for element in fragment.iter("p", "div", "h1", "h2", "h3", "h4", "li", "blockquote"):
            element.tail = "\n\n" + (element.tail or "")
        body = fragment.text_content()
    body = html_lib.unescape(body).replace("\r\n", "\n").replace("\u00a0", " ")
    paragraphs = [" ".join(line.split()) for line in re.split(r"\n\s*\n|\n", body)]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _from_json_ld(item: dict) -> dict:
    by_id = item.get("_by_id", {})
    return {
        "headline": _clean_line(item.get("headline")) or _clean_line(item.get("name")),
        "body": _body_of(item),
        "published": _first_date([item.get("datePublished"), item.get("dateCreated")]),
        "author": _names(item.get("author"), by_id, limit=300),
        "outlet": _names(item.get("publisher"), by_id, limit=200),
        "url": _ld_url(item),
    }


def _ld_url(item: dict) -> str | None:
    for value in (item.get("url"), item.get("mainEntityOfPage")):
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _names(value, by_id: dict, *, limit: int) -> str | None:
    """Names of a schema.org Person/Organization value: a string, an object, an ``@id`` reference or a list."""
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for entry in values:
        if isinstance(entry, dict) and "name" not in entry and isinstance(entry.get("@id"), str):
            entry = by_id.get(entry["@id"], entry)
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, list):
            name = name[0] if name else None
        name = _clean_line(name)
        if name and not _looks_like_url(name) and name not in names:
            names.append(name)
    return _clean_line(", ".join(names), limit) if names else None


def _meta(tree) -> dict[str, str]:
    """Meta tags by lower-cased ``property``, ``name`` or ``itemprop``; the first of each wins."""
    meta: dict[str, str] = {}
    for element in tree.xpath("//meta[@content]"):
        for attribute in ("property", "name", "itemprop"):
            key = (element.get(attribute) or "").strip().lower()
            if key and key not in meta:
                meta[key] = element.get("content") or ""
    return meta


def _meta_author(meta: dict[str, str]) -> str | None:
    for key in ("author", "article:author", "byl", "parsely-author", "sailthru.author", "dc.creator"):
        value = _clean_line(meta.get(key), 300)
        if value and not _looks_like_url(value):
            return re.sub(r"^by\s+", "", value, flags=re.IGNORECASE) or None
    return None


def _canonical(tree, meta: dict[str, str], ld_url: str | None, page_url: str | None) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, else the JSON-LD url: absolute http(s) only."""
    # An uploaded page has no address of its own: a relative canonical link is resolved against
    # the page's own absolute og:url / JSON-LD url when there is one.
    page_url = page_url or _absolute(meta.get("og:url"), None) or _absolute(ld_url, None)
    links = tree.xpath('//link[@href][contains(concat(" ", translate(@rel, "CANONICAL", "canonical"), " "),'
                       ' " canonical ")]/@href')
    for candidate in [*links, meta.get("og:url"), ld_url]:
        url = _absolute(candidate, page_url)
        if url:
            return url
    return None


def _absolute(value: str | None, base: str | None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    url = urljoin(base, value.strip()) if base else value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > _MAX_URL:
        return None  # a relative address in an uploaded page has nothing to resolve against
    return url


def _looks_like_url(value: str) -> bool:
    return bool(re.match(r"^(?:https?:)?//|^www\.", value))


def _clean_line(value, limit: int = 500) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(html_lib.unescape(value).split())
    return value[:limit] or None


def _first_date(values) -> date | None:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                continue
    return None


_REVISION = re.compile(r"modified|updated|revised|last[-_ ]?mod", re.IGNORECASE)


def drop_revision_dates(tree) -> None:
    """Remove what states a page's *revision* date (``article:modified_time``, ``og:updated_time``,
    ``itemprop=dateModified``) and its JSON-LD (already read by `read_page`), so that trafilatura's
    date guess, used when the page states no publication date, cannot take the last revision."""
    for element in tree.xpath("//meta | //*[@itemprop]"):
        names = " ".join(element.get(attribute) or "" for attribute in ("property", "name", "itemprop", "http-equiv"))
        if _REVISION.search(names):
            element.drop_tree()
    for script in tree.xpath('//script[contains(translate(@type, "JSONLD", "jsonld"), "ld+json")]'):
        script.drop_tree()


# ------------------------------------------------------------------ tidying

# "LONDON (Reuters) -", "WASHINGTON, March 3 (AP) —", "NAIROBI, Kenya —": an upper-case place with
# an agency or a date/region, then a dash. A bare "NATO — ..." is left alone: it may be the subject.
# Only at the very start of the story's first paragraph.
_DATELINE = re.compile(
    r"^(?=[A-Z]{3})[A-Z][A-Z.'’\- ]+[A-Z.]"
    r"(?:(?:,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|[A-Z][A-Za-z. ]{2,30}))?\s*\([^()]{2,40}\)"
    r"|,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|[A-Z][A-Za-z. ]{2,30}))"
    r"\s*[-—–]+\s+(?=\S)"
)
# Lines that belong to the page, not the story: removed from the head and tail of the body,
# and anywhere when the whole line is such a prompt. Anchored and short on purpose, so a
# sentence that merely mentions a newsletter is kept.
_FURNITURE = re.compile(
    r"^(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4})|all rights reserved"
    r"|(?:additional\s+)?(?:reporting|writing|editing|research|graphics|production)(?:\s+and\s+\w+)?\s+by\b"
    r"|our standards\s*:|the thomson reuters trust principles"
    r"|(?:read|see) (?:more )?about our (?:editorial )?(?:standards|policies|process)"
    r"|(?:this (?:article|story) (?:has been|was) (?:updated|corrected|amended|edited))"
    r"|editorial standards|(?:learn more about |read )?our editorial (?:standards|guidelines|code)"
    r"|corrections? (?:policy|and clarifications)"
    r"|sign up (?:for|to|here|now|today)\b|subscribe (?:to|for|now|today|here)\b|subscribe\s*$"
    r"|get (?:our|the) \w+(?: \w+)? newsletter|newsletter sign"
    r"|(?:get|receive) (?:the latest|our best|breaking)\b.{0,60}\b(?:inbox|email)"
    r"|(?:enter your email|by signing up|you can unsubscribe)"
    r"|follow (?:us|\w+ \w+) on\b|share (?:this|on)\b|skip advertisement"
    r"|(?:share|advertisement|play video|listen|key events|show key events only)\s*$"
    r"|related (?:stories|articles|coverage)\s*:?$|read more\s*:|most read\b"
    r"|(?:listen to|watch) (?:this|the) (?:article|story|video)\b"
    r"|this (?:article|story) (?:was )?(?:originally|first) (?:appeared|published)"
    r"|(?:the )?\w+(?: \w+)? contributed (?:reporting )?to this (?:report|story)"
    r")",
    re.IGNORECASE,
)
_MAX_FURNITURE_CHARS = 300
# "Published 3 March 2026, updated 5 March 2026": a date line, not a sentence (no full stop, short, a digit).
_DATE_LINE = re.compile(r"^(?:first |last )?(?:published|posted|updated|modified)\b[^.]{0,80}\d[^.]{0,40}$",
                        re.IGNORECASE)


def is_furniture(paragraph: str) -> bool:
    """A short paragraph that is page furniture (see ``_FURNITURE``) or a publication-date line."""
    paragraph = paragraph.strip()
    return len(paragraph) <= _MAX_FURNITURE_CHARS and bool(_FURNITURE.match(paragraph) or _DATE_LINE.match(paragraph))


def tidy_body(paragraphs: list[str], *, headlines: tuple[str | None, ...] = ()) -> list[str]:
    """The story's paragraphs without furniture, a repeated headline or a leading dateline."""
    titles = {_normal(title) for title in headlines if title}
    kept = [p for p in paragraphs if p.strip()]
    # Head: a repeated headline (maybe with " | Outlet") and furniture before the story starts.
    while kept and (is_furniture(kept[0]) or _normal(kept[0]) in titles
                    or any(title and _normal(kept[0]).startswith(title + " ") for title in titles
                           if len(kept[0]) < len(title) + 40)):
        kept.pop(0)
    # Tail: credits, copyright, standards and sign-up prompts after the story ends.
    while kept and is_furniture(kept[-1]):
        kept.pop()
    # Newsletter and sharing prompts in the middle of the story.
    kept = [p for p in kept if not is_furniture(p)]
    # A pull quote repeats words the story gives in full elsewhere, with their speaker: as a paragraph
    # of its own it would be a claim nobody said.
    normals = [_normal(p) for p in kept]
    kept = [p for index, (p, normal) in enumerate(zip(kept, normals))
            if not (normal and len(normal) <= _PULL_QUOTE_CHARS
                    and any(other != index and len(normals[other]) > len(normal) and normal in normals[other]
                            for other in range(len(kept))))]
    if kept:
        first = _DATELINE.sub("", kept[0], count=1)
        kept[0] = first[0].upper() + first[1:] if first else first
        if not kept[0]:
            kept.pop(0)
    return kept


#: Longest paragraph treated as a possible pull quote (repeated inside a longer paragraph).
_PULL_QUOTE_CHARS = 300


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
