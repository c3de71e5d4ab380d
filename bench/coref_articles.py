"""Audit standalone wording on the articles written for the tests: per article, the rewrites and claimants
that disagree with the tables in tests/test_coref.py (REFERENTS, QUOTED, DATES; the resolver errors in
RESOLVER_ERRORS are counted too), with what each got instead.

    PYTHONPATH=. .venv/bin/python bench/coref_articles.py
"""
import sys

sys.path.insert(0, ".")
from datetime import date  # noqa: E402

from tests import test_coref as T  # noqa: E402

total_wrong = total_checked = 0
for name in sorted(T.REFERENTS):
    text = (T.ARTICLES / name).read_text(encoding="utf-8")
    claims = T.claims_of(text, published=date(2026, 12, 1))
    people = {T._bare_name(w) for v in T.REFERENTS[name].values()
              for k, w in (v.items() if isinstance(v, dict) else [(None, v)]) if w and k not in ("Its", "They")}
    wrong, checked, details = 0, 0, []
    for sentence, claim in claims.items():
        (expected,) = [who for words, who in T.REFERENTS[name].items() if words in sentence] or [None]
        by_word = expected if isinstance(expected, dict) else {}
        person = by_word.get("claimant") if by_word else expected
        quoted = next((who for (a, w), who in T.QUOTED.items() if a == name and w in sentence), None)
        for r in claim.rewrites:
            if r.kind in ("pronoun", "speaker", "description"):
                checked += 1
                meant = quoted if r.replacement.startswith(r.original + " [") else by_word.get(r.original, person)
                if T._bare_name(r.referent) != T._bare_name(meant):
                    wrong += 1; details.append(f"WRONG {r.kind} {r.original!r}->{r.replacement!r} (meant {meant}) in: {sentence[:70]}")
            if r.kind == "date" and name in T.DATES:
                checked += 1
                key = next((k for k in T.DATES[name] if k[0] in sentence and k[1] == r.original), None)
                if T.DATES[name].get(key) != r.replacement:
                    wrong += 1; details.append(f"WRONG date {r.original!r}->{r.replacement!r} (meant {T.DATES[name].get(key)}) in: {sentence[:70]}")
        if claim.claimant is not None:
            checked += 1
            surname = T._bare_name(person).split()[-1] if person else None  # as written: "…," Ellis said
            ok = claim.claimant in (T._bare_name(person), surname if f"{surname} said" in sentence else None) \
                if person else T._bare_name(claim.claimant) not in people
            if not ok:
                wrong += 1; details.append(f"WRONG claimant {claim.claimant!r} (meant {person}) in: {sentence[:70]}")
    total_wrong += wrong; total_checked += checked
    print(f"{name:28s} wrong {wrong:2d} / {checked:3d} checked")
    for d in details: print("    " + d)
print(f"TOTAL wrong {total_wrong} / {total_checked}")
