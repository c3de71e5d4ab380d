"""Per-library matching thresholds: stored in ``matchsetting``, editable by admins.

Thresholds apply to the library's scores: re-ranker probabilities for
fact-checks, cosine similarities for passages (see ``matching.search``). A
library without a stored row uses the defaults: "suggest" from
``FACTCHECK_FACT_CHECK_THRESHOLD`` / ``FACTCHECK_PASSAGE_THRESHOLD``, and the
constants below for "same claim" and the age limit. Passages default to
never being linked automatically: a passage is evidence about a claim, rarely
the same claim.
"""
from __future__ import annotations

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import ValidationFailed
from factcheck.models import MatchSetting, utcnow
from factcheck.services import events
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE, LIBRARIES

#: Re-ranker probability at which a new fact-check match is linked without a human. On the CheckThat!
#: 2020 dev split, 96% of top candidates scoring this high are correct, and with the relevant claim
#: removed from the library 4% of tweets still reach it (see the README's matching section).
DEFAULT_SAME_CLAIM = {KIND_FACT_CHECK: 0.8, KIND_PASSAGE: 1.0}
#: A threshold of 1.0 never links automatically.
NEVER = 1.0
#: Fact-checks older than this are only suggested: the facts may have changed since.
DEFAULT_MAX_AGE_DAYS = 730
MAX_AGE_LIMIT_DAYS = 36_500


def defaults(settings: Settings, library: str) -> MatchSetting:
    suggest = settings.fact_check_threshold if library == KIND_FACT_CHECK else settings.passage_threshold
    return MatchSetting(library=library, suggest_threshold=suggest,
                        same_claim_threshold=max(DEFAULT_SAME_CLAIM[library], suggest),
                        auto_link_max_age_days=DEFAULT_MAX_AGE_DAYS)


def library_settings(session: Session, *, settings: Settings, library: str) -> MatchSetting:
    """The thresholds in force for one library (stored, else defaults)."""
    if library not in LIBRARIES:
        raise ValidationFailed(f"Unknown library {library!r}.", {"library": "unknown"})
    stored = session.exec(select(MatchSetting).where(MatchSetting.library == library)).first()
    return stored if stored is not None else defaults(settings, library)


def all_library_settings(session: Session, *, settings: Settings) -> list[MatchSetting]:
    return [library_settings(session, settings=settings, library=library) for library in LIBRARIES]


def auto_links(setting: MatchSetting) -> bool:
    return setting.same_claim_threshold < NEVER


def update_library_settings(session: Session, *, settings: Settings, library: str, data: dict,
                            actor_id: int | None) -> MatchSetting:
    """Validate and store a library's thresholds (logged with the previous values)."""
    current = library_settings(session, settings=settings, library=library)
    errors: dict[str, str] = {}
    values = {}
    for name, convert in (("suggest_threshold", float), ("same_claim_threshold", float),
                          ("auto_link_max_age_days", int)):
        raw = data.get(name, getattr(current, name))
        try:
            values[name] = convert(str(raw).strip())
        except ValueError:
            errors[name] = "must be a number"
    for name in ("suggest_threshold", "same_claim_threshold"):
        if name in values and not 0.0 <= values[name] <= 1.0:
            errors[name] = "must be between 0 and 1"
    if "auto_link_max_age_days" in values and not 0 <= values["auto_link_max_age_days"] <= MAX_AGE_LIMIT_DAYS:
        errors["auto_link_max_age_days"] = f"must be between 0 and {MAX_AGE_LIMIT_DAYS}"
    if not errors and values["same_claim_threshold"] < values["suggest_threshold"]:
        errors["same_claim_threshold"] = "must not be below the suggest threshold"
    if errors:
        summary = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in errors.items())
        raise ValidationFailed(f"Invalid thresholds: {summary}.", errors)
    previous = {name: getattr(current, name) for name in values}
    row = current if current.id is not None else MatchSetting(library=library, **previous)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = actor_id
    row.updated_at = utcnow()
    session.add(row)
    events.record(session, action="match_settings_changed", actor_id=actor_id, library=library,
                  previous=previous, current=values)
    session.commit()
    return row
