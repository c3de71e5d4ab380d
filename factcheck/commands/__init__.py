"""CLI command modules; each attaches its commands to the groups in ``factcheck.cli``.

A module is registered by importing it below.
"""
from factcheck.commands import checkworthiness  # noqa: F401
from factcheck.commands import coref  # noqa: F401
from factcheck.commands import matching  # noqa: F401
from factcheck.commands import sources  # noqa: F401
from factcheck.commands import desk  # noqa: F401
