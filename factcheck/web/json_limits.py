"""Refuse JSON bodies nested too deep, before anything parses them.

Python's ``json`` module recurses once per level: a body of a few thousand
``[`` raises ``RecursionError`` deep inside the view (a 500), and even below
that limit the nesting costs stack and time for nothing a real client sends.
Every request with a JSON body is measured first, without parsing it: string
literals are cut out (a bracket inside a string does not nest), then the
running depth of the remaining brackets is taken. Over the limit is a 400
that says so.
"""
from __future__ import annotations

import re

import numpy as np
from flask import Flask, jsonify, request

MAX_JSON_DEPTH = 32

# A JSON string literal: quote, runs of ordinary characters between escapes, quote (written
# "unrolled" so a long string is one fast scan, not a step per character).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_KEEP_ALL = bytes.maketrans(b"", b"")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (0 for a scalar); malformed JSON is measured as is."""
    brackets = np.frombuffer(_STRING.sub(b"", body).translate(_KEEP_ALL, _NOT_BRACKETS), dtype=np.uint8)
    if not brackets.size:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def init_app(app: Flask) -> None:
    @app.before_request
    def _limit_json_depth():
        if not request.is_json:
            return None
        depth = json_depth(request.get_data(cache=True))
        if depth > MAX_JSON_DEPTH:
            response = jsonify({"error": f"The JSON body is nested {depth} levels deep; at most "
                                         f"{MAX_JSON_DEPTH} are accepted.", "status": 400})
            response.status_code = 400
            return response
        return None
