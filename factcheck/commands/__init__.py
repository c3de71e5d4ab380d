"""CLI command modules; each attaches its commands to the groups in ``factcheck.cli``.

A module is registered by importing it below.
"""
