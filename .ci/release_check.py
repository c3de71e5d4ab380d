"""Release check: the wheel alone is enough to migrate a database and serve the app, from any folder.

1. ``pip wheel .`` builds the release (templates, static files and migrations bundled inside it);
2. a bare virtual environment gets the wheel with ``--no-deps``; its dependencies come from the
   environment running this script, added *after* the new venv's own site-packages through a ``.pth``
   line (so torch is not copied again, and a checkout-linked factcheck there is never loaded: a plain
   path in a ``.pth`` file does not run that folder's own ``.pth`` hooks);
3. from an empty temporary folder, with a fresh ``HOME``: ``factcheck db upgrade`` on a new SQLite file,
   then ``factcheck serve`` on a free port, and the login page, a static file and the public list of
   checks (which reads the database) must answer 200.

It checks that the ``factcheck`` that ran is the wheel's (inside the new venv, its templates and
migrations from the package, the instance folder in the user's data directory) and not the checkout.
Run: ``python .ci/release_check.py`` (``make test-release``; ``make test`` runs it too).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def build_isolation() -> list[str]:
    """Build with this environment's setuptools when it is recent enough (fast, offline), else let pip fetch it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major = int(version("setuptools").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return []
    return ["--no-build-isolation"] if major >= 68 else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def build_wheel(out: Path) -> Path:
    # A stale build/lib could carry files deleted from the source into the wheel.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    try:
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", *build_isolation(), "-q", "-w", out, ROOT)
    finally:
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    [wheel] = out.glob("factcheck-*.whl")
    return wheel


def main() -> int:
    if sys.argv[1:2] == ["--wheel-only"]:  # tests/test_release.py: build into the given folder and stop
        print(build_wheel(Path(sys.argv[2])))
        return 0
    work = Path(tempfile.mkdtemp(prefix="factcheck-release-"))
    server = None
    try:
        wheel = build_wheel(work / "dist")

        venv = work / "venv"
        run(sys.executable, "-m", "venv", venv)
        python, factcheck = venv / "bin" / "python", venv / "bin" / "factcheck"
        run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
        site = Path(subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
        (site / "zz-factcheck-release-check-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

        folder, home = work / "somewhere", work / "home"
        folder.mkdir()
        home.mkdir()
        database = folder / "fresh.sqlite3"
        env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "FACTCHECK_DATABASE_URL": f"sqlite:///{database}", "FACTCHECK_JOBS_WORKER_THREADS": "0"}

        facts = json.loads(subprocess.check_output([python, "-c", """
import json, factcheck, factcheck.config as config, factcheck.db as db
print(json.dumps({"package": factcheck.__file__, "resources": str(config.RESOURCE_ROOT),
                  "migrations": str(db.MIGRATIONS_DIR), "instance": config.Settings.from_env().instance_path}))
"""], cwd=folder, env=env, text=True))
        print(json.dumps(facts, indent=2))
        assert Path(facts["package"]).is_relative_to(site), f"not the wheel's factcheck: {facts['package']}"
        assert Path(facts["resources"]).is_relative_to(site / "factcheck"), facts["resources"]
        assert Path(facts["migrations"]).is_relative_to(site / "factcheck"), facts["migrations"]
        assert Path(facts["instance"]).is_relative_to(home), f"instance folder not per user: {facts['instance']}"

        run(factcheck, "db", "upgrade", cwd=folder, env=env)
        assert database.is_file(), "db upgrade did not create the database"

        port = free_port()
        server = subprocess.Popen([str(factcheck), "serve", "--port", str(port)], cwd=folder, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                status, page = get(f"{base}/auth/login")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("factcheck serve did not start") from None
                time.sleep(0.5)
        assert status == 200 and 'name="password"' in page, (status, page[:500])
        status, css = get(f"{base}/static/css/app.css")
        assert status == 200 and css.strip(), status
        status, checks = get(f"{base}/checks/")
        assert status == 200, (status, checks[:500])
        assert (home / ".local" / "share" / "factcheck" / "secret_key").is_file(), "no per-user instance folder"
        print(f"release check passed: {wheel.name} migrated {database.name} and served /auth/login, "
              "/static/css/app.css and /checks/ from outside the checkout")
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
