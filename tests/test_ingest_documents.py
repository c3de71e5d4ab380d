"""Document types are sniffed from their bytes; text and metadata are extracted from each.

The fixtures are made here: PDFs with fpdf2 (a test-only dependency), Word
documents with python-docx.
"""
from __future__ import annotations

import io
import zipfile

import pytest

from factcheck.domain.passages import split_passages
from factcheck.ingest import UnsupportedDocument
from factcheck.ingest.documents import DOCX, HTML, PDF, TEXT, extract, sniff
from tests.test_ingest_fetch import ARTICLE_HTML

PDF_PAGES = (
    "Coral cover on the northern reef fell by half between 1985 and 2020, the institute's survey found. "
    "Bleaching events caused most of the loss.",
    "Water temperatures in the lagoon rose by 0.8 degrees over the same period. Fishing catches were stable.",
)


def make_pdf(pages=PDF_PAGES, title: str = "Reef survey 2021", author: str = "Marine Institute") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def make_docx(title: str = "Budget memo") -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = "Finance desk"
    document.add_heading("City budget 2026", 1)
    document.add_paragraph("The city spent 4.2 million euros on road repairs in 2025.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Item", (0, 1): "Cost", (1, 0): "Roads", (1, 1): "4.2m"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("Spending on parks fell by a third.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_html_is_reduced_to_its_text_and_metadata():
    document = extract(ARTICLE_HTML, url="https://coast.example/news/tides")
    assert document.kind == HTML and document.content_type == "text/html"
    assert document.title == "Tide gauges show faster rise"
    assert (document.author, document.outlet, str(document.published)) == ("Ana Lima", "Coast News", "2025-06-02")
    assert "rose by 9 centimetres" in document.text
    # Navigation, footer and script are not text of the article; paragraphs are kept apart.
    assert "Home - Climate" not in document.text and "alert" not in document.text
    assert "<" not in document.text and "\n\n" in document.text


def test_pdf_text_keeps_page_numbers_through_passages():
    document = extract(make_pdf())
    assert document.kind == PDF and (document.title, document.author) == ("Reef survey 2021", "Marine Institute")
    assert [page.number for page in document.pages] == [1, 2]
    for page, expected in zip(document.pages, PDF_PAGES):
        assert " ".join(document.text[page.start:page.end].split()) == expected
    passages = split_passages(document.text, pages=document.pages)
    assert [p.page for p in passages] == [1, 2]
    assert all(document.text[p.start:p.end] == p.text for p in passages)


def test_long_pdf_pages_are_cut_into_passages_that_stay_on_their_page():
    sentence = "The survey counted {} healthy colonies along transect {}. "
    pages = ["".join(sentence.format(i * 10, i) for i in range(40)), "Short second page about fishing."]
    document = extract(make_pdf(pages))
    passages = split_passages(document.text, pages=document.pages)
    assert len(passages) > 2 and {p.page for p in passages} == {1, 2}
    for passage in passages:
        page = document.pages[passage.page - 1]
        assert page.start <= passage.start and passage.end <= page.end


def test_docx_paragraphs_and_tables_in_order():
    document = extract(make_docx())
    assert document.kind == DOCX and document.title == "Budget memo" and document.author == "Finance desk"
    assert document.text.split("\n\n") == [
        "City budget 2026", "The city spent 4.2 million euros on road repairs in 2025.", "Item | Cost",
        "Roads | 4.2m", "Spending on parks fell by a third."]


@pytest.mark.parametrize("data, expected", [
    ("Plain report.\r\nSecond line.".encode("utf-8"), "Plain report.\nSecond line."),
    ("Caf\u00e9 prices rose by 10 percent in Lisbon, the survey of local shops found this week.".encode("latin-1"),
     "Caf\u00e9 prices rose by 10 percent in Lisbon, the survey of local shops found this week."),
    ("\ufeffWith a byte order mark.".encode("utf-8"), "With a byte order mark."),
    ("UTF-16 text here.".encode("utf-16"), "UTF-16 text here."),
])
def test_plain_text_encodings(data, expected):
    document = extract(data)
    assert document.kind == TEXT and document.text == expected


def test_type_comes_from_the_content_not_the_name():
    # A PDF is a PDF whatever it is called; markup in a ".txt" is read as HTML, never shown as markup.
    assert sniff(make_pdf()) == PDF
    assert sniff(b"<!DOCTYPE html><html><body><p>hi</p></body></html>") == HTML
    assert sniff(b"  <p>A paragraph</p>") == HTML
    assert sniff(b"Not <b> at the start, so text") == TEXT


def _zip(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "JPEG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "old Word"),
    (b"MZ\x90\x00" + b"\x00" * 20, "Windows program"),
    (_zip(["a.txt"]), "ZIP archive"),
    (b"\x01\x02\x00\x03binary" * 10, "not text"),
])
def test_anything_else_is_refused_with_a_reason(data, words):
    with pytest.raises(UnsupportedDocument, match=words):
        sniff(data)


def test_unreadable_documents_are_refused():
    with pytest.raises(UnsupportedDocument, match="PDF could not be read|No text"):
        extract(b"%PDF-1.7\n garbage that is not a PDF")
    with pytest.raises(UnsupportedDocument, match="No text"):
        extract(make_pdf(pages=("",)))
    with pytest.raises(UnsupportedDocument, match="Word document could not be read"):
        extract(_zip(["[Content_Types].xml", "word/document.xml"]))
    with pytest.raises(UnsupportedDocument, match="too long"):
        extract(b"word " * 100, max_chars=50)
