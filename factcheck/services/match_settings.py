"""Per-library matching thresholds: stored in ``matchsetting``, editable by admins.

Thresholds apply to the library's scores, which for both libraries are the
hybrid re-ranker's probabilities (see ``matching.search``). A library without
a stored row uses the defaults: "suggest" from
``FACTCHECK_FACT_CHECK_THRESHOLD`` / ``FACTCHECK_PASSAGE_THRESHOLD``, and the
constants below for "same claim" and the age limit. Passages default to
never being linked automatically: a passage is evidence about a claim, rarely
the same claim.

Passage thresholds saved before passages were ranked by the re-ranker are
cosine similarities, a different scale (a cosine of 0.4 is an ordinary
passage; a probability of 0.4 almost never happens for one). Every row
records the scale it was saved on (``matchsetting.scale``; migration 0007 took
it from the audit log for older rows), and a row on a scale its library no
longer uses is not applied: the defaults are (and passages are never linked
automatically), the admin page says so, and saving the form once stores the
row on the current scale. Each change's audit event records both scales too.
"""
from __future__ import annotations

import json
import logging

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import ValidationFailed
from factcheck.models import MatchSetting, User, utcnow
from factcheck.services import events, versions
from factcheck.domain.library_kinds import KIND_FACT_CHECK, KIND_PASSAGE, LIBRARIES, METHOD_HYBRID
from factcheck.matching import calibration
from factcheck.matching.calibration import METHOD_CALIBRATED

log = logging.getLogger(__name__)
#: Libraries already warned about in this process (matching reads the settings once per claim).
_warned: set[str] = set()

#: Re-ranker probability at which a new fact-check match is linked without a human. On the CheckThat!
#: 2020 dev split, 96% of top candidates scoring this high are correct, and with the relevant claim
#: removed from the library 4% of tweets still reach it (see the README's matching section).
DEFAULT_SAME_CLAIM = {KIND_FACT_CHECK: 0.8, KIND_PASSAGE: 1.0}
#: A threshold of 1.0 never links automatically.
NEVER = 1.0
#: Fact-checks older than this are only suggested: the facts may have changed since.
DEFAULT_MAX_AGE_DAYS = 730
MAX_AGE_LIMIT_DAYS = 36_500
#: The scale of each library's scores, stored with its thresholds. Fact-checks are scored with the calibrated
#: probability of "same claim" (``matching.calibration``); passages with the re-ranker's own score.
SCALE = {KIND_FACT_CHECK: METHOD_CALIBRATED, KIND_PASSAGE: METHOD_HYBRID}
#: Libraries whose rows may predate their current scale, and what that older scale was: fact-check
#: thresholds were the re-ranker's uncalibrated score before calibration-v1; passage ones were cosines.
OLDER_SCALE = {KIND_FACT_CHECK: METHOD_HYBRID, KIND_PASSAGE: "cosine"}
#: How the admin page names each scale.
SCALE_NAMES = {METHOD_CALIBRATED: "calibrated probabilities", METHOD_HYBRID: "uncalibrated re-ranker scores",
               "cosine": "cosine similarities"}
CHANGED = "match_settings_changed"


#: A configured passage threshold above this is almost surely a cosine set for the old dense-only matching:
#: relevant passages score a median 0.05 on the re-ranker's scale (CLIMATE-FEVER).
LIKELY_COSINE = 0.2


def defaults(settings: Settings, library: str) -> MatchSetting:
    suggest = settings.fact_check_threshold if library == KIND_FACT_CHECK else settings.passage_threshold
    if library == KIND_PASSAGE and suggest > LIKELY_COSINE and "env" not in _warned:
        _warned.add("env")
        log.warning("FACTCHECK_PASSAGE_THRESHOLD=%s: passages are now scored by the hybrid matcher's probability, "
                    "where %s hides nearly all evidence; the calibrated default is %s. Was it a cosine similarity?",
                    suggest, suggest, Settings().passage_threshold)
    return MatchSetting(library=library, scale=SCALE[library], suggest_threshold=suggest,
                        same_claim_threshold=max(default_same_claim(library), suggest),
                        auto_link_max_age_days=DEFAULT_MAX_AGE_DAYS)


def default_same_claim(library: str) -> float:
    """The calibration's recommended auto-link threshold (fact-checks), else the constant."""
    fitted = calibration.for_library(library) if SCALE[library] == METHOD_CALIBRATED else None
    return fitted.same_claim if fitted is not None else DEFAULT_SAME_CLAIM[library]


def implied_figures(library: str, threshold: float) -> dict | None:
    """What a suggest threshold implies on the evaluation data (hit rate, false suggestions), if measured."""
    fitted = calibration.for_library(library) if SCALE[library] == METHOD_CALIBRATED else None
    return fitted.implied(threshold) if fitted is not None else None


def threshold_tables() -> dict[str, dict]:
    """Per calibrated library: the shipped table of thresholds and what each implies, and where it was measured."""
    found = {}
    for library in LIBRARIES:
        fitted = calibration.for_library(library) if SCALE[library] == METHOD_CALIBRATED else None
        if fitted is not None and fitted.table:
            found[library] = {"rows": fitted.table, "measured_on": fitted.measured_on}
    return found


def _stored(session: Session, library: str) -> MatchSetting | None:
    if library not in LIBRARIES:
        raise ValidationFailed(f"Unknown library {library!r}.", {"library": "unknown"})
    return session.exec(select(MatchSetting).where(MatchSetting.library == library)).first()


def scale_from_change_log(details_newest_first, library: str) -> str:
    """The scale of a row saved before rows stored it: its latest change event's, else the older scale.

    For imports of exports made before the ``scale`` column; migration 0007 does the same for stored rows.
    """
    if library not in OLDER_SCALE:
        return SCALE.get(library, "")
    for detail in details_newest_first:
        try:
            data = json.loads(detail or "{}")
        except (TypeError, ValueError):
            continue
        if isinstance(data, dict) and data.get("library") == library:
            return data.get("scale") or OLDER_SCALE[library]
    return OLDER_SCALE[library]


def on_older_scale(row: MatchSetting) -> bool:
    """Whether ``row`` is a stored row whose thresholds are on a scale the library no longer uses."""
    return row.id is not None and row.scale != SCALE[row.library]


def library_settings(session: Session, *, settings: Settings, library: str) -> MatchSetting:
    """The thresholds in force for one library: stored, else (or when stored on an older scale) defaults.

    A row on an older scale keeps its age limit, which has no scale; the
    returned object is then a detached copy, never the stored row.
    """
    stored = _stored(session, library)
    if stored is None:
        return defaults(settings, library)
    if not on_older_scale(stored):
        return stored
    if library not in _warned:
        _warned.add(library)
        log.warning("The stored %s thresholds are %s, not %s: using the defaults until an admin saves them again at "
                    "/admin/matching.", library, SCALE_NAMES.get(stored.scale, stored.scale),
                    SCALE_NAMES[SCALE[library]])
    fallback = defaults(settings, library)
    fallback.auto_link_max_age_days = stored.auto_link_max_age_days
    return fallback


def all_library_settings(session: Session, *, settings: Settings) -> list[MatchSetting]:
    return [library_settings(session, settings=settings, library=library) for library in LIBRARIES]


def rows_on_older_scale(session: Session) -> dict[str, MatchSetting]:
    """Stored rows not applied because they are on a scale their library no longer uses, by library."""
    found = {}
    for library in OLDER_SCALE:
        stored = _stored(session, library)
        if stored is not None and on_older_scale(stored):
            found[library] = stored
    return found


def auto_links(setting: MatchSetting) -> bool:
    return setting.same_claim_threshold < NEVER


def settings_version(session: Session, library: str) -> int:
    """The version of a library's stored thresholds: 0 while its defaults were never saved."""
    stored = _stored(session, library)
    return stored.version if stored is not None else 0


def _stale_settings(session: Session, *, settings: Settings, library: str, expected: int | None):
    session.rollback()
    stored = _stored(session, library)
    user = session.get(User, stored.updated_by_id) if stored is not None and stored.updated_by_id else None
    return versions.stale(kind="match_settings", label=f"{library.replace('_', '-')} thresholds",
                          current_version=stored.version if stored is not None else 0, expected=expected,
                          changed_by=user,
                          changed_at=stored.updated_at if stored is not None else None,
                          current=library_settings(session, settings=settings, library=library))


def update_library_settings(session: Session, *, settings: Settings, library: str, data: dict,
                            actor_id: int | None, expected_version: int | None = None) -> MatchSetting:
    """Validate and store a library's thresholds (logged with the previous values and the scale).

    Fields left out keep the values in force; when the stored row was on an
    older scale those are the defaults, so saving converts the row.
    """
    current = library_settings(session, settings=settings, library=library)
    stored = _stored(session, library)
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
    seen = stored.version if stored is not None else 0
    versions.check(expected_version, seen,
                   lambda: _stale_settings(session, settings=settings, library=library, expected=expected_version))
    if stored is not None and not versions.claim_version(session, MatchSetting, row_id=stored.id, seen=seen):
        raise _stale_settings(session, settings=settings, library=library,
                              expected=expected_version if expected_version is not None else seen)
    previous = {name: getattr(stored if stored is not None else current, name) for name in values}
    previous_scale = stored.scale if stored is not None else SCALE[library]
    row = stored if stored is not None else MatchSetting(library=library, scale=SCALE[library], **previous)
    for name, value in values.items():
        setattr(row, name, value)
    row.scale = SCALE[library]
    row.updated_by_id = actor_id
    row.updated_at = utcnow()
    row.version = seen + 1
    session.add(row)
    events.record(session, action=CHANGED, actor_id=actor_id, library=library, previous=previous,
                  previous_scale=previous_scale, current=values, scale=SCALE[library])
    session.commit()
    return row
