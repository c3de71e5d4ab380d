"""The release: the wheel carries what the app needs outside a checkout, and an installed app keeps its data
in the user's data folder. (``.ci/release_check.py`` installs the wheel and serves it; this is the fast part.)
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from factcheck import config

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_templates_static_files_migrations_and_alembic_ini(tmp_path):
    subprocess.run([sys.executable, str(ROOT / ".ci" / "release_check.py"), "--wheel-only", str(tmp_path)],
                   check=True)
    [wheel] = tmp_path.glob("factcheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = "factcheck/_bundled/"
    expected = {bundled + "alembic.ini", bundled + "migrations/env.py", bundled + "migrations/script.py.mako"}
    for folder in ("templates", "static"):
        expected |= {bundled + str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*") if p.is_file()}
    expected |= {bundled + str(p.relative_to(ROOT)) for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert expected - names == set()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "factcheck/data/matcher.json" in names  # the package's own data, as before


def test_a_checkout_is_told_apart_from_an_installed_package(tmp_path):
    assert config.running_from_checkout()  # the tests run from the checkout
    assert config.RESOURCE_ROOT == ROOT
    assert not config.running_from_checkout(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert not config.running_from_checkout(tmp_path)  # a pyproject.toml alone is not our checkout
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "env.py").write_text("")
    assert config.running_from_checkout(tmp_path)


def test_the_instance_folder_is_instance_in_a_checkout_and_the_users_data_folder_when_installed(tmp_path,
                                                                                             monkeypatch):
    assert config.default_instance_path() == str(ROOT / "instance")
    monkeypatch.setattr(config, "running_from_checkout", lambda repo_root=None: False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert Path(config.default_instance_path()) == tmp_path / "data" / "factcheck"
    settings = config.Settings.from_env(environ={})
    assert Path(settings.instance_path) == tmp_path / "data" / "factcheck"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'factcheck' / 'factcheck.db'}"
