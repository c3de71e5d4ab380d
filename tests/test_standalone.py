"""Standalone wording rules (factcheck.domain.standalone), on hand-written paragraphs.

Each rule is tested through `extract_claims`, which feeds the article's
sentences to an `ArticleContext` in order, as the app does.
"""
from datetime import date

import pytest

from factcheck.domain.extraction import extract_claims
from factcheck.domain.standalone import resolve_relative_dates, split_assertions

MONDAY = date(2026, 11, 23)


def wordings(text: str, published: date | None = MONDAY) -> dict[str, tuple[str, str | None]]:
    """sentence -> (standalone text, claimant), checking every span on the way."""
    claims = extract_claims(text, published=published)
    for claim in claims:
        assert text[claim.start:claim.end] == claim.sentence
    return {claim.sentence: (claim.standalone_text, claim.claimant) for claim in claims}


# --- pronouns and descriptions ------------------------------------------------------


def test_the_group_is_the_organisation_named_before():
    text = "Greenpeace said the spill killed 300 birds. The group said it would sue the company in 2027."
    standalone, claimant = wordings(text)["The group said it would sue the company in 2027."]
    assert standalone == "Greenpeace said it would sue the company in 2027."
    assert claimant == "Greenpeace"


def test_they_after_an_organisation_is_that_organisation():
    text = ("The World Health Organization reported 1,200 new cases in Geneva. "
            "They said the outbreak had killed 40 people.")
    standalone, claimant = wordings(text)["They said the outbreak had killed 40 people."]
    assert standalone == "The World Health Organization said the outbreak had killed 40 people."
    assert claimant == "World Health Organization"


def test_they_after_people_stays_as_written():
    text = "Critics said the plan cost 4 million dollars. They said the city had wasted 2 million dollars."
    standalone, _ = wordings(text)["They said the city had wasted 2 million dollars."]
    assert standalone.startswith("They said")


def test_a_specific_description_needs_a_matching_name():
    text = ("The Health Ministry said exports rose 4 percent in 2025. "
            "The ministry added that imports fell 2 percent. The bank said rates rose 2 percent.")
    found = wordings(text)
    assert found["The ministry added that imports fell 2 percent."][0] == (
        "The Health Ministry added that imports fell 2 percent.")
    # No bank was named: "the bank" is not the ministry.
    assert found["The bank said rates rose 2 percent."][0] == "The bank said rates rose 2 percent."


def test_he_and_she_are_the_last_person_named():
    text = ("Mayor Ana Núñez opened the bridge in March. She said it cost $40 million. "
            "The bridge carries 20,000 cars a day, she added.")
    found = wordings(text)
    assert found["She said it cost $40 million."] == ("Ana Núñez said it cost $40 million.", "Ana Núñez")
    assert found["The bridge carries 20,000 cars a day, she added."] == (
        "The bridge carries 20,000 cars a day, Ana Núñez added.", "Ana Núñez")


def test_a_surname_is_the_full_name_introduced_before():
    text = ("Dr. Priya Patel, an economist at the University of Illinois, studied the plant. "
            "“Prices rose 4 percent,” Patel said.")
    assert wordings(text)["“Prices rose 4 percent,” Patel said."] == (
        "Priya Patel said prices rose 4 percent.", "Priya Patel")


def test_a_pronoun_with_nobody_named_before_stays():
    text = "He said the city spent $2 million on roads in 2023."
    assert wordings(text)[text] == (text, None)


# --- relative dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Police arrested 12 people on Sunday.", "Police arrested 12 people on Sunday, 22 November 2026."),
        # The publication day itself counts as "on Monday".
        ("The council met on Monday.", "The council met on Monday, 23 November 2026."),
        ("The council will meet on Friday.", "The council will meet on Friday, 27 November 2026."),
        ("The council met last Monday.", "The council met last Monday, 16 November 2026."),
        ("The vote is next Monday.", "The vote is next Monday, 30 November 2026."),
        ("Police arrested 12 people yesterday.", "Police arrested 12 people on 22 November 2026."),
        ("Yesterday, police arrested 12 people.", "On 22 November 2026, police arrested 12 people."),
        ("Prices have risen since yesterday.", "Prices have risen since 22 November 2026."),
        ("The plant closed last year.", "The plant closed in 2025."),
        ("Exports rose last month.", "Exports rose in October 2026."),
        ("Exports rose earlier this year.", "Exports rose earlier in 2026."),
        ("Prices have doubled since last year.", "Prices have doubled since 2025."),
        ("Last year's budget was cut.", "2025's budget was cut."),
        # Already absolute: untouched.
        ("The vote was on Sunday, Nov. 22.", "The vote was on Sunday, Nov. 22."),
    ],
)
def test_relative_dates_become_absolute(sentence, expected):
    assert resolve_relative_dates(sentence, MONDAY) == expected


def test_without_a_publication_date_dates_stay_relative():
    assert resolve_relative_dates("Police arrested 12 people on Sunday.", None) == (
        "Police arrested 12 people on Sunday.")


def test_ingested_article_dates_come_from_its_publication_date():
    text = "The city added 12,400 jobs last year, the bureau said on Friday."
    assert wordings(text, date(2024, 1, 12))[text][0] == (
        "The city added 12,400 jobs in 2023, the bureau said on Friday, 12 January 2024.")


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
