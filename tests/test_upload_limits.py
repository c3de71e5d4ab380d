"""Zip bombs and bounded readers (issue 11, finding 1).

A 557 KB .docx whose ``word/document.xml`` inflates to 190 MB passed the upload checks, took
about 2.8 GB of memory and a worker for minutes. Archives are now measured before any parser
runs (entry count, declared sizes, compression ratio), inflated in chunks against the limits
before parsing, and every reader has a page/size/time budget. One user may have only a few
heavy jobs at once.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import replace

import pytest
from sqlalchemy import func
from sqlmodel import select

from factcheck.ingest import UnsupportedDocument
from factcheck.ingest.documents import extract, sniff
from factcheck.ingest.limits import ReadLimits, check_archive, entry_count, verify_archive
from factcheck.models import Job
from factcheck.services.users import create_token
from tests.conftest import app_from_template
from tests.test_ingest_documents import make_docx, make_pdf

SMALL = ReadLimits(max_unpacked_bytes=4 * 1024 * 1024, max_entries=50, max_ratio=100)


def docx_bomb(inflated_mb: int = 20) -> bytes:
    """A real .docx whose document.xml is padded with whitespace inside the body: tiny zipped, huge inflated."""
    original = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (inflated_mb * 1024 * 1024), 1)
            bomb.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def many_entries(count: int) -> bytes:
    original = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in original.infolist():
            archive.writestr(info.filename, original.read(info))
        for number in range(count):
            archive.writestr(f"extra/item{number}.xml", "<a/>")
    return buffer.getvalue()


def test_a_docx_bomb_is_refused_before_any_parser_runs():
    bomb = docx_bomb(20)
    assert len(bomb) < 100_000  # about 20 KB that inflate to 20 MB
    with pytest.raises(UnsupportedDocument, match="zip bomb") as info:
        sniff(bomb)  # what the upload form and API call before a job is even made
    assert info.value.errors == {"file": "too large"}
    with pytest.raises(UnsupportedDocument, match="zip bomb"):
        extract(bomb)


def test_declared_total_and_entry_count_are_limited():
    with pytest.raises(UnsupportedDocument, match=r"unpacks to \d+ MB; the limit is 4 MB"):
        check_archive(_stored_docx(5 * 1024 * 1024), SMALL)
    archive = many_entries(60)
    assert entry_count(archive) == 60 + len(zipfile.ZipFile(io.BytesIO(make_docx())).infolist())
    with pytest.raises(UnsupportedDocument, match="more than 50 files"):
        check_archive(archive, SMALL)
    with pytest.raises(UnsupportedDocument, match="more than 1,000 files"):
        sniff(many_entries(1001))


def _stored_docx(padding: int) -> bytes:
    """A docx stored without compression (ratio 1) whose document.xml carries ``padding`` extra bytes."""
    original = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * padding, 1)
            archive.writestr(info.filename, data)
    return buffer.getvalue()


def _lie_about_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the declared uncompressed size of entry ``name`` in the central directory."""
    position = data.find(b"PK\x01\x02")
    out = bytearray(data)
    while position >= 0:
        name_length = struct.unpack("<H", data[position + 28:position + 30])[0]
        if data[position + 46:position + 46 + name_length] == name:
            out[position + 24:position + 28] = struct.pack("<I", size)
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(out)


def test_real_bytes_are_counted_while_inflating_when_the_headers_lie():
    bomb = docx_bomb(8)
    # Headers claiming document.xml is 10 KB pass the cheap checks...
    liar = _lie_about_sizes(bomb, b"word/document.xml", 10_000)
    check_archive(liar, SMALL)
    # ...and inflating it in chunks stops it without holding the bytes.
    with pytest.raises(UnsupportedDocument):
        verify_archive(liar, SMALL)
    with pytest.raises(UnsupportedDocument):
        extract(liar, limits=SMALL)


def test_a_normal_docx_passes_every_check():
    check_archive(make_docx(), SMALL)
    verify_archive(make_docx(), SMALL)
    assert "4.2 million euros" in extract(make_docx(), limits=SMALL).text


def test_readers_have_a_time_budget():
    for data in (make_docx(), make_pdf()):
        with pytest.raises(UnsupportedDocument, match="took longer than 0 seconds") as info:
            extract(data, limits=replace(SMALL, seconds=0))
        assert info.value.errors == {"file": "too slow"}


def test_pdf_pages_markup_and_text_sizes_are_bounded():
    with pytest.raises(UnsupportedDocument, match="2 pages; the limit is 1"):
        extract(make_pdf(), limits=replace(SMALL, max_pdf_pages=1))
    with pytest.raises(UnsupportedDocument, match="too long"):
        extract(make_pdf(), limits=replace(SMALL, max_chars=100))
    html = b"<html><body>" + b"<p>The port moved 4.2 million containers.</p>" * 3000 + b"</body></html>"
    with pytest.raises(UnsupportedDocument, match="web page is 0.1 MB; the limit is 0 MB"):
        extract(html, limits=replace(SMALL, max_markup_bytes=50_000))
    with pytest.raises(UnsupportedDocument, match="plain text is"):
        extract(b"words " * 20_000, limits=replace(SMALL, max_markup_bytes=50_000))


@pytest.fixture
def limited_app(databases, empty_template, tmp_path):
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate",
                           max_unpacked_bytes=4 * 1024 * 1024) as app:
        yield app


def _jobs(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Job)).one()


def test_an_uploaded_bomb_is_refused_with_the_reason_by_api_and_form(limited_app):
    from factcheck.db import session_scope
    from tests.conftest import Browser, make_user

    with session_scope(limited_app.extensions["factcheck.engine"]) as session:
        user = make_user(session, "checker@example.org", "checker")
        token = create_token(session, user=user, name="tests")
        bomb = docx_bomb(20)
        response = limited_app.test_client().post(
            "/api/v1/sources/upload", headers={"Authorization": f"Bearer {token}"},
            data={"file": (io.BytesIO(bomb), "report.docx")}, content_type="multipart/form-data")
        assert response.status_code in (413, 422), response.get_json()
        assert "unpacks to 21 MB; the limit is 4 MB" in response.get_json()["error"]
        browser = Browser(limited_app)
        browser.login("checker@example.org")
        response = browser.post("/library/sources/upload", {"file": (io.BytesIO(bomb), "report.docx")},
                                content_type="multipart/form-data")
        assert response.status_code in (413, 422) and "unpacks to 21 MB" in response.get_data(as_text=True)
        assert _jobs(session) == 0


def test_heavy_jobs_per_user_are_limited_with_a_429(databases, empty_template, tmp_path):
    from factcheck.db import session_scope
    from tests.conftest import make_user

    with app_from_template(databases, empty_template, tmp_path, max_jobs_per_user=2) as app:
        with session_scope(app.extensions["factcheck.engine"]) as session:
            user = make_user(session, "checker@example.org", "checker")
            token = create_token(session, user=user, name="tests")
            for number in range(2):
                session.add(Job(kind="fetch_source", status="queued", created_by_id=user.id,
                                payload={"url": f"https://example.org/{number}"}))
            session.commit()
            response = app.test_client().post("/api/v1/sources/fetch", json={"url": "https://example.org/3"},
                                              headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 429
            assert "at most 2 at once" in response.get_json()["error"]
            assert _jobs(session) == 2
