"""Bounds on reading a document: archive checks before any parser runs, and a time budget.

A DOCX is a ZIP archive. A small one can inflate enormously (a 557 KB file whose
``word/document.xml`` inflates to 190 MB took 2.8 GB of memory to parse), so an
archive is measured before any parser sees it, in two steps:

* ``check_archive`` (cheap, at upload time and again before reading): the entry
  count from the end-of-central-directory record, before the directory is even
  parsed; then the declared sizes: the total, and each entry's compression ratio.
* ``verify_archive`` (before parsing, in the job): every entry is inflated in
  chunks and counted, so an archive whose headers lie about the sizes is stopped
  as soon as the real bytes pass a limit, without holding them in memory.

``Deadline`` gives a reader a time budget that it checks between pages or blocks.
"""
from __future__ import annotations

import io
import struct
import time
import zipfile
from dataclasses import dataclass

from factcheck.ingest import UnsupportedDocument

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_CHUNK = 64 * 1024
#: Entries smaller than this may compress as well as they like (a few KB of repeated XML is harmless).
RATIO_FLOOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much one document read may take. ``Settings.read_limits()`` builds it from the settings."""

    max_chars: int = 2_000_000  # text extracted
    max_unpacked_bytes: int = 50 * 1024 * 1024  # all entries of an archive, inflated
    max_entries: int = 1000  # files in an archive
    max_ratio: int = 100  # inflated / compressed size of an entry over RATIO_FLOOR_BYTES
    max_pdf_pages: int = 2000
    max_markup_bytes: int = 10 * 1024 * 1024  # HTML or text before parsing
    seconds: float = 120.0  # wall-clock time for one read


def _too_large(message: str) -> UnsupportedDocument:
    return UnsupportedDocument(message, {"file": "too large"})


def entry_count(data: bytes) -> int | None:
    """Entries recorded in the end-of-central-directory record, read without parsing the directory."""
    tail = data[-(_EOCD_SIZE + _MAX_COMMENT):]
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    (total,) = struct.unpack("<H", tail[at + 10:at + 12])
    return total


def check_archive(data: bytes, limits: ReadLimits) -> None:
    """Refuse an archive with too many entries, too much declared content or an entry that inflates too much."""
    count = entry_count(data)
    if count is not None and (count == 0xFFFF or count > limits.max_entries):
        # 0xFFFF means ZIP64 (more than 65,534 entries, or the count is elsewhere): far past any limit.
        raise _too_large(f"The archive holds more than {limits.max_entries:,} files; a Word document has a few dozen.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error) as exc:
        raise UnsupportedDocument(f"The archive is damaged ({exc}).", {"file": "damaged"}) from None
    if len(entries) > limits.max_entries:
        raise _too_large(f"The archive holds {len(entries):,} files; the limit is {limits.max_entries:,}.")
    declared = sum(info.file_size for info in entries)
    if declared > limits.max_unpacked_bytes:
        raise _too_large(f"The document unpacks to {declared / 1_048_576:,.0f} MB; the limit is "
                         f"{limits.max_unpacked_bytes / 1_048_576:,.0f} MB.")
    for info in entries:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _too_large(f"{info.filename} inflates {info.file_size / max(info.compress_size, 1):,.0f} times "
                             f"(at most {limits.max_ratio} is accepted): this looks like a zip bomb.")


def verify_archive(data: bytes, limits: ReadLimits, deadline: Deadline | None = None) -> None:
    """Inflate every entry in chunks, counting the real bytes against the limits (nothing is kept)."""
    check_archive(data, limits)
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                actual = 0
                with archive.open(info) as entry:
                    while chunk := entry.read(_CHUNK):
                        actual += len(chunk)
                        total += len(chunk)
                        if actual > info.file_size:
                            raise _too_large(f"{info.filename} inflates to more than it declares: refused.")
                        if total > limits.max_unpacked_bytes:
                            raise _too_large(f"The document unpacks to more than "
                                             f"{limits.max_unpacked_bytes / 1_048_576:,.0f} MB.")
                        if actual > RATIO_FLOOR_BYTES and actual > limits.max_ratio * max(info.compress_size, 1):
                            raise _too_large(f"{info.filename} inflates more than {limits.max_ratio} times: "
                                             "this looks like a zip bomb.")
                        if deadline is not None:
                            deadline.check()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise UnsupportedDocument(f"The archive is damaged ({exc}).", {"file": "damaged"}) from None


class Deadline:
    """A reader's time budget, checked between units of work (pages, blocks, chunks)."""

    def __init__(self, seconds: float, what: str = "document"):
        self.seconds, self.what = seconds, what
        self._end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._end:
            raise UnsupportedDocument(f"Reading the {self.what} took longer than {self.seconds:g} seconds; "
                                      "it was stopped.", {"file": "too slow"})
