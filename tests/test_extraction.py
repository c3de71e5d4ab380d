"""Tests for claim extraction from news text (factcheck.domain.extraction).

Scoring is the trained model's job and is tested in test_checkworthiness.py;
here: sentence splitting, what is never a claim, claim types, claimants and
the spans of split sentences.
"""
import itertools
import random
from datetime import date

import pytest

from factcheck.checkworthiness.features import claim_type, sentence_features
from factcheck.domain.extraction import (
    ExtractedClaim,
    Sentence,
    extract_claims,
    split_sentences,
)

ARTICLE = """City unemployment falls to lowest level in five decades
By Jane Doe and John Roe, Reuters

SPRINGFIELD, Jan. 12 (Reuters) — Unemployment in Springfield fell to 3.5 percent in December, the lowest rate in 50 years, according to the Bureau of Labor Statistics.

The city added 12,400 jobs last year, more than twice as many as in 2022, the bureau said in a report released at 10 a.m. ET on Friday.

Read more: How the jobs boom is reshaping downtown

“This is the strongest labour market our city has seen in my lifetime,” said Mayor Ana Núñez, who took office in Jan. 2021.

Dr. Priya Patel, an economist at the University of Illinois, said the gains were driven by a new battery plant that opened in the spring. “Prices rose 4 percent last year,” Patel said. The plant employs about 2,300 people, she added.

Photo: Workers leave the battery plant in Springfield on Thursday. (AP Photo/Sam Lee)

Gov. Tom Brown told reporters at 2 p.m. on Thursday that the state had spent $45 million on road repairs near the plant. The U.S. Department of Labor said the national rate was 3.7 percent, up from 3.4 percent in Washington, D.C. The figures were not adjusted for inflation.

But will the boom last? Some analysts think growth could slow if interest rates stay high.

I think this is wonderful news for everyone.

Critics said the city had failed to build enough housing, which led to a 9 percent rise in rents. Rents in Springfield are now higher than in Chicago, according to a survey by Zillow.

“It was a beautiful day,” one worker said.

The council will vote on a new housing plan on Feb. 3, officials said. Lt. Gen. Mark Ellis, who commands No. 10 Squadron at the nearby air base, said the base had hired 300 civilians since Jan. 1.

Reporting by Jane Doe; Editing by John Roe
Sign up for our newsletter to get the latest local news.
Related coverage
Copyright 2024 Springfield Daily. All rights reserved.
"""

NON_CLAIMS = [
    "City unemployment falls to lowest level in five decades",
    "By Jane Doe and John Roe, Reuters",
    "Read more: How the jobs boom is reshaping downtown",
    "Photo: Workers leave the battery plant in Springfield on Thursday.",
    "(AP Photo/Sam Lee)",
    "But will the boom last?",
    "Reporting by Jane Doe; Editing by John Roe",
    "Sign up for our newsletter to get the latest local news.",
    "Related coverage",
    "Copyright 2024 Springfield Daily.",
    "All rights reserved.",
]
# Candidates nobody can rate: kept (the model may still score them low), marked.
NOT_CHECKABLE = [
    "Some analysts think growth could slow if interest rates stay high.",
    "I think this is wonderful news for everyone.",
    "“It was a beautiful day,” one worker said.",
    "The council will vote on a new housing plan on Feb. 3, officials said.",
]

SAMPLE_SENTENCES = [
    "Unemployment fell to 3.5 percent in 2019, according to the Bureau of Labor Statistics.",
    "Dr. Jane Smith met Gov. Tom Brown in Washington, D.C. on Jan. 5 at 3 p.m.",
    "The U.K. government said Lt. Gen. John Roe would speak at No. 10 Downing Street.",
    "“We will not back down,” said Mayor Ana Núñez.",
    '"Prices rose 10 percent last year," Smith said.',
    "The meeting starts at 10 a.m. ET on Monday.",
    "Is this the end?",
    "It was a beautiful day.",
    "Read more: what happens next",
    "By Jane Doe",
    "The company, Acme Inc., reported a loss of $3.2 million — its worst quarter.",
    "See https://example.com/report.pdf for details.",
    "Prices… fell (sharply) in São Paulo!",
    "Sign up for our newsletter.",
    # Split into two claims, and rewritten with context and dates.
    "Unemployment fell to 3 percent, and the city added 1,200 jobs.",
    "Prices rose 5 percent; wages fell 2 percent, Jane Doe said.",
    "She said the group spent $3 million on Sunday, and they hired 40 people last year.",
]
WHITESPACE = [" ", "  ", "\n", "\r\n", "\n\n", "\r\n\r\n", "\t", " \n ", "\u00a0", "\u2028", ""]


def assert_spans_slice(text: str, sentences: list[Sentence]) -> None:
    previous_end = 0
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert sentence.start >= previous_end, "sentences overlap or are out of order"
        previous_end = sentence.end


def assert_claim_spans_slice(text: str, claims: list[ExtractedClaim]) -> None:
    for claim in claims:
        assert text[claim.start : claim.end] == claim.sentence


# --- splitting ----------------------------------------------------------------


@pytest.mark.parametrize("text", [ARTICLE, ARTICLE.replace("\n", "\r\n")], ids=["lf", "crlf"])
def test_article_spans_slice_exactly(text):
    sentences = split_sentences(text)
    assert_spans_slice(text, sentences)
    claims = extract_claims(text)
    assert claims
    assert_claim_spans_slice(text, claims)


def test_article_sentences_respect_abbreviations_and_lines():
    texts = [sentence.text for sentence in split_sentences(ARTICLE)]
    # Lines without a final period are not glued to the next sentence.
    assert texts[0] == "City unemployment falls to lowest level in five decades"
    assert texts[1] == "By Jane Doe and John Roe, Reuters"
    assert "Read more: How the jobs boom is reshaping downtown" in texts
    # Abbreviations do not end sentences.
    assert (
        "The city added 12,400 jobs last year, more than twice as many as in 2022, the bureau "
        "said in a report released at 10 a.m. ET on Friday."
    ) in texts
    assert (
        "Dr. Priya Patel, an economist at the University of Illinois, said the gains were "
        "driven by a new battery plant that opened in the spring."
    ) in texts
    assert (
        "Gov. Tom Brown told reporters at 2 p.m. on Thursday that the state had spent "
        "$45 million on road repairs near the plant."
    ) in texts
    assert (
        "Lt. Gen. Mark Ellis, who commands No. 10 Squadron at the nearby air base, said the "
        "base had hired 300 civilians since Jan. 1."
    ) in texts
    # ... but "D.C." followed by a new sentence does.
    assert (
        "The U.S. Department of Labor said the national rate was 3.7 percent, up from 3.4 "
        "percent in Washington, D.C."
    ) in texts
    assert "The figures were not adjusted for inflation." in texts
    # Curly quotes stay with their sentence.
    assert "“Prices rose 4 percent last year,” Patel said." in texts


def test_crlf_gives_the_same_sentences():
    crlf = ARTICLE.replace("\n", "\r\n")
    assert [s.text for s in split_sentences(crlf)] == [s.text for s in split_sentences(ARTICLE)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "The meeting starts at 10 a.m. ET. Officials said it would last an hour.",
            ["The meeting starts at 10 a.m. ET.", "Officials said it would last an hour."],
        ),
        ("He arrived at 9 a.m. Tuesday and left.", ["He arrived at 9 a.m. Tuesday and left."]),
        ("It ends at 5 p.m. Officials then left.", ["It ends at 5 p.m.", "Officials then left."]),
        (
            "She moved to the U.K. in 2010. She likes it.",
            ["She moved to the U.K. in 2010.", "She likes it."],
        ),
        (
            "The minister said the plan\nwould cost 3 billion.\nNew headline\nBy Jane Doe",
            ["The minister said the plan\nwould cost 3 billion.", "New headline", "By Jane Doe"],
        ),
        (
            "  Hello there.   Two spaces before me.  \n\n",
            ["Hello there.", "Two spaces before me."],
        ),
    ],
)
def test_split_sentences_cases(text, expected):
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    assert_spans_slice(text, sentences)


def test_offsets_count_non_ascii_characters():
    text = "Ana Núñez — the mayor — spoke.\r\n“Prices rose,” she said."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Ana Núñez — the mayor — spoke.", "“Prices rose,” she said."]
    assert sentences[1].start == text.index("“")


def test_long_paragraph_splits_like_short_ones():
    # Long paragraphs are cut into pieces before pysbd; the cuts must not
    # change the sentences or their offsets.
    paragraph = " ".join(line for line in ARTICLE.splitlines() if line.strip())
    one = [s.text for s in split_sentences(paragraph)]
    long_text = " ".join([paragraph] * 12)
    sentences = split_sentences(long_text)
    assert_spans_slice(long_text, sentences)
    assert [s.text for s in sentences] == one * 12


@pytest.mark.parametrize("text", ["", "   ", "\n\r\n\t", "\u2028"])
def test_empty_text(text):
    assert split_sentences(text) == []
    assert extract_claims(text) == []


def test_random_texts_always_slice_exactly_and_lose_no_text():
    rng = random.Random(20241125)
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(SAMPLE_SENTENCES))
            parts.append(rng.choice(WHITESPACE))
        text = rng.choice(WHITESPACE) + "".join(parts)
        sentences = split_sentences(text)
        assert_spans_slice(text, sentences)
        covered = {index for s in sentences for index in range(s.start, s.end)}
        lost = [char for index, char in enumerate(text) if not char.isspace() and index not in covered]
        assert not lost, f"text dropped from {text!r}"
        claims = extract_claims(text, published=date(2026, 11, 23))
        assert_claim_spans_slice(text, claims)
        assert [c.start for c in claims] == sorted(c.start for c in claims)
        assert all(a.end <= b.start for a, b in itertools.pairwise(claims)), "claims overlap"


# --- what is (not) a claim --------------------------------------------------------


def test_article_drops_furniture_and_questions_and_marks_opinion_and_predictions():
    claims = {claim.sentence: claim for claim in extract_claims(ARTICLE)}
    for text in NON_CLAIMS:
        assert text not in claims
    # Sanity: the furniture lines are actually in the article as sentences.
    sentence_texts = {s.text for s in split_sentences(ARTICLE)}
    assert set(NON_CLAIMS) <= sentence_texts
    for text in NOT_CHECKABLE:
        assert claims[text].claim_type in {"opinion", "prediction"}
        assert not claims[text].checkable
    assert sum(claim.checkable for claim in claims.values()) == len(claims) - len(NOT_CHECKABLE)


def test_article_keeps_checkable_claims_in_order():
    claims = extract_claims(ARTICLE)
    sentences = [claim.sentence for claim in claims]
    assert sentences[0].startswith("SPRINGFIELD, Jan. 12 (Reuters) — Unemployment in Springfield fell")
    assert "“Prices rose 4 percent last year,” Patel said." in sentences
    assert any(s.startswith("Gov. Tom Brown told reporters") for s in sentences)
    assert [claim.start for claim in claims] == sorted(claim.start for claim in claims)


@pytest.mark.parametrize(
    "text",
    [
        "By Jane Doe and John Roe, Reuters",
        "By Associated Press.",
        "Reporting by Jane Doe; Editing by John Roe.",
        "WASHINGTON (Reuters) —",
        "READ MORE",
        "Related: The city spent 5 million dollars on parks in 2020.",
        "Read also: Unemployment fell to 3 percent in 2019.",
        "See also: Police arrested 12 people on Tuesday.",
        "Watch: Firefighters rescued 40 people from the building.",
        "Photo: Firefighters rescued 40 people from the building on Monday.",
        "Image caption Firefighters rescued 40 people from the building on Monday.",
        "Firefighters rescued 40 people from the building on Monday. (Photo by Jane Doe)",
        "Firefighters rescued 40 people from the building on Monday. Getty Images",
        "Firefighters rescued 40 people on Monday. (AP Photo/Jae C. Hong)",
        "Sign up for our newsletter to get 3 stories every morning.",
        "Follow us on Twitter for 24-hour coverage of the 2024 election.",
        "This article was originally published by The Conversation in 2023.",
        "Click here to read the full 40-page report from the ministry.",
        "Copyright 2024 The Associated Press. All rights reserved.",
        "Subscribe to our daily briefing for $1 a week.",
        "Did unemployment really fall to 3.5 percent in 2019?",
        "Unemployment fell in 2019.",
    ],
)
def test_non_claims_are_dropped(text):
    assert extract_claims(text) == []


@pytest.mark.parametrize(
    "text", ["I think this is wonderful.", "It was a beautiful day.", "In my opinion the new stadium is a disgrace."]
)
def test_pure_opinion_is_a_candidate_marked_not_checkable(text):
    (claim,) = extract_claims(text)
    assert claim.claim_type == "opinion"
    assert not claim.checkable


def test_byline_rule_does_not_swallow_sentences_starting_with_by():
    claims = extract_claims("By Monday, officials had counted 1,200 ballots in the county.")
    assert len(claims) == 1


def test_caption_credit_rule_does_not_drop_poll_sources():
    claims = extract_claims("A Reuters/Ipsos poll found 40 percent of Americans approve of the plan.")
    assert len(claims) == 1


# --- features and claim types -------------------------------------------------------


def fired(text: str) -> set[str]:
    return {name for name, value in sentence_features(text).items() if value and name != "length"}


def test_statistic_with_attribution_fires_its_features():
    features = fired(
        "Unemployment fell to 3.5 percent in 2019, the lowest rate in 50 years, "
        "according to the Bureau of Labor Statistics."
    )
    assert {"statistic", "money_or_percent", "named_source", "comparison", "date", "past_event"} <= features


def test_features_are_numbers_for_every_feature():
    from factcheck.checkworthiness.features import FEATURES

    for text in SAMPLE_SENTENCES + NON_CLAIMS:
        features = sentence_features(text)
        assert list(features) == [feature.name for feature in FEATURES]
        assert all(isinstance(value, float) and 0.0 <= value <= 1.5 for value in features.values())


def test_hedges_opinions_and_predictions_fire():
    assert "hedge" in fired("The factory may have closed because of the new tariffs.")
    assert "opinion" in fired("I think the mayor is doing a great job.")
    assert "prediction" in fired("The economy is expected to grow next year.")
    assert "prediction" in fired("Prices could fall if interest rates stay high.")


def test_years_and_times_are_dates_not_statistics():
    features = fired("The mayor resigned on Jan. 5, 2021 at 3 p.m. in Springfield.")
    assert "statistic" not in features
    assert "date" in features


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Unemployment fell to 3.5 percent in 2019.", "statistic"),
        ("Smith said the bridge had been closed since the storm.", "quote"),
        ("“The bridge is closed,” she said.", "quote"),
        ("The floods were caused by heavy rain in the hills.", "causal"),
        ("The new bridge is longer than the old one.", "comparison"),
        ("The company will open a new plant in Ohio.", "prediction"),
        ("Unemployment will fall to 3 percent next year.", "prediction"),
        ("If rates rise, the plan would cost $3 billion.", "prediction"),
        ("I think the plan is a disaster.", "opinion"),
        ("The mayor should resign from the council.", "opinion"),
        ("The council approved the budget on Tuesday.", "other"),
    ],
)
def test_claim_types(text, expected):
    assert claim_type(sentence_features(text)) == expected
    (claim,) = extract_claims(text)
    assert claim.claim_type == expected
    assert claim.checkable == (expected not in {"prediction", "opinion"})


# --- claimants and standalone text ------------------------------------------------


@pytest.mark.parametrize(
    "text, claimant",
    [
        ("Jane Doe said the city spent $2 million on roads last year.", "Jane Doe"),
        ("The city spent $2 million on roads last year, said Jane Doe.", "Jane Doe"),
        ("Jane Doe told reporters the city spent $2 million on roads.", "Jane Doe"),
        ("The city spent $2 million on roads, according to Jane Doe.", "Jane Doe"),
        ("Jane Doe, the mayor of Springfield, said the city spent $2 million on roads.", "Jane Doe"),
        ("Jane Doe said in a statement that the city spent $2 million on roads.", "Jane Doe"),
        ("Health Minister Jane Doe said 300 hospital beds were added in 2023.", "Jane Doe"),
        ("Cases doubled in March, the World Health Organization said.", "World Health Organization"),
        ("Cases rose 40 percent, according to the World Health Organization.", "World Health Organization"),
        ("“Prices rose 10 percent,” said Mayor Ana Núñez.", "Ana Núñez"),
        ("The Justice Department said 14 people were charged in 2023.", "Justice Department"),
        ("He said the city spent $2 million on roads last year.", None),
        ("She told reporters the city spent $2 million on roads.", None),
        ("Officials said the city spent $2 million on roads last year.", None),
        ("The city spent $2 million on roads last year.", None),
        ("“Smith said no,” Jones said of the $2 million plan.", "Jones"),
    ],
)
def test_claimant_detection(text, claimant):
    claims = extract_claims(text)
    assert len(claims) == 1
    assert claims[0].claimant == claimant


def test_named_attribution_is_a_feature_and_pronouns_are_not_named():
    assert "named_source" in fired("Jane Doe said the bridge was closed.")
    features = fired("He said the bridge was closed.")
    assert "named_source" not in features
    assert "unnamed_source" in features


def test_standalone_keeps_a_quote_with_its_attribution_as_written():
    # A quotation with its speaker already stands alone; rewording it would misquote.
    text = '"Prices rose 10 percent in 2025," Smith said.'
    (claim,) = extract_claims(text)
    assert (claim.sentence, claim.standalone_text, claim.claimant, claim.rewrites) == (text, text, "Smith", ())
    (claim,) = extract_claims("“Prices rose 10 percent in 2025,” said Mayor Ana Núñez.")
    assert claim.standalone_text == "“Prices rose 10 percent in 2025,” said Mayor Ana Núñez."
    assert claim.claimant == "Ana Núñez"


def test_standalone_collapses_whitespace():
    text = "“The city spent   $2 million\non roads in 2023.”"
    (claim,) = extract_claims(text)
    assert claim.sentence == text
    assert claim.standalone_text == "“The city spent $2 million on roads in 2023.”"


def test_standalone_drops_the_dateline():
    (claim,) = extract_claims("WASHINGTON (Reuters) - The Federal Reserve raised rates by 0.25 points on Wednesday.")
    assert claim.standalone_text == "The Federal Reserve raised rates by 0.25 points on Wednesday."
