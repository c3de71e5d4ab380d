"""The desk's queue: filters, sorting, paging, flat or grouped by article.

Paging is by offset with a capped count: counting every match of a broad filter at 100k claims costs
more than the page itself, so the count stops at ``COUNT_CAP`` ("1,000+", 20 pages) and pages go no
further: past that, a filter finds a claim faster than paging does.
The filters that matter at that size are served by indexes (ix_claim_pool_order, ix_claim_queue,
ix_claim_assignee_state, ix_claim_state_due, ix_claim_due_order, ix_claim_article_state).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, func, literal, or_
from sqlmodel import Session, select

from factcheck.checkworthiness.features import CLAIM_TYPES
from factcheck.domain.errors import ValidationFailed
from factcheck.domain.workflow import OPEN_STATES, State
from factcheck.models import Article, Claim, User
from factcheck.services.users import people

PAGE_SIZE = 50
# Grouped pages hold articles, each with up to ``per_article`` claims: 20 articles is up to 100 rows, as
# long a page as a desk lead scans (and drawing 250 rows cost more than the queries behind them).
GROUPED_PAGE_SIZE = 20
COUNT_CAP = 1_000
VIEWS = ("pool", "mine", "review", "all")
DUE = {"": "Any due date", "overdue": "Overdue", "today": "Due today", "week": "Due within 7 days",
       "none": "No due date"}
SORTS = {"priority": "Priority, then due date", "due": "Due date", "score": "Check-worthiness",
         "newest": "Newest first", "oldest": "Oldest first"}
PRIORITIES = {0: "normal", 1: "high", 2: "urgent", 3: "top"}
#: States in which a claim still has work ahead (due dates matter only there).
UNFINISHED = tuple(s.value for s in OPEN_STATES) + (State.APPROVED.value,)


@dataclass(frozen=True)
class QueueQuery:
    view: str = "pool"
    state: str = ""
    assignee: str = ""  # "" any, "me", "none", or a user id
    article_id: int | None = None
    priority: int | None = None
    due: str = ""
    claim_type: str = ""
    q: str = ""
    include_not_checkable: bool = False
    sort: str = "priority"
    group: str = "flat"  # flat | article
    page: int = 1

    def args(self, **changes) -> dict:
        """The query as URL arguments (defaults left out), with ``changes`` applied: for links and paging."""
        query = replace(self, **changes)
        defaults = QueueQuery()
        result = {}
        for name in ("view", "state", "assignee", "article_id", "priority", "due", "claim_type", "q", "sort",
                     "group", "page"):
            value = getattr(query, name)
            if value != getattr(defaults, name) and value is not None:
                result[name] = value
        if query.include_not_checkable:
            result["checkable"] = "all"
        return result


def _int(value, name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a whole number.", {name: "invalid"}) from None
    if not low <= number <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}.", {name: "out of range"})
    return number


def parse_query(args) -> QueueQuery:
    """Read the queue's URL arguments; unknown choices fall back to the default, malformed numbers are refused."""
    def choice(name: str, allowed, default: str = "") -> str:
        value = (args.get(name) or "").strip()
        return value if value in allowed else default

    assignee = (args.get("assignee") or "").strip()
    if assignee not in ("", "me", "none"):
        assignee = str(_int(assignee, "assignee", 1, 2**31 - 1))
    return QueueQuery(
        view=choice("view", VIEWS, "pool"),
        state=choice("state", {s.value for s in State}),
        assignee=assignee,
        article_id=_int(args.get("article_id"), "article_id", 1, 2**31 - 1),
        priority=_int(args.get("priority"), "priority", 0, 3),
        due=choice("due", DUE),
        claim_type=choice("claim_type", CLAIM_TYPES),
        q=(args.get("q") or "").strip()[:200],
        include_not_checkable=args.get("checkable") == "all",
        sort=choice("sort", SORTS, "priority"),
        group=choice("group", ("flat", "article"), "flat"),
        page=_int(args.get("page"), "page", 1, COUNT_CAP) or 1,
    )


def _conditions(query: QueueQuery, user: User, today: date) -> list:
    where = []
    if query.view == "pool":
        # The state is written into the SQL, not bound: only then can the database see that the query is
        # inside ix_claim_pool_order's WHERE and walk that partial index in order.
        where += [Claim.state == literal(State.NEW.value, literal_execute=True), Claim.assignee_id.is_(None)]
        if not query.include_not_checkable:
            where.append(Claim.checkable)
    elif query.view == "mine":
        where += [Claim.assignee_id == user.id, Claim.state.in_([State.IN_PROGRESS.value, State.IN_REVIEW.value])]
    elif query.view == "review":
        where.append(Claim.state.in_([State.IN_REVIEW.value, State.APPROVED.value]))
    if query.state:
        where.append(Claim.state == query.state)
    if query.assignee == "me":
        where.append(Claim.assignee_id == user.id)
    elif query.assignee == "none":
        where.append(Claim.assignee_id.is_(None))
    elif query.assignee:
        where.append(Claim.assignee_id == int(query.assignee))
    if query.article_id:
        where.append(Claim.article_id == query.article_id)
    if query.priority is not None:
        where.append(Claim.priority == query.priority)
    if query.claim_type:
        where.append(Claim.claim_type == query.claim_type)
    if query.due:
        if query.due == "none":
            where.append(Claim.due_date.is_(None))
        else:
            where.append(Claim.state.in_(UNFINISHED))
            if query.due == "overdue":
                where.append(Claim.due_date < today)
            elif query.due == "today":
                where.append(Claim.due_date == today)
            else:
                where += [Claim.due_date >= today, Claim.due_date <= today + timedelta(days=7)]
    if query.q:
        like = f"%{query.q}%"
        where.append(or_(Claim.standalone_text.ilike(like), Claim.sentence.ilike(like), Claim.claimant.ilike(like)))
    return where


def _order(sort: str) -> tuple:
    due_last = (Claim.due_date.is_(None), Claim.due_date)
    if sort == "due":
        return (*due_last, Claim.priority.desc(), Claim.id)
    if sort == "score":
        return (Claim.checkworthiness.desc(), Claim.id)
    if sort == "newest":
        return (Claim.id.desc(),)
    if sort == "oldest":
        return (Claim.id,)
    return (Claim.priority.desc(), *due_last, Claim.checkworthiness.desc(), Claim.id)


#: What a queue row shows of a claim. Rows are read as these columns, not as Claim objects: a claim's whole row
#: (its sentence, rewrites, reasons...) and the ORM's bookkeeping for it cost more than drawing it, 50-100 times a page.
ROW_COLUMNS = (Claim.id, Claim.article_id, Claim.standalone_text, Claim.claimant, Claim.claim_type, Claim.checkable,
               Claim.checkworthiness, Claim.priority, Claim.due_date, Claim.state, Claim.assignee_id)


@dataclass
class Row:
    claim: Any  # the ROW_COLUMNS of a claim, read as attributes like a Claim's
    article_title: str | None
    outlet: str | None
    overdue: bool
    due_today: bool


@dataclass
class Group:
    article_id: int | None
    title: str
    outlet: str | None
    matching: int
    open: int
    rows: list[Row] = field(default_factory=list)


@dataclass
class QueuePage:
    query: QueueQuery
    rows: list[Row]
    groups: list[Group]
    total: int  # capped at COUNT_CAP + 1 ("more than COUNT_CAP")
    pages: int

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def total_text(self) -> str:
        return f"{COUNT_CAP:,}+" if self.total > COUNT_CAP else f"{self.total:,}"

    @property
    def has_next(self) -> bool:
        return self.query.page < self.pages


def _row(claim, title, outlet, today: date) -> Row:
    unfinished = claim.state in UNFINISHED and claim.due_date is not None
    return Row(claim, title, outlet, overdue=unfinished and claim.due_date < today,
               due_today=unfinished and claim.due_date == today)


def _capped_count(session: Session, where: list, group_by_article: bool) -> int:
    inner = select(Claim.article_id if group_by_article else Claim.id).where(*where)
    if group_by_article:
        inner = inner.group_by(Claim.article_id)
    return session.exec(select(func.count()).select_from(inner.limit(COUNT_CAP + 1).subquery())).one()


def _flat_rows(session: Session, where: list, order: tuple, offset: int, limit: int) -> list:
    """``limit`` claims from ``offset`` in ``order``, as ROW_COLUMNS with their article's title and outlet."""
    columns = (*ROW_COLUMNS, Article.title, Article.outlet)
    if not offset:
        return session.exec(select(*columns).join(Article, Claim.article_id == Article.id, isouter=True)
                            .where(*where).order_by(*order).limit(limit)).all()
    # Past the first page, the database would join every claim it steps over to its article (and read its
    # whole row) only to drop it: page 20 "by due date" joined 1,000 claims for 50 (4.5 ms on PostgreSQL at
    # 100k claims). Pick the page's ids first (index-only when the order's index covers the filters, as
    # ix_claim_due_order does for "all claims"), then read and join those 50. The numbers are written into the
    # SQL: with them as parameters, the generic plan PostgreSQL weighs for a prepared statement after five runs
    # guesses the page at 10% of the claims and hash-joins the whole table to it (20-30 ms instead of 0.6).
    ids = (select(Claim.id).where(*where).order_by(*order)
           .offset(literal(offset, Integer, literal_execute=True)).limit(literal(limit, Integer, literal_execute=True))
           .subquery())
    return session.exec(select(*columns).join(ids, ids.c.id == Claim.id)
                        .join(Article, Claim.article_id == Article.id, isouter=True).order_by(*order)).all()


def page(session: Session, query: QueueQuery, *, user: User, today: date, per_article: int = 5) -> QueuePage:
    """One page of the queue: claims (flat), or articles with their first matching claims (grouped)."""
    where = _conditions(query, user, today)
    grouped = query.group == "article"
    size = GROUPED_PAGE_SIZE if grouped else PAGE_SIZE
    total = _capped_count(session, where, grouped)
    pages = max(1, math.ceil(min(total, COUNT_CAP) / size))
    number = min(query.page, pages)
    query = replace(query, page=number)
    offset = (number - 1) * size
    if not grouped:
        if query.sort == "due":
            # Dated claims first, in ix_claim_due_order's order (no sort of every claim), then the undated ones.
            dated = [Claim.due_date.is_not(None)]
            rows = list(_flat_rows(session, where + dated, (Claim.due_date, Claim.priority.desc(), Claim.id),
                                   offset, PAGE_SIZE))
            if len(rows) < PAGE_SIZE:
                skipped = 0 if rows or offset == 0 else _capped_count(session, where + dated, False)
                rows += _flat_rows(session, where + [Claim.due_date.is_(None)], (Claim.priority.desc(), Claim.id),
                                   max(0, offset - skipped) if not rows else 0, PAGE_SIZE - len(rows))
        else:
            rows = _flat_rows(session, where, _order(query.sort), offset, PAGE_SIZE)
        return QueuePage(query, [_row(r, r.title, r.outlet, today) for r in rows], [], total, pages)

    # Grouped: newest articles first (the order of ix_claim_article_state, so the database walks the index
    # and stops after one page instead of grouping every claim), then each article's claims in the chosen order.
    # One statement for the page's articles with their titles and open counts: the page of heads comes first
    # (a subquery), and only its ~20 articles are joined and counted (index-only, in ix_claim_article_state).
    heads_page = (select(Claim.article_id, func.count().label("matching")).where(*where).group_by(Claim.article_id)
                  .order_by(Claim.article_id.desc()).offset(offset).limit(size).subquery())
    open_here = (select(func.count()).where(Claim.article_id == heads_page.c.article_id,
                                            Claim.state.in_([s.value for s in OPEN_STATES])).scalar_subquery())
    heads = session.exec(
        select(heads_page.c.article_id, heads_page.c.matching, Article.title, Article.outlet, open_here.label("open"))
        .join(Article, Article.id == heads_page.c.article_id, isouter=True)
        .order_by(heads_page.c.article_id.desc())
    ).all()
    article_ids = [head.article_id for head in heads if head.article_id is not None]
    # Each article's first claims in one statement: number them per article in the chosen order.
    ranked = (select(Claim.id, func.row_number().over(partition_by=Claim.article_id,
                                                       order_by=_order(query.sort)).label("rank"))
              .where(*where, Claim.article_id.in_(article_ids)).subquery())
    firsts: dict[int, list] = {}
    for claim in session.exec(select(*ROW_COLUMNS).join(ranked, ranked.c.id == Claim.id)
                              .where(ranked.c.rank <= per_article).order_by(ranked.c.rank)).all():
        firsts.setdefault(claim.article_id, []).append(claim)
    groups = []
    for head in heads:
        if head.article_id is None:  # claims entered on their own: no index to partition, a query of its own
            claims = session.exec(select(*ROW_COLUMNS).where(*where, Claim.article_id.is_(None))
                                  .order_by(*_order(query.sort)).limit(per_article)).all()
            title, open_count = "Claims entered on their own", 0
        else:
            claims = firsts.get(head.article_id, [])
            title, open_count = head.title, head.open
        groups.append(Group(head.article_id, title, head.outlet, head.matching, open_count,
                            [_row(c, None, None, today) for c in claims]))
    return QueuePage(query, [], groups, total, pages)


def counts(session: Session, *, user: User, shown: QueuePage | None = None) -> dict[str, int]:
    """The tab counts (capped like the page counts); a tab's own unfiltered list, ``shown``, is counted already."""
    result = {}
    for view in ("pool", "mine", "review"):
        tab = QueueQuery(view=view)
        if shown is not None and shown.query.group == "flat" and replace(shown.query, sort=tab.sort, page=1) == tab:
            result[view] = shown.total  # the same conditions: counting the pool again cost ~4 ms at 100k claims
        else:
            result[view] = _capped_count(session, _conditions(tab, user, date.today()), False)
    return result


def filter_choices(session: Session, everyone: list | None = None) -> dict:
    """People the assignee filter offers (from ``everyone``, ``users.people()``, when the page has it)."""
    everyone = people(session) if everyone is None else everyone
    return {"people": sorted(((p.id, p.name or p.email) for p in everyone if p.is_active),
                             key=lambda p: p[1].lower())}
