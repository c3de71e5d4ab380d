"""The desk's queue (filters, sorting, paging, grouping, highlights) and bulk triage."""
from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from factcheck.domain.errors import Forbidden, ValidationFailed
from factcheck.models import Article, Claim, Event, Notification
from factcheck.services import desk, desk_queue
from factcheck.services.desk_queue import QueueQuery, parse_query

# The web views date the queue by the real UTC day, so the fixtures do too (a fixed date expired).
TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def newsroom(session, users):
    budget = Article(title="Budget speech", outlet="Daily", text="x")
    health = Article(title="Health debate", outlet="Herald", text="x")
    session.add_all([budget, health])
    session.flush()
    checker = users["checker"]

    def claim(article, text, **fields):
        c = Claim(article_id=article.id, sentence=text, standalone_text=text, **fields)
        session.add(c)
        return c

    made = {
        "top": claim(budget, "Taxes doubled", priority=3, checkworthiness=0.5),
        "late": claim(budget, "Debt fell", state="in_progress", assignee_id=checker.id, due_date=TODAY - timedelta(days=2)),
        "today": claim(health, "Waiting lists halved", state="in_progress", assignee_id=checker.id, due_date=TODAY,
                       claim_type="statistic"),
        "review": claim(health, "Nurses up 10%", state="in_review", assignee_id=checker.id, checker_id=checker.id),
        "opinion": claim(health, "Best budget ever", claim_type="opinion", checkable=False),
        "plain": claim(budget, "Rail fares froze", checkworthiness=0.9),
    }
    session.commit()
    return {"budget": budget, "health": health, **made}


def _ids(result):
    return [r.claim.id for r in result.rows]


def test_filters_sorting_and_highlights(session, users, newsroom):
    checker = users["checker"]
    page = lambda **kw: desk_queue.page(session, QueueQuery(**kw), user=checker, today=TODAY)  # noqa: E731
    n = newsroom
    assert _ids(page()) == [n["top"].id, n["plain"].id]  # the pool: new, unassigned, checkable; priority first
    assert _ids(page(include_not_checkable=True, sort="score")) == [n["plain"].id, n["top"].id, n["opinion"].id]
    assert set(_ids(page(view="mine"))) == {n["late"].id, n["today"].id, n["review"].id}
    assert _ids(page(view="all", due="overdue")) == [n["late"].id]
    assert _ids(page(view="all", due="today")) == [n["today"].id]
    assert _ids(page(view="all", claim_type="statistic")) == [n["today"].id]
    assert _ids(page(view="all", priority=3)) == [n["top"].id]
    assert set(_ids(page(view="all", article_id=n["health"].id))) == {n["today"].id, n["review"].id,
                                                                       n["opinion"].id}
    assert _ids(page(view="all", assignee="none", sort="newest")) == [n["plain"].id, n["opinion"].id, n["top"].id]
    assert _ids(page(view="all", q="fares")) == [n["plain"].id]
    rows = {r.claim.id: r for r in page(view="all").rows}
    assert rows[n["late"].id].overdue and not rows[n["late"].id].due_today
    assert rows[n["today"].id].due_today and rows[n["late"].id].article_title == "Budget speech"

    grouped = page(view="all", group="article")
    assert grouped.total == 2
    by_title = {g.title: g for g in grouped.groups}
    assert by_title["Health debate"].matching == 3 and by_title["Health debate"].open == 3
    assert by_title["Budget speech"].outlet == "Daily" and by_title["Budget speech"].open == 3
    assert grouped.groups[0].title == "Health debate"  # newest article first


def test_paging_and_the_count_cap(session, users, monkeypatch):
    article = Article(title="Long", text="x")
    session.add(article)
    session.flush()
    session.add_all([Claim(article_id=article.id, sentence=f"c{i}", standalone_text=f"c{i}") for i in range(120)])
    session.commit()
    first = desk_queue.page(session, QueueQuery(sort="oldest"), user=users["checker"], today=TODAY)
    assert (first.total, first.pages, len(first.rows), first.has_next) == (120, 3, 50, True)
    last = desk_queue.page(session, QueueQuery(sort="oldest", page=9), user=users["checker"], today=TODAY)
    assert last.query.page == 3 and len(last.rows) == 20 and not last.has_next  # past the end: the last page
    # By due date: dated claims first (through their index), then undated ones, across the page boundary.
    claims = session.exec(select(Claim).order_by(Claim.id)).all()
    for i, claim in enumerate(claims[:70]):
        claim.due_date = TODAY + timedelta(days=i % 7)
        session.add(claim)
    session.commit()
    by_due = [desk_queue.page(session, QueueQuery(sort="due", page=p), user=users["checker"], today=TODAY)
              for p in (1, 2, 3)]
    seen = [r.claim for page in by_due for r in page.rows]
    assert len(seen) == 120 and len({c.id for c in seen}) == 120
    assert [c.due_date for c in seen[:70]] == sorted(c.due_date for c in seen[:70])
    assert all(c.due_date is None for c in seen[70:])
    monkeypatch.setattr(desk_queue, "COUNT_CAP", 60)
    capped = desk_queue.page(session, QueueQuery(), user=users["checker"], today=TODAY)
    assert capped.total == 61 and capped.total_text == "60+" and capped.pages == 2 and capped.cap == 60


QUEUE_FILTERS = ({"view": "all"}, {"view": "pool"}, {"view": "all", "state": "new"}, {"view": "all", "due": "week"},
                 {"view": "review", "priority": 0}, {"view": "all", "q": "9"})


@pytest.fixture
def mixed_queue(session, users):
    """90 claims over 7 articles and none, in every state, with ties in priority, score and due date."""
    rng = random.Random(12)
    articles = [Article(title=f"Article {i}", outlet=f"Outlet {i % 2}" if i % 3 else None, text="x") for i in range(7)]
    session.add_all(articles)
    session.flush()
    checker = users["checker"]
    states = ["new", "new", "new", "in_progress", "in_review", "approved", "published", "rejected"]
    for i in range(90):
        state = rng.choice(states)
        article = rng.choice(articles + [None])  # some claims entered on their own
        session.add(Claim(article_id=article.id if article else None, sentence=f"s{i}", standalone_text=f"claim {i}",
                          state=state, assignee_id=checker.id if state in ("in_progress", "in_review") else None,
                          priority=rng.choice([0, 0, 1, 2, 3]), checkworthiness=rng.choice([0.2, 0.5, 0.5, 0.9]),
                          due_date=TODAY + timedelta(days=rng.randint(-3, 3)) if rng.random() < 0.5 else None,
                          claim_type=rng.choice(["statistic", "quote", "opinion"]),
                          checkable=rng.random() < 0.8))
    session.commit()
    return articles


def _rows(result):
    return [(r.claim.id, r.claim.due_date, r.article_title, r.outlet, r.overdue, r.due_today) for r in result.rows]


def test_flat_pages_are_slices_of_the_whole_list(session, users, mixed_queue, monkeypatch):
    """Paging reads a later page another way than the first (the page's ids, then their rows): every page, for
    each sort and several filters, is the matching slice of the whole list read as one page."""
    checker = users["checker"]
    most = 0
    for sort in desk_queue.SORTS:
        for filters in QUEUE_FILTERS:
            query = QueueQuery(sort=sort, **filters)
            monkeypatch.setattr(desk_queue, "PAGE_SIZE", 1000)
            whole = _rows(desk_queue.page(session, query, user=checker, today=TODAY))
            monkeypatch.setattr(desk_queue, "PAGE_SIZE", 7)
            first = desk_queue.page(session, query, user=checker, today=TODAY)
            assert first.pages == max(1, -(-len(whole) // 7))
            pages = [first] + [desk_queue.page(session, replace(query, page=n), user=checker, today=TODAY)
                               for n in range(2, first.pages + 1)]
            assert [row for p in pages for row in _rows(p)] == whole, (sort, filters)
            most = max(most, first.pages)
    assert most >= 10  # later pages, and "by due date" pages past the last dated claim, were read


def test_grouped_pages_are_the_flat_order_grouped(session, users, mixed_queue, monkeypatch):
    """Every grouped page, for each sort and several filters, holds exactly what grouping the flat list gives:
    articles newest first (paged), each with its matching count, its open claims and its first claims in the
    flat list's order. The flat list is the reference: the grouped page reads its claims another way."""
    articles = mixed_queue
    checker = users["checker"]
    open_states = ("new", "in_progress", "in_review")
    all_claims = session.exec(select(Claim)).all()
    # Where the database puts claims without an article in "article_id DESC": PostgreSQL first, SQLite last.
    nulls_first = session.get_bind().dialect.name == "postgresql"
    monkeypatch.setattr(desk_queue, "GROUPED_PAGE_SIZE", 3)
    for sort in desk_queue.SORTS:
        for filters in QUEUE_FILTERS:
            query = QueueQuery(sort=sort, **filters)
            monkeypatch.setattr(desk_queue, "PAGE_SIZE", 1000)
            flat = desk_queue.page(session, query, user=checker, today=TODAY).rows
            monkeypatch.setattr(desk_queue, "PAGE_SIZE", 50)
            by_article: dict = {}
            for row in flat:
                by_article.setdefault(row.claim.article_id, []).append(row.claim.id)
            order = sorted((a for a in by_article if a is not None), reverse=True)
            if None in by_article:
                order = [None] + order if nulls_first else order + [None]
            expected = [(a, len(by_article[a]), sum(1 for c in all_claims if a is not None and c.article_id == a
                                                    and c.state in open_states), by_article[a][:5]) for a in order]
            titles = {a.id: a.title for a in articles}
            seen = []
            pages = desk_queue.page(session, replace(query, group="article"), user=checker, today=TODAY).pages
            assert pages == max(1, -(-len(order) // 3))
            for number in range(1, pages + 1):
                grouped = desk_queue.page(session, replace(query, group="article", page=number), user=checker,
                                          today=TODAY)
                assert grouped.total == len(order) and grouped.query.page == number
                for g in grouped.groups:
                    assert g.title == titles.get(g.article_id, "Claims entered on their own")
                    seen.append((g.article_id, g.matching, g.open, [r.claim.id for r in g.rows]))
            assert seen == expected, (sort, filters)


def test_parse_query():
    query = parse_query({"view": "bogus", "due": "overdue", "priority": "2", "assignee": "me", "page": "3",
                         "checkable": "all", "sort": "due", "group": "article"})
    assert (query.view, query.due, query.priority, query.assignee, query.page) == ("pool", "overdue", 2, "me", 3)
    assert query.args(page=1) == {"due": "overdue", "priority": 2, "assignee": "me", "sort": "due",
                                  "group": "article", "checkable": "all"}
    for bad in ({"priority": "9"}, {"page": "x"}, {"assignee": "-1"}, {"article_id": "abc"}):
        with pytest.raises(ValidationFailed):
            parse_query(bad)


def test_queue_page(app, users, newsroom, browser_factory):
    editor = browser_factory()
    editor.login("editor@example.org")
    html = editor.get("/queue?view=all").get_data(as_text=True)
    assert re.search(rf'id="claim-row-{newsroom["late"].id}" class="queue-row overdue"', html)
    assert 'class="queue-row due-today"' in html
    assert 'src="/static/js/queue-keys.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script (CSP)
    assert 'id="bulk-form"' in html and 'name="claim_ids"' in html
    fragment = editor.get("/queue?view=all&group=article", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "Health debate" in fragment and "3 open claims" in fragment
    assert editor.get("/queue?priority=12").status_code == 422
    checker = browser_factory()
    checker.login("checker@example.org")
    html = checker.get("/queue?view=review&q=nothing-like-this").get_data(as_text=True)
    assert "No claims match these filters" in html and "bulk-form" not in html
    empty = checker.get("/queue?view=review&state=approved").get_data(as_text=True)
    assert "No claims match these filters" in empty
    assert "Take next claim" in checker.get("/queue?view=mine&due=none").get_data(as_text=True)


def test_bulk_assign_reports_what_could_not_change(session, settings, users, newsroom):
    n = newsroom
    ids = [n["top"].id, n["plain"].id, n["review"].id, n["opinion"].id, 999999]
    report = desk.bulk(session, settings=settings, user=users["editor"], claim_ids=[str(i) for i in ids],
                       action="assign", params={"assignee_id": str(users["checker2"].id), "note": "morning batch"},
                       today=TODAY)
    assert report.changed == [n["top"].id, n["plain"].id]
    failed = dict(report.failed)
    assert set(failed) == {n["review"].id, n["opinion"].id, 999999}
    assert "cannot be assigned" in failed[n["review"].id]
    assert "prediction or opinion" in failed[n["opinion"].id] and failed[999999] == "No such claim."
    for claim_id in report.changed:
        claim = session.get(Claim, claim_id)
        assert (claim.state, claim.assignee_id) == ("in_progress", users["checker2"].id)
    assert session.get(Claim, n["review"].id).assignee_id == users["checker"].id  # untouched
    notes = session.exec(select(Notification).where(Notification.user_id == users["checker2"].id)).all()
    assert len(notes) == 2 and all("morning batch" in x.message for x in notes)
    assert session.exec(select(Event).where(Event.action == "bulk_triage")).one()


def test_bulk_schedule_close_and_duplicate(session, settings, users, newsroom):
    n = newsroom
    editor = users["editor"]
    report = desk.bulk(session, settings=settings, user=editor, claim_ids=[n["top"].id, n["plain"].id],
                       action="priority", params={"priority": "3"})
    assert (report.changed, report.unchanged) == ([n["plain"].id], [n["top"].id])
    report = desk.bulk(session, settings=settings, user=editor, claim_ids=[n["plain"].id], action="due_date",
                       params={"due_date": (TODAY + timedelta(days=20)).isoformat()})
    assert session.get(Claim, n["plain"].id).due_date == TODAY + timedelta(days=20)
    with pytest.raises(ValidationFailed):  # a reason is required: nothing is tried
        desk.bulk(session, settings=settings, user=editor, claim_ids=[n["plain"].id], action="not_checkable",
                  params={"note": " "})
    report = desk.bulk(session, settings=settings, user=editor, claim_ids=[n["plain"].id, n["late"].id],
                       action="not_checkable", params={"note": "An opinion, not a fact"})
    assert report.changed == [n["plain"].id, n["late"].id]
    assert session.get(Claim, n["plain"].id).rejection_reason == "An opinion, not a fact"
    report = desk.bulk(session, settings=settings, user=editor, claim_ids=[n["top"].id, n["plain"].id],
                       action="duplicate", params={"duplicate_of_claim_id": str(n["review"].id)})
    assert report.changed == [n["top"].id] and "rejected" in dict(report.failed)[n["plain"].id]
    assert session.get(Claim, n["top"].id).duplicate_of_claim_id == n["review"].id
    with pytest.raises(Forbidden):
        desk.bulk(session, settings=settings, user=users["checker"], claim_ids=[n["top"].id], action="priority",
                  params={"priority": "1"})
    with pytest.raises(ValidationFailed):
        desk.bulk(session, settings=settings, user=editor, claim_ids=[], action="priority", params={"priority": "1"})


def test_bulk_form(app, users, newsroom, browser_factory):
    editor = browser_factory()
    editor.login("editor@example.org")
    n = newsroom
    response = editor.post("/queue/bulk", {"claim_ids": [n["top"].id, n["review"].id], "action": "assign",
                                           "assignee_id": users["checker"].id, "back": "/queue?view=all"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 changed" in html and "Could not change 1" in html
    assert 'href="/queue?view=all"' in html
    evil = editor.post("/queue/bulk", {"claim_ids": [n["plain"].id], "action": "priority", "priority": "1",
                                       "back": "https://evil.example/queue"})
    assert 'href="/queue"' in evil.get_data(as_text=True)
    assert editor.post("/queue/bulk", {"action": "assign", "assignee_id": users["checker"].id}).status_code == 422
    checker = browser_factory()
    checker.login("checker@example.org")
    assert checker.post("/queue/bulk", {"claim_ids": [n["top"].id], "action": "priority",
                                        "priority": "1"}).status_code == 403
