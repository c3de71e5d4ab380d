"""Use cases shared by the web UI, the JSON API, the CLI and jobs.

Services take a session and plain values, validate before writing, commit
once, and raise ``factcheck.domain.errors`` exceptions.
"""
