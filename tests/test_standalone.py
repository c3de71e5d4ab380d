"""Standalone wording through `extract_claims` (as the app calls it), and the
splitting of sentences that join two assertions (factcheck.domain.standalone).
The parser-based rules have their own tests in tests/test_coref.py.
"""
from datetime import date

import pytest

from factcheck.domain.extraction import extract_claims
from factcheck.domain.standalone import split_assertions

MONDAY = date(2026, 11, 23)


def wordings(text: str, published: date | None = MONDAY) -> dict[str, tuple[str, str | None]]:
    """sentence -> (standalone text, claimant), checking every span on the way."""
    claims = extract_claims(text, published=published)
    for claim in claims:
        assert text[claim.start:claim.end] == claim.sentence
    return {claim.sentence: (claim.standalone_text, claim.claimant) for claim in claims}


# --- relative dates (direction from the clause's own tense; see also tests/test_coref.py) ---------


def test_ingested_article_dates_come_from_its_publication_date():
    text = "The city added 12,400 jobs last year, the bureau said on Friday."
    assert wordings(text, date(2024, 1, 12))[text][0] == (
        "The city added 12,400 jobs in 2023, the bureau said on Friday, 12 January 2024.")


def test_without_a_publication_date_dates_stay_relative():
    text = "Police arrested 12 people on Sunday."
    assert wordings(text, None)[text][0] == text


# --- claimants ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, claimant",
    [
        ("Jane Doe said the city spent $2 million on roads.", "Jane Doe"),
        ("The city spent $2 million on roads, according to the Bureau of Labor Statistics.",
         "Bureau of Labor Statistics"),
        ("Jane Doe told reporters that the city spent $2 million on roads.", "Jane Doe"),
    ],
)
def test_claimant_of_reported_speech(text, claimant):
    assert wordings(text)[text][1] == claimant


# --- splitting two assertions ------------------------------------------------------------


def test_two_assertions_become_two_claims_with_their_own_spans():
    text = "Unemployment fell to 3.5 percent in December, and the city added 12,400 jobs in 2023."
    claims = extract_claims(text)
    assert [c.sentence for c in claims] == [
        "Unemployment fell to 3.5 percent in December", "the city added 12,400 jobs in 2023."]
    assert [c.standalone_text for c in claims] == [
        "Unemployment fell to 3.5 percent in December.", "The city added 12,400 jobs in 2023."]
    for claim in claims:
        assert text[claim.start:claim.end] == claim.sentence


def test_a_split_clause_keeps_the_speaker():
    text = "Jane Doe said that unemployment fell to 3.5 percent, and the city added 12,400 jobs."
    claims = extract_claims(text)
    assert [c.standalone_text for c in claims] == [
        "Jane Doe said that unemployment fell to 3.5 percent.",
        "Jane Doe said that the city added 12,400 jobs."]
    assert {c.claimant for c in claims} == {"Jane Doe"}


def test_semicolons_split_and_trailing_attribution_is_repeated():
    text = "Prices rose 5 percent; wages fell 2 percent, Jane Doe said."
    claims = extract_claims(text)
    assert [c.standalone_text for c in claims] == [
        "Jane Doe said prices rose 5 percent.", "Wages fell 2 percent, Jane Doe said."]


@pytest.mark.parametrize(
    "sentence",
    [
        # One subject, two verbs: one assertion about one thing.
        "The company sold 300 cars, and hired 40 workers in 2023.",
        # The second part has nothing to check.
        "Unemployment fell to 3.5 percent, and the mayor was pleased.",
        # Inside a quotation the joint is the speaker's.
        "“Prices rose 5 percent, and wages fell 2 percent,” Jane Doe said.",
    ],
)
def test_sentences_that_are_not_split(sentence):
    assert len(split_assertions(sentence)) == 1
