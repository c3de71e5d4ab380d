"""Standalone wording on articles written for this project and audited by hand, sentence by sentence.

``tests/fixtures/audited/*.txt`` (31 articles: courts, studies, elections, awards, takeovers, strikes, sport,
a newspaper's own analysis, ...) were written after the rules they exercise, as a check on
text the rules were not tuned on. Every rewrite and claimant the app proposed for them was read and judged
right; ``audited.json`` records them. A change to the resolvers that alters one fails here, so that its new
output is read again before it replaces the old: a wrong speaker or date turns a true claim into a false one.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from factcheck.domain.extraction import extract_claims

FOLDER = Path(__file__).parent / "fixtures" / "audited"
AUDITED = json.loads((FOLDER / "audited.json").read_text(encoding="utf-8"))
PUBLISHED = date.fromisoformat(AUDITED["published"])


@pytest.mark.parametrize("name", sorted(AUDITED["articles"]))
def test_rewrites_and_claimants_are_the_audited_ones(name):
    text = (FOLDER / name).read_text(encoding="utf-8")
    claims = extract_claims(text, published=PUBLISHED, outlet=AUDITED["outlets"].get(name))
    for claim in claims:
        assert text[claim.start:claim.end] == claim.sentence
        for rewrite in claim.rewrites:
            assert text[rewrite.start:rewrite.end] == rewrite.original
    expected = AUDITED["articles"][name]
    assert [[r.kind, r.original, r.replacement] for c in claims for r in c.rewrites] == expected["rewrites"]
    assert sorted({c.claimant for c in claims if c.claimant}) == expected["claimants"]


def test_the_errors_the_audit_found_stay_fixed():
    rewrites = {name: [tuple(r) for r in article["rewrites"]] for name, article in AUDITED["articles"].items()}
    assert not any("King's College London" in replacement for _, _, replacement in rewrites["study.txt"])
    assert ("date", "this year", "in 2026") in rewrites["awards.txt"]
    assert "Devon" not in AUDITED["articles"]["storm.txt"]["claimants"]
