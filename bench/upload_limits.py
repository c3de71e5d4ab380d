"""What a zip bomb and a deeply nested JSON body cost now: time and peak memory to refuse them.

Run: ``.venv/bin/python bench/upload_limits.py``

The bomb is built like the probe's: a real .docx whose ``word/document.xml`` inflates to
190 MB (about 190 KB zipped here; the probe's was 557 KB). Before the limits it took about
2.8 GB of memory and 3 minutes to fail. Baselines from the same run: reading a normal
small .docx, and parsing a flat 5 MB JSON body.
"""
from __future__ import annotations

import io
import json
import resource
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.ingest import UnsupportedDocument  # noqa: E402
from factcheck.ingest.documents import extract, sniff  # noqa: E402
from factcheck.web.json_limits import json_depth  # noqa: E402


def small_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("The city spent 4.2 million euros on road repairs in 2025.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bomb(inflated_mb: int) -> bytes:
    original = zipfile.ZipFile(io.BytesIO(small_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (inflated_mb * 1024 * 1024), 1)
            out.writestr(info.filename, data)
    return buffer.getvalue()


def measure(label: str, action) -> float:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        action()
        outcome = "read"
    except UnsupportedDocument as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:42s} {elapsed * 1000:9.1f} ms  peak {peak / 1_048_576:7.1f} MB  {outcome[:90]}")
    return elapsed


def main() -> None:
    normal = small_docx()
    payload = bomb(190)
    print(f"bomb: {len(payload) / 1024:.0f} KB zipped, 190 MB inflated")
    base = measure("baseline: read a normal .docx", lambda: extract(normal))
    upload = measure("bomb at upload (sniff)", lambda: sniff(payload))
    job = measure("bomb in the job (extract)", lambda: extract(payload))
    print(f"ratio to baseline: upload {upload / base:.2f}x, job {job / base:.2f}x")
    flat = json.dumps({"text": "x" * (5 * 1024 * 1024 - 20)}).encode()
    nested = b"[" * 5000 + b"]" * 5000
    start = time.perf_counter()
    json.loads(flat)
    parse = time.perf_counter() - start
    start = time.perf_counter()
    json_depth(flat)
    depth_flat = time.perf_counter() - start
    start = time.perf_counter()
    json_depth(nested)
    depth_nested = time.perf_counter() - start
    print(f"5 MB flat JSON: json.loads {parse * 1000:.1f} ms, depth check {depth_flat * 1000:.1f} ms "
          f"({depth_flat / parse:.2f}x); 5,000 levels: depth check {depth_nested * 1000:.2f} ms")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
