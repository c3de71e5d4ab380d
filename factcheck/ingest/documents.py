"""Tell a document's type from its bytes and extract its readable text and metadata.

The type is sniffed from the content (magic bytes, ZIP structure, the opening
of markup), never taken from a file name or a server's Content-Type header:
both are just claims made by whoever sent the bytes. Supported: HTML, PDF,
DOCX and plain text; anything else is refused with a message saying what it
looks like.

Fetched HTML is reduced to text here and is never rendered as markup. The
text keeps paragraphs apart with blank lines, which is what passage splitting
and claim extraction expect.
"""
from __future__ import annotations

import io
import re
import statistics
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date

from factcheck.ingest import UnsupportedDocument
from factcheck.ingest.limits import Deadline, ReadLimits, check_archive, verify_archive

HTML, PDF, DOCX, TEXT = "html", "pdf", "docx", "text"
CONTENT_TYPES = {
    HTML: "text/html",
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    TEXT: "text/plain",
}
LABELS = {HTML: "web page", PDF: "PDF", DOCX: "Word document", TEXT: "plain text"}

MAX_PDF_PAGES = ReadLimits.max_pdf_pages

# WHATWG MIME sniffing: markup a browser would treat as HTML when it opens the text.
_HTML_OPENINGS = re.compile(
    r"^\s*(<!doctype\s+html|<html|<head|<body|<title|<script|<iframe|<h1|<div|<font|<table|<a|<style|"
    r"<b|<br|<p|<!--)[\s>/]", re.IGNORECASE)
# Magic numbers of common files people may try to upload, for a helpful refusal.
_KNOWN_BINARY = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word/Office file (.doc); save it as .docx or PDF"),
    (b"{\\rtf", "an RTF file; save it as .docx or PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class PageSpan:
    """Page ``number`` (1-based) covers ``text[start:end]`` of the extracted document."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class ExtractedDocument:
    kind: str
    text: str
    title: str | None = None
    author: str | None = None
    published: date | None = None
    outlet: str | None = None
    pages: tuple[PageSpan, ...] = field(default=())
    canonical_url: str | None = None
    #: Set when the text is probably not the whole document (say, a page that showed only a
    #: caption): shown with the job, the document and in the API, never a silent success.
    warning: str | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def sniff(data: bytes, limits: ReadLimits | None = None) -> str:
    """The document kind of ``data``, or ``UnsupportedDocument`` saying what it seems to be.

    An archive's entry count, declared sizes and compression ratios are checked
    here, before the archive's directory is parsed (see ``limits``).
    """
    if not data:
        raise UnsupportedDocument("The file is empty.", {"file": "empty"})
    if b"%PDF-" in data[:1024]:
        return PDF
    if data.startswith(b"PK\x03\x04"):
        check_archive(data, limits or ReadLimits())
        if _is_docx(data):
            return DOCX
        raise UnsupportedDocument("This is a ZIP archive, not a Word document (.docx); "
                                  "upload HTML, PDF, DOCX or plain text.", {"file": "unsupported"})
    for magic, description in _KNOWN_BINARY:
        if data.startswith(magic):
            raise UnsupportedDocument(f"This looks like {description}: upload HTML, PDF, DOCX or plain text.",
                                      {"file": "unsupported"})
    text = decode_text(data)
    return HTML if _HTML_OPENINGS.match(text[:1024]) else TEXT


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def decode_text(data: bytes) -> str:
    """Decode text bytes (BOM, UTF-8, then a detected charset); refuse binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:8192]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(data[:1_000_000]).best()
            if best is not None and best.encoding:
                return data.decode(best.encoding, errors="replace")
    raise UnsupportedDocument("This file is not text, HTML, PDF or DOCX, so it cannot be read.",
                              {"file": "unsupported"})


def extract(data: bytes, *, url: str | None = None, max_chars: int | None = None,
            limits: ReadLimits | None = None) -> ExtractedDocument:
    """Sniff and extract ``data`` within ``limits``; refuse documents with no text or too much of it.

    Memory and time are bounded before and while reading: archives are measured
    and inflated in chunks before any parser runs, markup and text over
    ``max_markup_bytes`` are refused unread, PDFs by page count, and every reader
    checks a ``Deadline`` between pages or blocks.
    """
    limits = limits or ReadLimits()
    if max_chars is not None:
        limits = replace(limits, max_chars=max_chars)
    max_chars = limits.max_chars
    kind = sniff(data, limits)
    deadline = Deadline(limits.seconds, LABELS[kind])
    if kind in (HTML, TEXT) and len(data) > limits.max_markup_bytes:
        raise UnsupportedDocument(f"The {LABELS[kind]} is {len(data) / 1_048_576:,.1f} MB; the limit is "
                                  f"{limits.max_markup_bytes / 1_048_576:,.0f} MB.", {"file": "too large"})
    if kind == DOCX:
        verify_archive(data, limits, deadline)
    reader = {HTML: _from_html, PDF: _from_pdf, DOCX: _from_docx, TEXT: _from_text}[kind]
    document = reader(data, url, limits=limits, deadline=deadline)
    if not document.text.strip():
        hint = " (a scanned PDF has only images; run text recognition on it first)" if kind == PDF else ""
        raise UnsupportedDocument(f"No text could be extracted from this {LABELS[kind]}{hint}.", {"file": "no text"})
    if len(document.text) > max_chars:
        raise UnsupportedDocument(f"The document is too long ({len(document.text):,} characters; the limit is "
                                  f"{max_chars:,}).", {"file": "too long"})
    return document


def clean(text: str) -> str:
    """Unix newlines, no control characters (PostgreSQL refuses NUL), at most one blank line in a row."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _paragraphs(lines) -> str:
    return "\n\n".join(line.strip() for line in lines if line and line.strip())


def _from_text(data: bytes, _url: str | None, *, limits: ReadLimits, deadline: Deadline) -> ExtractedDocument:
    return ExtractedDocument(TEXT, clean(decode_text(data)))


def _from_html(data: bytes, url: str | None, *, limits: ReadLimits, deadline: Deadline) -> ExtractedDocument:
    import lxml.etree
    import lxml.html
    import trafilatura

    from factcheck.ingest.page import PageFacts, drop_revision_dates, read_page, tidy_body

    html = decode_text(data)
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        tree = None
    facts = read_page(tree, page_url=url) if tree is not None else PageFacts()
    if tree is not None:
        drop_revision_dates(tree)
    deadline.check()
    result = trafilatura.bare_extraction(tree if tree is not None else html, url=url, with_metadata=True,
                                         include_comments=False, include_tables=True, favor_recall=True)
    text = getattr(result, "text", None) or ""
    if not text.strip():
        # Short pages fall under trafilatura's minimum size; take all visible text then.
        text = trafilatura.html2txt(html) or ""
    extracted_title = _short(getattr(result, "title", None), 500)
    title = _short(facts.headline, 500) or extracted_title
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    extracted = "\n\n".join(paragraphs)
    if facts.body and (len(facts.body) > _JSON_LD_PREFERRED * len(extracted)
                       or facts.body.split() == extracted.split()):
        # The visible page holds less of the story than its JSON-LD ``articleBody`` (a caption, a teaser,
        # a script-rendered body): the JSON-LD is the story. (When trafilatura itself fell back on it,
        # it ran the paragraphs together: the JSON-LD keeps them.)
        paragraphs = facts.body.split("\n\n")
    paragraphs = tidy_body(paragraphs, headlines=(title, extracted_title))
    body = clean(_paragraphs(paragraphs))
    return ExtractedDocument(
        HTML, body, title=title,
        author=facts.author or _short(getattr(result, "author", None), 300),
        # The page's own first-publication date; trafilatura's guess only when the page does not state
        # it (made after `drop_revision_dates`, so it cannot be the last revision).
        published=facts.published or _parse_date(getattr(result, "date", None)),
        outlet=_short(facts.outlet, 200) or _short(getattr(result, "sitename", None), 200),
        canonical_url=facts.canonical_url,
        warning=short_text_warning(body),
    )


#: The JSON-LD body replaces the extracted text when it is this much longer.
_JSON_LD_PREFERRED = 1.3
#: Fewer characters than this from a web page is implausible for a news story: warn.
SHORT_TEXT_CHARS = 600


def short_text_warning(text: str) -> str | None:
    """A warning for a web page that gave implausibly little text, else None."""
    if len(text) >= SHORT_TEXT_CHARS:
        return None
    return (f"Only {len(text):,} characters of text found: the page may keep its story where it could not be "
            "read. Check the text against the page, and paste the text instead if it is incomplete.")


def _from_pdf(data: bytes, _url: str | None, *, limits: ReadLimits, deadline: Deadline) -> ExtractedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedDocument("The PDF is protected by a password.", {"file": "encrypted"})
        if len(reader.pages) > limits.max_pdf_pages:
            raise UnsupportedDocument(f"The PDF has {len(reader.pages):,} pages; the limit is "
                                      f"{limits.max_pdf_pages:,}.", {"file": "too long"})
        page_texts, chars = [], 0
        for page in reader.pages:
            deadline.check()
            page_texts.append(_reflow(clean(page.extract_text() or "")))
            chars += len(page_texts[-1])
            if chars > limits.max_chars:
                # Stop reading: the rest could only make it longer.
                raise UnsupportedDocument(f"The document is too long (more than {limits.max_chars:,} "
                                          "characters).", {"file": "too long"})
        metadata = reader.metadata
    except UnsupportedDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedDocument(f"The PDF could not be read ({exc}).", {"file": "damaged"}) from None
    parts, pages, position = [], [], 0
    for number, page_text in enumerate(page_texts, 1):
        if not page_text:
            continue
        if parts:
            parts.append("\n\n")
            position += 2
        parts.append(page_text)
        pages.append(PageSpan(number, position, position + len(page_text)))
        position += len(page_text)
    # A PDF's creation date is when the file was made, not when it was published: not used.
    return ExtractedDocument(PDF, "".join(parts), title=_short(metadata.title if metadata else None, 500),
                             author=_short(metadata.author if metadata else None, 300), pages=tuple(pages))


def _reflow(page: str) -> str:
    """Join a PDF page's wrapped lines into paragraphs.

    PDF text comes as visual lines; a line that ends a sentence and is clearly
    shorter than the page's usual line ends a paragraph, other lines continue
    it. Words hyphenated across lines are joined.
    """
    lines = [line.strip() for line in page.split("\n")]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return ""
    usual = statistics.median(lengths)
    out: list[str] = []
    for line in lines:
        if not line:
            if out and out[-1] != "\n\n":
                out.append("\n\n")
            continue
        if out and out[-1] not in ("\n\n",):
            previous = out[-1]
            if previous.endswith("-") and line[:1].islower():
                out[-1] = previous[:-1]
                out.append(line)
                continue
            out.append(" ")
        out.append(line)
        if line.endswith((".", "!", "?", ":", "\u201d", '"')) and len(line) < 0.8 * usual:
            out.append("\n\n")
    return "".join(out).strip()


def _from_docx(data: bytes, _url: str | None, *, limits: ReadLimits, deadline: Deadline) -> ExtractedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    # The archive was measured and inflated once, in chunks, by ``extract`` (verify_archive).
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a damaged file
        raise UnsupportedDocument(f"The Word document could not be read ({type(exc).__name__}).",
                                  {"file": "damaged"}) from None
    blocks: list[str] = []
    # Paragraphs and tables in document order (document.paragraphs alone skips tables).
    for element in document.element.body.iterchildren():
        deadline.check()
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(Paragraph(element, document).text)
        elif tag == "tbl":
            for row in Table(element, document).rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip()))
                blocks.append(" | ".join(cells))
    properties = document.core_properties
    # Word's "created" date is inherited from templates and says nothing about publication: not used.
    return ExtractedDocument(DOCX, clean(_paragraphs(blocks)), title=_short(properties.title, 500),
                             author=_short(properties.author, 300))


def _short(value, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(_CONTROL.sub("", value).split())
    return value[:limit] or None


def _parse_date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
