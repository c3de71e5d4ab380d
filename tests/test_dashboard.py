"""The editors' dashboard: aggregates from claims, the event log, verdicts and match decisions."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from factcheck.domain.errors import ValidationFailed
from factcheck.models import Article, Claim, Event, FactCheck, Match, Verdict
from factcheck.services import dashboard
from factcheck.web.charts import bar_chart, column_chart

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
TODAY = date(2026, 11, 12)


def _claim(session, article, created, **fields) -> Claim:
    claim = Claim(article_id=article.id, sentence="s", standalone_text="s", created_at=created, **fields)
    session.add(claim)
    session.flush()
    session.add(Event(claim_id=claim.id, action="created", to_state="new", created_at=created))
    return claim


def _move(session, claim, when, to_state, actor=None):
    session.add(Event(claim_id=claim.id, action="move", from_state=claim.state, to_state=to_state,
                      actor_id=actor, created_at=when))
    claim.state = to_state
    session.add(claim)
    session.flush()


@pytest.fixture
def desk(session, users):
    """Three claims through the workflow at known times, a fourth left waiting and overdue."""
    article = Article(title="A", text="s")
    session.add(article)
    session.flush()
    checker = users["checker"]
    hour = timedelta(hours=1)
    a = _claim(session, article, DAY1)
    _move(session, a, DAY1 + 2 * hour, "in_progress", checker.id)   # 2 h new
    _move(session, a, DAY1 + 6 * hour, "in_review", checker.id)     # 4 h in progress
    _move(session, a, DAY1 + 7 * hour, "approved")                  # 1 h in review
    _move(session, a, DAY1 + 8 * hour, "published")                 # 1 h approved
    a.published_at = DAY1 + 8 * hour
    session.add(Verdict(claim_id=a.id, rating="False", rating_value=1, summary="x", published_at=a.published_at))
    b = _claim(session, article, DAY1)
    _move(session, b, DAY1 + 4 * hour, "in_progress", checker.id)  # 4 h new
    _move(session, b, DAY1 + 14 * hour, "in_review", checker.id)   # 10 h in progress
    b.assignee_id = checker.id
    c = _claim(session, article, DAY1 + timedelta(days=2))
    _move(session, c, DAY1 + timedelta(days=2) + 12 * hour, "in_progress", checker.id)  # 12 h new
    c.assignee_id, c.due_date = checker.id, TODAY - timedelta(days=1)
    d = _claim(session, article, DAY1 + timedelta(days=8), due_date=TODAY)
    session.add_all([b, c, d])
    fc = FactCheck(claim_reviewed="x", rating="False", url="https://fc.example/1")
    session.add(fc)
    session.flush()
    decided = DAY1 + timedelta(days=1)
    for status in ("confirmed", "confirmed", "rejected"):
        session.add(Match(claim_id=a.id, kind="fact_check", fact_check_id=fc.id, score=0.9, method="m",
                          status=status, decided_by_id=checker.id, decided_at=decided))
    # An automatic link: nobody decided it, so it does not count.
    session.add(Match(claim_id=b.id, kind="fact_check", fact_check_id=fc.id, score=0.95, method="m",
                      status="confirmed", decided_at=decided))
    session.commit()
    return {"a": a, "b": b, "c": c, "d": d}


def test_aggregates(session, users, desk):
    period = dashboard.parse_range("2026-11-02", "2026-11-12", today=TODAY)
    board = dashboard.build(session, period, today=TODAY)
    t = board.throughput
    assert len(t.days) == 11 and t.days[0] == date(2026, 11, 2)
    assert t.claims_in[:4] == [2, 0, 1, 0] and sum(t.claims_in) == 4
    assert t.published[0] == 1 and sum(t.published) == 1
    assert t.weeks == [date(2026, 11, 2), date(2026, 11, 9)]
    assert t.claims_in_weekly == [3, 1] and t.published_weekly == [1, 0]

    times = {s.state: s for s in board.state_times}
    # new: stays of 2, 4 and 12 hours (d is still new: not counted)
    assert times["new"].stays == 3 and times["new"].median_hours == pytest.approx(4.0)
    assert times["new"].p90_hours == pytest.approx(10.4)  # linear between 4 and 12
    assert times["in_progress"].stays == 2 and times["in_progress"].median_hours == pytest.approx(7.0)
    assert times["in_review"].stays == 1 and times["in_review"].median_hours == pytest.approx(1.0)
    assert times["approved"].median_hours == pytest.approx(1.0)

    assert board.verdict_mix == [("False", 1)]
    assert (board.overdue, board.due_today) == (1, 1)
    [load] = board.load
    assert (load.name, load.in_progress, load.in_review, load.overdue) == ("checker", 1, 1, 1)
    fact_checks, passages = board.acceptance
    assert (fact_checks.confirmed, fact_checks.rejected) == (2, 1)
    assert fact_checks.rate == pytest.approx(2 / 3)
    assert passages.rate is None


def test_range_outside_the_data_is_empty(session, users, desk):
    board = dashboard.build(session, dashboard.parse_range("2025-01-01", "2025-01-31"), today=TODAY)
    assert sum(board.throughput.claims_in) == 0 and board.verdict_mix == []
    assert all(s.stays == 0 and s.median_hours is None for s in board.state_times)
    # Overdue and load are about now, whatever the range.
    assert board.overdue == 1


def test_parse_range_rejects_bad_input():
    assert dashboard.parse_range("", "", today=TODAY).days == dashboard.DEFAULT_RANGE_DAYS
    for start, end in (("yesterday", ""), ("2026-11-10", "2026-11-01"), ("2020-01-01", "2026-01-01")):
        with pytest.raises(ValidationFailed):
            dashboard.parse_range(start, end, today=TODAY)


def test_chart_geometry():
    chart = column_chart("c", "T", "D", ["a", "b"], [("x", [1, 3]), ("y", [0, 2])])
    assert len(chart.bars) == 4 and not chart.empty
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.value == 3 and tallest.y >= chart.plot_top
    assert all(b.y + b.height == pytest.approx(chart.plot_bottom) for b in chart.bars)
    assert column_chart("c", "T", "D", ["a"], [("x", [0])]).empty
    bars = bar_chart("h", "T", "D", [("False", 4), ("True", 2)])
    assert bars.bars[0].width == pytest.approx(2 * bars.bars[1].width)
    assert [t.text for t in bars.labels] == ["False", "True"]
    small = column_chart("s", "T", "D", ["new"], [("median", [0.0125])])
    assert small.bars[0].text == "0.013" and [t.text for t in small.grid][-1] == "0.02"


def test_dashboard_page_csv_and_roles(app, users, desk, browser_factory):
    checker = browser_factory()
    checker.login("checker@example.org")
    assert checker.get("/dashboard").status_code == 403
    assert checker.get("/dashboard/verdict_mix.csv").status_code == 403
    editor = browser_factory()
    editor.login("editor@example.org")
    page = editor.get("/dashboard?from=2026-11-02&to=2026-11-12")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') == len(dashboard.CHARTS)
    assert '<title id="verdict_mix-title">Verdict mix</title>' in html
    assert "<caption>Published verdicts by rating</caption>" in html
    assert "<script" not in html.split("</head>")[1]  # no inline script: charts need no JS
    response = editor.get("/dashboard/claims_per_week.csv?from=2026-11-02&to=2026-11-12")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [["week starting", "claims in", "published"], ["2026-11-02", "3", "1"], ["2026-11-09", "1", "0"]]
    bad = editor.get("/dashboard?from=not-a-date")
    assert bad.status_code == 422 and "is not a date" in bad.get_data(as_text=True)
    assert editor.get("/dashboard/nothing.csv").status_code == 404
    assert editor.get("/dashboard/acceptance.csv?from=2026-11-10&to=2026-11-01").status_code == 422


def test_csv_cells_cannot_run_as_formulas(session, app, users, desk, browser_factory):
    users["checker"].name = "=HYPERLINK(\"http://evil\")"
    session.add(users["checker"])
    session.commit()
    editor = browser_factory()
    editor.login("editor@example.org")
    body = editor.get("/dashboard/checker_load.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
