"""The editors' dashboard: charts drawn server-side, each with its table and a CSV download."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request

from factcheck.domain.errors import ValidationFailed
from factcheck.services import dashboard as dashboard_service
from factcheck.web.auth import require
from factcheck.web.charts import bar_chart, column_chart
from factcheck.web.context import db_session

bp = Blueprint("dashboard", __name__)


def _charts(board: dashboard_service.Dashboard) -> dict:
    t = board.throughput
    period = f"{board.range.start.isoformat()} to {board.range.end.isoformat()}"
    acceptance_rows = [(("Earlier fact-checks" if a.kind == "fact_check" else "Source passages"),
                        round(100 * a.rate, 1)) for a in board.acceptance if a.rate is not None]
    return {
        "claims_per_day": column_chart(
            "claims_per_day", "Claims in and published per day",
            f"Claims found in articles and claims published on each day from {period}.",
            [d.isoformat() for d in t.days], [("claims in", t.claims_in), ("published", t.published)]),
        "claims_per_week": column_chart(
            "claims_per_week", "Claims in and published per week",
            f"The same counts summed by week (weeks start on Monday), {period}.",
            [w.isoformat() for w in t.weeks], [("claims in", t.claims_in_weekly), ("published", t.published_weekly)]),
        "time_in_state": column_chart(
            "time_in_state", "Hours spent in each state",
            f"Median and 90th percentile hours of completed stays in each state that began {period}.",
            [s.label for s in board.state_times],
            [("median", [s.median_hours or 0.0 for s in board.state_times]),
             ("90th percentile", [s.p90_hours or 0.0 for s in board.state_times])]),
        "verdict_mix": bar_chart(
            "verdict_mix", "Verdict mix", f"Published verdicts by rating, {period}.", board.verdict_mix),
        "checker_load": bar_chart(
            "checker_load", "Load per person", "Claims each person holds now (in progress and in review).",
            [(c.name, c.total) for c in board.load]),
        "acceptance": bar_chart(
            "acceptance", "Match suggestions accepted",
            f"Share of suggestions people confirmed among those they decided, {period}.", acceptance_rows,
            unit="%"),
    }


@bp.get("/dashboard")
@require("dashboard.view")
def index():
    """Charts for the chosen date range (the last 30 days by default)."""
    start, end = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = dashboard_service.parse_range(start, end)
    except ValidationFailed as error:
        return render_template("dashboard/index.html", board=None, error=str(error), start=start, end=end), 422
    board = dashboard_service.build(db_session(), period)
    tables = {name: dashboard_service.table(board, name) for name in dashboard_service.CHARTS}
    return render_template("dashboard/index.html", board=board, charts=_charts(board), tables=tables, error=None,
                           start=period.start.isoformat(), end=period.end.isoformat())


def _cell(value) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/dashboard/<chart>.csv")
@require("dashboard.view")
def download(chart: str):
    """One chart's data as CSV, for the same date range."""
    if chart not in dashboard_service.CHARTS:
        return Response(f"Unknown chart {chart!r}.", status=404, mimetype="text/plain")
    period = dashboard_service.parse_range(request.args.get("from"), request.args.get("to"))
    header, rows = dashboard_service.table(dashboard_service.build(db_session(), period), chart)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    name = f"{chart}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
