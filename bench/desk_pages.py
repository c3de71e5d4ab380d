"""Load test of the desk's pages: the queue and a claim page at 100k claims, 16 concurrent clients, gunicorn.

Run: ``nice -n 10 .venv/bin/python bench/desk_pages.py [--claims 100000] [--clients 16] [--seconds 20]
[--backend sqlite|postgres] [--workers 2] [--threads 8] [--think-ms 0]``

Goal: p95 <= 50 ms per page. Builds a fresh database (SQLite file, or a PostgreSQL server started from the
``pgserver`` wheel), fills it with ``--claims`` claims over 5% as many articles (states, assignees, priorities,
due dates and a ``created`` event per claim, as the app writes them), starts gunicorn on it, logs in
``--clients`` editors and has each request pages in a loop for ``--seconds``. Pages, in turn:

* ``queue``: ``/queue`` (the unassigned pool, first page, default sort)
* ``queue_all_due``: ``/queue?view=all&sort=due`` (every claim, by due date)
* ``queue_grouped``: ``/queue?view=all&group=article``
* ``claim``: ``/claims/<random id>`` (the page's HTML; its evidence suggestions load separately)
* ``empty_queue``: ``/queue?view=all&article_id=<none>``, the baseline: the same view, template and process,
  with an indexed filter that matches nothing.

Reports p50 and p95 per page and p95 as a ratio to the baseline's, the server's throughput, and the CPU the
gunicorn workers and the load generator (this process) used, in cores: both share the machine.
``--keep DIR`` keeps the filled database in DIR and reuses it on later runs (migrations added since are applied).

With ``--think-ms 0`` (the default) every client sends its next request as soon as the last one is answered:
16 clients then keep the server saturated, and p95 is mostly time spent waiting for a free core (on 2 cores
it is about 16 / 2 x the CPU cost of a request). ``--think-ms N`` has each client pause N ms (uniformly
0.5N-1.5N) between requests, like people reading a page: p95 then measures a page's own cost under
realistic concurrency. Report which one a figure comes from. Every client logs in before the clock starts (a
login's password hash is not a desk page), and with think time each starts at a random point of its first pause:
16 logins and 16 first requests at the same instant used to hold the 2 cores for the run's first ~2 s, and as
each client's first page is fixed by its seed, that burst landed on the same pages every run (5 of the 16 clients
open "by due date" first: ~5 of its ~75 requests in a 30 s run, which is its whole p95).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from factcheck.db import make_engine, upgrade  # noqa: E402
from factcheck.models import Article, Claim, Event, User  # noqa: E402

PASSWORD = "bench-password-1"
STATES = [("new", 60), ("in_progress", 15), ("in_review", 10), ("approved", 5), ("published", 8), ("rejected", 2)]
TYPES = ["statistic", "quote", "causal", "comparison", "other", "prediction", "opinion"]


def fill(url: str, claims: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    today = now.date()
    hashed = generate_password_hash(PASSWORD)
    with engine.begin() as connection:
        users = [{"email": f"editor{i}@bench.example", "name": f"Editor {i}", "role": "editor",
                  "password_hash": hashed, "is_active": True, "created_at": now} for i in range(16)]
        users += [{"email": f"checker{i}@bench.example", "name": f"Checker {i}", "role": "checker",
                   "password_hash": hashed, "is_active": True, "created_at": now} for i in range(12)]
        connection.execute(insert(User), users)
        checker_ids = [row[0] for row in connection.exec_driver_sql(
            "SELECT id FROM \"user\" WHERE role = 'checker'").all()]
        articles = max(1, claims // 20)
        connection.execute(insert(Article), [
            {"title": f"Article {i}: the budget, the hospitals and the trains", "outlet": f"Outlet {i % 40}",
             "text": "x", "language": "en", "created_at": now - timedelta(minutes=i)} for i in range(articles)])
        article_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM article").all()]
        states = [s for s, weight in STATES for _ in range(weight)]
        batch = []
        for i in range(claims):
            state = rng.choice(states)
            assigned = state in ("in_progress", "in_review", "approved")
            created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            kind = rng.choice(TYPES)
            batch.append({
                "article_id": rng.choice(article_ids), "sentence": f"Claim {i} said unemployment fell by {i % 97}%.",
                "standalone_text": f"Claim {i}: unemployment fell by {i % 97}% last year.", "span_start": 0,
                "span_end": 10, "checkworthiness": rng.random(), "reasons": [], "rewrites": [], "claim_type": kind,
                "checkable": kind not in ("prediction", "opinion"), "state": state,
                "assignee_id": rng.choice(checker_ids) if assigned else None,
                "checker_id": rng.choice(checker_ids) if state in ("in_review", "approved", "published") else None,
                "priority": rng.choice([0, 0, 0, 1, 1, 2, 3]),
                "due_date": (today + timedelta(days=rng.randint(-5, 10))) if rng.random() < 0.5 else None,
                "created_at": created, "updated_at": created,
                "published_at": created + timedelta(hours=20) if state == "published" else None,
            })
            if len(batch) == 5000:
                connection.execute(insert(Claim), batch)
                batch = []
        if batch:
            connection.execute(insert(Claim), batch)
        connection.exec_driver_sql(
            "INSERT INTO event (claim_id, actor_id, action, from_state, to_state, detail, created_at) "
            "SELECT id, NULL, 'created', NULL, 'new', '', created_at FROM claim")
    engine.dispose()


def _filled(url: str) -> int:
    """How many claims a kept database holds (0 when it has no schema yet)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM claim").scalar_one()
    except Exception:  # no claim table yet: a new directory
        return 0
    finally:
        engine.dispose()


def _children(pid: int) -> list[int]:
    """The gunicorn workers (Linux: /proc)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux: /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client(threading.Thread):
    def __init__(self, base: str, email: str, pages: dict[str, callable], rng: random.Random, think: float = 0.0):
        super().__init__(daemon=True)
        self.base, self.email, self.pages, self.rng = base, email, pages, rng
        self.think = think
        self.until = 0.0  # set by main() once every client is logged in
        self.http: requests.Session | None = None
        self.times: dict[str, list[float]] = {name: [] for name in pages}
        self.errors = 0

    def login(self) -> None:
        http = requests.Session()
        page = http.get(f"{self.base}/auth/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = http.post(f"{self.base}/auth/login", data={"email": self.email, "password": PASSWORD,
                                                              "csrf_token": token}, allow_redirects=False)
        assert response.status_code == 303, (response.status_code, response.text[:300])
        self.http = http

    def run(self) -> None:
        http = self.http
        names = list(self.pages)
        if self.think:
            # People do not all open a page in the same millisecond: start at a random point of a pause, or
            # the first request of every client queues behind the 15 others (on 2 cores, ~8 pages' worth).
            # Each client's first page is fixed by its seed, so that queue would land on the same few pages
            # every run.
            time.sleep(self.think * self.rng.uniform(0.0, 1.0))
        while time.perf_counter() < self.until:
            name = self.rng.choice(names)
            path = self.pages[name](self.rng)
            start = time.perf_counter()
            response = http.get(f"{self.base}{path}")
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                self.errors += 1
                continue
            self.times[name].append(elapsed)
            if self.think:
                time.sleep(self.think * self.rng.uniform(0.5, 1.5))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause between a client's requests (0 = none: the server is kept saturated)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep the filled database in DIR and reuse it when it already holds --claims claims "
                             "(filling 100k claims takes minutes)")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="factcheck-bench-desk-"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    server = None
    gunicorn = None
    try:
        if args.backend == "postgres":
            import pgserver

            server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
            if "bench" not in server.psql("SELECT datname FROM pg_database;"):
                server.psql("CREATE DATABASE bench;")
            url = server.get_uri().replace("/postgres?", "/bench?", 1)
        else:
            url = f"sqlite:///{workdir / 'bench.db'}"
        if _filled(url) != args.claims:
            if _filled(url):
                raise SystemExit(f"{workdir} holds another number of claims; remove it or choose another --keep")
            upgrade(url)
            started = time.perf_counter()
            fill(url, args.claims)
            print(f"filled {args.claims:,} claims in {time.perf_counter() - started:.1f} s ({args.backend})",
                  flush=True)
        else:
            upgrade(url)  # a kept database gets the migrations added since it was filled
            print(f"reusing the {args.claims:,} claims in {workdir} ({args.backend})", flush=True)
        engine = make_engine(url)
        with engine.connect() as connection:
            low, high = connection.exec_driver_sql("SELECT min(id), max(id) FROM claim").one()
            connection.commit()  # VACUUM runs outside a transaction
            if args.backend == "postgres":
                # A server in service has been vacuumed by autovacuum: index-only scans need the visibility map.
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
        engine.dispose()

        port = _free_port()
        env = {**os.environ, "FACTCHECK_DATABASE_URL": url, "FACTCHECK_INSTANCE_PATH": str(workdir / "instance"),
               "FACTCHECK_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
               "FACTCHECK_LOGIN_RATE_LIMIT": "10000 per minute", "FACTCHECK_JOBS_WORKER_THREADS": "0",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "--threads", str(args.threads),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "factcheck:create_app()"],
            env=env, cwd=str(ROOT), start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                requests.get(f"{base}/auth/login", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)

        pages = {
            "queue": lambda rng: "/queue",
            "queue_all_due": lambda rng: "/queue?view=all&sort=due",
            "queue_grouped": lambda rng: "/queue?view=all&group=article",
            "claim": lambda rng: f"/claims/{rng.randint(low, high)}",
            "empty_queue": lambda rng: "/queue?view=all&article_id=2147483647",
        }
        # Warm up each worker (templates compiled, connections opened) before measuring.
        warm = Client(base, "editor0@bench.example", pages, random.Random(0))
        warm.login()
        warm.until = time.perf_counter() + 3
        warm.run()
        clients = [Client(base, f"editor{i}@bench.example", pages, random.Random(i), args.think_ms / 1000)
                   for i in range(args.clients)]
        # Log every client in before the clock starts: a login hashes a password (~0.1 s of CPU by design), and
        # 16 of them at once took the cores for the first seconds of the run, landing on the pages measured then.
        logins = [threading.Thread(target=client.login) for client in clients]
        for thread in logins:
            thread.start()
        for thread in logins:
            thread.join()
        if any(client.http is None for client in clients):
            raise SystemExit("a client could not log in")
        server_cpu_before = sum(_process_cpu(pid) for pid in _children(gunicorn.pid))
        until = time.perf_counter() + args.seconds
        for client in clients:
            client.until = until
        cpu_before, wall_before = os.times(), time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        # The load generator shares the cores with the server: say how much of them it took.
        cpu_after, wall = os.times(), time.perf_counter() - wall_before
        client_cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
        server_cpu = sum(_process_cpu(pid) for pid in _children(gunicorn.pid)) - server_cpu_before
        times = {name: [t for c in clients for t in c.times[name]] for name in pages}
        errors = sum(c.errors for c in clients)
        baseline = _percentile(times["empty_queue"], 0.95)
        served = sum(len(v) for v in times.values())
        print(f"{args.backend}, {args.claims:,} claims, {args.clients} clients (think {args.think_ms:.0f} ms), "
              f"gunicorn {args.workers} workers x {args.threads} threads, {args.seconds:.0f} s; "
              f"{served / args.seconds:.1f} requests/s; {errors} errors; load average {os.getloadavg()[0]:.1f}")
        print(f"CPU: server {server_cpu / wall:.2f} cores ({1000 * server_cpu / max(served, 1):.1f} ms a request), "
              f"load generator {client_cpu / wall:.2f} cores")
        print(f"{'page':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p95 / empty':>13}")
        for name, values in times.items():
            if not values:
                print(f"{name:<16}{0:>9}")
                continue
            p95 = _percentile(values, 0.95)
            print(f"{name:<16}{len(values):>9}{1000 * statistics.median(values):>9.1f}{1000 * p95:>9.1f}"
                  f"{p95 / baseline:>13.2f}")
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if server is not None:
            server.cleanup()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
