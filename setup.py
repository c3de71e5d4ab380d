"""Build hook: the wheel carries templates/, static/, migrations/ and alembic.ini inside the package.

In a checkout they live beside the package (and the app uses them there);
an installed app has no checkout, so ``build_py`` copies them into
``factcheck/_bundled/`` of the build, where ``factcheck.config.RESOURCE_ROOT``
finds them. Everything else about the build is in pyproject.toml.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED_DIRS = ("templates", "static", "migrations")
BUNDLED_FILES = ("alembic.ini",)
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, where these already are
        target = Path(self.build_lib) / "factcheck" / "_bundled"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in BUNDLED_DIRS:
            shutil.copytree(ROOT / name, target / name, ignore=SKIP)
        for name in BUNDLED_FILES:
            shutil.copy2(ROOT / name, target / name)


setup(cmdclass={"build_py": BuildPyWithResources})
