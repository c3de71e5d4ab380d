"""The editors' dashboard: what came in, what went out, where claims wait, who carries the load.

Every figure is aggregated by the database (SQL that runs on SQLite and PostgreSQL); Python only
fills empty days, folds days into weeks and takes percentiles of the state durations the database
computed. Days are UTC days.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from factcheck.domain.errors import ValidationFailed
from factcheck.domain.workflow import OPEN_STATES, STATE_LABELS, State
from factcheck.models import Claim, Event, Match, User, Verdict

#: The longest range the dashboard aggregates at once (two years of days).
MAX_RANGE_DAYS = 731
DEFAULT_RANGE_DAYS = 30
#: States a claim passes through on its way to publication; time spent in each is measured.
TIMED_STATES = (State.NEW, State.IN_PROGRESS, State.IN_REVIEW, State.APPROVED)
#: States in which a claim still has work ahead (and so can be overdue).
UNFINISHED_STATES = tuple(s.value for s in OPEN_STATES) + (State.APPROVED.value,)


@dataclass(frozen=True)
class DateRange:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 UTC, the day after end 00:00 UTC)."""
        return (datetime.combine(self.start, time(), tzinfo=timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time(), tzinfo=timezone.utc))


def parse_range(start: str | None, end: str | None, *, today: date | None = None) -> DateRange:
    """The range from the filter's ``from``/``to`` fields; the last 30 days when both are empty."""
    today = today or datetime.now(timezone.utc).date()

    def parse(value: str | None, name: str) -> date | None:
        value = (value or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(f"{value!r} is not a date; use YYYY-MM-DD.", {name: "invalid"}) from None

    end_date = parse(end, "to") or today
    start_date = parse(start, "from") or end_date - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start_date > end_date:
        raise ValidationFailed("The range starts after it ends.", {"from": "after to"})
    if (end_date - start_date).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Choose a range of at most {MAX_RANGE_DAYS} days.", {"from": "too long"})
    return DateRange(start_date, end_date)


@dataclass
class Throughput:
    days: list[date]
    claims_in: list[int]
    published: list[int]
    weeks: list[date]  # Monday of each ISO week that overlaps the range
    claims_in_weekly: list[int]
    published_weekly: list[int]


@dataclass
class StateTime:
    state: str
    label: str
    stays: int  # completed stays that began in the range
    median_hours: float | None
    p90_hours: float | None


@dataclass
class CheckerLoad:
    user_id: int
    name: str
    in_progress: int
    in_review: int
    overdue: int

    @property
    def total(self) -> int:
        return self.in_progress + self.in_review


@dataclass
class Acceptance:
    kind: str  # fact_check | passage
    confirmed: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.confirmed + self.rejected

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None


@dataclass
class Dashboard:
    range: DateRange
    throughput: Throughput
    state_times: list[StateTime]
    verdict_mix: list[tuple[str, int]]
    overdue: int
    due_today: int
    load: list[CheckerLoad]
    acceptance: list[Acceptance] = field(default_factory=list)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _day(session: Session, column):
    """The UTC calendar day of a timestamp column, as SQL both backends understand."""
    if _is_postgres(session):
        return func.date(func.timezone("UTC", column))
    # SQLite stores UTC timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text.
    return func.date(column)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _seconds_between(session: Session, start, end):
    if _is_postgres(session):
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _daily_counts(session: Session, column, period: DateRange, *conditions) -> dict[date, int]:
    low, high = period.bounds()
    day = _day(session, column).label("day")
    rows = session.exec(
        select(day, func.count()).where(column >= low, column < high, *conditions).group_by(day)
    ).all()
    return {_as_date(d): n for d, n in rows}


def throughput(session: Session, period: DateRange) -> Throughput:
    claims_in = _daily_counts(session, Claim.created_at, period)
    published = _daily_counts(session, Claim.published_at, period, Claim.published_at.is_not(None))
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    weeks: dict[date, list[int]] = {}
    for day in days:
        week = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])
        week[0] += claims_in.get(day, 0)
        week[1] += published.get(day, 0)
    return Throughput(
        days=days, claims_in=[claims_in.get(d, 0) for d in days], published=[published.get(d, 0) for d in days],
        weeks=list(weeks), claims_in_weekly=[w[0] for w in weeks.values()],
        published_weekly=[w[1] for w in weeks.values()],
    )


def state_times(session: Session, period: DateRange) -> list[StateTime]:
    """Median and 90th percentile of completed stays in each state, from the event log.

    A stay begins with an event that moved the claim into a state (``created`` or a transition)
    and ends with the claim's next such event; the database pairs them with ``LEAD``. Stays still
    running are left out (they have no length yet), and so are stays that began outside the range.
    """
    low, high = period.bounds()
    stays = (
        select(
            Event.to_state.label("state"),
            Event.created_at.label("entered"),
            func.lead(Event.created_at).over(partition_by=Event.claim_id, order_by=Event.id).label("left"),
        )
        .where(Event.claim_id.is_not(None), Event.to_state.is_not(None))
        .subquery()
    )
    seconds = _seconds_between(session, stays.c.entered, stays.c.left).label("seconds")
    rows = session.exec(
        select(stays.c.state, seconds)
        .where(stays.c.left.is_not(None), stays.c.entered >= low, stays.c.entered < high,
               stays.c.state.in_([s.value for s in TIMED_STATES]))
    ).all()
    by_state: dict[str, list[float]] = {}
    for state, value in rows:
        by_state.setdefault(state, []).append(max(float(value), 0.0))
    result = []
    for state in TIMED_STATES:
        values = np.asarray(by_state.get(state.value, []), dtype=float) / 3600.0
        result.append(StateTime(
            state=state.value, label=STATE_LABELS[state], stays=int(values.size),
            median_hours=float(np.percentile(values, 50)) if values.size else None,
            p90_hours=float(np.percentile(values, 90)) if values.size else None,
        ))
    return result


def verdict_mix(session: Session, period: DateRange) -> list[tuple[str, int]]:
    """Ratings of the verdict versions published in the range (corrections count as a new verdict)."""
    low, high = period.bounds()
    rows = session.exec(
        select(Verdict.rating, func.min(Verdict.rating_value), func.count())
        .where(Verdict.published_at >= low, Verdict.published_at < high)
        .group_by(Verdict.rating)
    ).all()
    return [(rating, n) for rating, _value, n in sorted(rows, key=lambda r: (r[1], r[0]))]


def deadline_counts(session: Session, today: date) -> tuple[int, int]:
    """(overdue, due today) among claims that still have work ahead, as of today."""
    overdue, due_today = session.exec(
        select(func.coalesce(func.sum(case((Claim.due_date < today, 1), else_=0)), 0),
               func.coalesce(func.sum(case((Claim.due_date == today, 1), else_=0)), 0))
        .where(Claim.state.in_(UNFINISHED_STATES), Claim.due_date.is_not(None))
    ).one()
    return int(overdue), int(due_today)


def checker_load(session: Session, today: date) -> list[CheckerLoad]:
    """Claims each person holds now: in progress, in review, and how many of those are overdue."""
    rows = session.exec(
        select(User.id, User.name, User.email,
               func.sum(case((Claim.state == State.IN_PROGRESS.value, 1), else_=0)),
               func.sum(case((Claim.state == State.IN_REVIEW.value, 1), else_=0)),
               func.sum(case((and_(Claim.due_date.is_not(None), Claim.due_date < today), 1), else_=0)))
        .join(Claim, Claim.assignee_id == User.id)
        .where(Claim.state.in_([State.IN_PROGRESS.value, State.IN_REVIEW.value]))
        .group_by(User.id, User.name, User.email)
    ).all()
    load = [CheckerLoad(user_id=uid, name=name or email, in_progress=int(a or 0), in_review=int(b or 0),
                        overdue=int(c or 0)) for uid, name, email, a, b, c in rows]
    return sorted(load, key=lambda item: (-item.total, item.name))


def acceptance(session: Session, period: DateRange) -> list[Acceptance]:
    """Of the suggestions people decided in the range, how many they confirmed, per library.

    Automatic links (no human decided them) are not counted: the rate measures how often a
    suggestion shown to a person was right.
    """
    low, high = period.bounds()
    rows = session.exec(
        select(Match.kind,
               func.sum(case((Match.status == "confirmed", 1), else_=0)),
               func.sum(case((Match.status == "rejected", 1), else_=0)))
        .where(Match.decided_by_id.is_not(None), Match.decided_at >= low, Match.decided_at < high,
               Match.status.in_(["confirmed", "rejected"]))
        .group_by(Match.kind)
    ).all()
    found = {kind: Acceptance(kind, int(c or 0), int(r or 0)) for kind, c, r in rows}
    return [found.get(kind, Acceptance(kind, 0, 0)) for kind in ("fact_check", "passage")]


def build(session: Session, period: DateRange, *, today: date | None = None) -> Dashboard:
    today = today or datetime.now(timezone.utc).date()
    overdue, due_today = deadline_counts(session, today)
    return Dashboard(
        range=period, throughput=throughput(session, period), state_times=state_times(session, period),
        verdict_mix=verdict_mix(session, period), overdue=overdue, due_today=due_today,
        load=checker_load(session, today), acceptance=acceptance(session, period),
    )


# ---- tables: the data behind each chart, for the table view and the CSV download --------------

CHARTS = ("claims_per_day", "claims_per_week", "time_in_state", "verdict_mix", "checker_load", "acceptance")


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def table(dashboard: Dashboard, chart: str) -> tuple[list[str], list[list]]:
    """Header and rows of one chart's data."""
    t = dashboard.throughput
    if chart == "claims_per_day":
        return ["day", "claims in", "published"], [[d.isoformat(), a, b] for d, a, b in
                                                   zip(t.days, t.claims_in, t.published)]
    if chart == "claims_per_week":
        return ["week starting", "claims in", "published"], [[w.isoformat(), a, b] for w, a, b in
                                                             zip(t.weeks, t.claims_in_weekly, t.published_weekly)]
    if chart == "time_in_state":
        return (["state", "completed stays", "median hours", "90th percentile hours"],
                [[s.label, s.stays, _hours(s.median_hours), _hours(s.p90_hours)] for s in dashboard.state_times])
    if chart == "verdict_mix":
        return ["rating", "published verdicts"], [[rating, n] for rating, n in dashboard.verdict_mix]
    if chart == "checker_load":
        return (["person", "in progress", "in review", "overdue"],
                [[c.name, c.in_progress, c.in_review, c.overdue] for c in dashboard.load])
    if chart == "acceptance":
        labels = {"fact_check": "earlier fact-checks", "passage": "source passages"}
        return (["suggestions of", "confirmed", "rejected", "acceptance rate"],
                [[labels[a.kind], a.confirmed, a.rejected, "" if a.rate is None else f"{a.rate:.3f}"]
                 for a in dashboard.acceptance])
    raise ValidationFailed(f"Unknown chart {chart!r}; use one of: {', '.join(CHARTS)}.", {"chart": "unknown"})

