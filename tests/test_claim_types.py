"""Claim types a checker uses, decided with the parser where structure matters (factcheck.checkworthiness.types),
the order claims are listed in, and the article evaluation (``factcheck eval articles``)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from factcheck.checkworthiness.articles import DEFAULT_DIR, EvalArticle, load_articles, recall_at
from factcheck.checkworthiness.features import sentence_features
from factcheck.checkworthiness.types import classify
from factcheck.cli import main
from factcheck.domain.extraction import extract_claims
from factcheck.services.articles import in_priority_order


def kind(sentence: str) -> str:
    return classify(sentence, sentence_features(sentence))


@pytest.mark.parametrize("sentence", [
    "Calderon Systems said on Wednesday that it will be carbon negative by 2030 and that it will launch a "
    "$1 billion fund to invest in carbon removal technology.",
    "The developer, Lindqvist Homes, has committed to making 30 percent of the homes affordable.",
    "The company also pledged that by 2050 it would remove all the carbon it has emitted since 1981.",
    "The national arts council will cut its grants for independent film by 18 percent next year, it said on Saturday.",
    "The government plans to build 300,000 homes a year.",
    "Lindqvist Homes said it would contribute £18 million towards road improvements.",
])
def test_pledges_and_announcements_with_figures_are_checkable_pledges(sentence):
    assert kind(sentence) == "pledge"
    (claim,) = extract_claims(sentence)
    assert claim.claim_type == "pledge" and claim.checkable


@pytest.mark.parametrize("sentence", [
    "Unemployment will fall to 3 percent next year.",  # a forecast about the world, not a commitment
    "The company will open a new plant in Ohio.",  # a commitment with nothing to check yet
    "If rates rise, the plan would cost $3 billion.",  # a conditional
    "The Coalition for Medical Freedom, which lobbied against the 2023 bill, said it would campaign against the "
    "new proposal.",  # the 2023 is about the past, the intention has no figure
    "Marsh acknowledged that the company's own data centre expansion would make the targets harder.",
])
def test_forecasts_and_intentions_without_figures_stay_predictions(sentence):
    assert kind(sentence) == "prediction"
    (claim,) = extract_claims(sentence)
    assert not claim.checkable


def test_titles_in_quotation_marks_are_not_quotes():
    title = ('"The Salt Road", a drama about two sisters running a fishing business, received the festival\'s '
             "award on Saturday night.")
    assert sentence_features(title)["quotation"] == 1.0  # the feature sees quotation marks ...
    assert kind(title) != "quote"  # ... the parser sees a title
    assert kind("The audience award went to “A Quiet Year in Kestrel Bay”, a documentary about a village school.") \
        != "quote"
    # Someone's words are a quote, whether or not a title is also named.
    assert kind('"We have watched business sail past us to ports that invested a decade ago," she said.') == "quote"
    assert kind('The actor, who stars in "The Salt Road", said the film "was made on almost nothing".') == "quote"


@pytest.mark.parametrize("sentence", [
    '"It may be the best line-up Lakeshore has had this decade," said the critic Daniel Okoro.',
    '"Perhaps it is not perfect, but I think it is the best deal this city has been offered in a generation," '
    "she said.",
    "It could well be that closing the youth clubs was the most expensive saving the council ever made.",
])
def test_hedged_judgements_are_opinions(sentence):
    assert kind(sentence) == "opinion"


def test_hedged_statements_with_figures_are_not_opinions():
    assert kind("Officials said the closure may have cost the city $4 million last year.") != "opinion"


def _scored(start: int, score: float, claim_type: str, checkable: bool = True):
    return SimpleNamespace(candidate=SimpleNamespace(start=start, checkable=checkable, claim_type=claim_type),
                           assessment=SimpleNamespace(score=score))


def test_figures_first_then_other_checkable_claims_then_opinions_and_predictions():
    hedged_opinion = _scored(0, 0.95, "opinion", checkable=False)
    remark = _scored(10, 0.9, "quote")
    weak_figure, strong_figure, pledge = _scored(20, 0.2, "statistic"), _scored(30, 0.7, "statistic"), \
        _scored(40, 0.5, "pledge")
    assert in_priority_order([hedged_opinion, remark, weak_figure, strong_figure, pledge]) == \
        [strong_figure, pledge, weak_figure, remark, hedged_opinion]
    stored = [SimpleNamespace(span_start=i, checkworthiness=s, checkable=c, claim_type=t)
              for i, (s, c, t) in enumerate([(0.9, False, "prediction"), (0.3, True, "statistic"),
                                             (0.6, True, "other")])]
    assert [c.span_start for c in in_priority_order(stored)] == [1, 2, 0]


# ------------------------------------------------------------------------------------------- eval articles


def test_the_shipped_articles_load_with_both_splits():
    articles = load_articles(DEFAULT_DIR)
    assert len(articles) >= 6 and {a.split for a in articles} == {"tuning", "held_out"}
    assert len({a.beat for a in articles}) == len(articles)
    for article in articles:
        assert 450 <= len(article.text.split()) <= 950
        for start, end in article.claims:
            assert article.text[start:end].strip()


def test_a_picked_claim_missing_from_its_text_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('title = "t"\nsplit = "tuning"\ntext = "One sentence here."\n'
                                     'claims = ["Not in the text."]\n')
    with pytest.raises(ValueError, match="not in the text"):
        load_articles(tmp_path)


def test_recall_counts_picked_claims_covered_by_the_first_k():
    article = EvalArticle("a", "t", "b", None, "tuning", "x" * 100, ((0, 10), (20, 40), (60, 80)))
    # (0, 10) found first; (20, 40) split in two halves, both in the first k; (60, 80) only at rank 3.
    ranked = [(0, 10), (20, 30), (30, 40), (60, 80)]
    assert recall_at(article, ranked, k=3) == pytest.approx(2 / 3)
    assert recall_at(article, ranked, k=4) == 1.0
    assert recall_at(article, [(5, 8)], k=10) == 0.0  # less than half of the picked claim


def test_eval_articles_reports_each_article_and_split(tmp_path):
    text = ("The council approved a budget of $40 million on Tuesday, up from $31 million last year. "
            "Officials said the city had hired 120 new teachers since 2022. I think the plan is lovely.")
    (tmp_path / "budget.toml").write_text(
        f'title = "Budget"\nbeat = "local"\npublished = 2026-03-03\nsplit = "held_out"\ntext = """{text}"""\n'
        'claims = ["The council approved a budget of $40 million on Tuesday, up from $31 million last year."]\n')
    result = CliRunner().invoke(main, ["eval", "articles", str(tmp_path), "--json"],
                                env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["articles"]["budget"] == {"split": "held_out", "picked": 1, "found": 1, "recall": 1.0}
    assert report["splits"]["held_out"]["mean_recall"] == 1.0 and "tuning" not in report["splits"]


def test_every_claim_type_can_be_filtered_on_in_the_desk_queue():
    from factcheck.checkworthiness.features import CLAIM_TYPES
    from factcheck.services.desk_queue import CLAIM_TYPES as FILTERABLE

    assert set(FILTERABLE) == set(CLAIM_TYPES)
