"""Issue #6 D18: rules and actions carry effective dates; the tables stay ordered and unambiguous."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from app.workflows import lifecycle as lc
from app.workflows.deadlines import DEFAULT_RULES, UNVERIFIED, find_rule, render_markdown


def test_rule_keys_are_unique():
    keys = [r.key for r in DEFAULT_RULES]
    assert len(keys) == len(set(keys)), "a new version of a rule is a new row with its own key"


def test_rule_versions_are_ordered_and_never_overlap():
    """Per kind, round and stage the versions appear in order of effective_from, and no two share
    a date: on any date exactly one rule (the latest in force) applies."""
    versions: dict[tuple, list] = defaultdict(list)
    for r in DEFAULT_RULES:
        versions[(r.kind, r.round, r.stage)].append(r.effective_from)
    for key, dates in versions.items():
        assert dates == sorted(dates) and len(dates) == len(set(dates)), key
    # a round-agnostic and a round-specific rule for the same stage would make find_rule guess
    for kind, rnd, stage in versions:
        if rnd is not None:
            assert (kind, None, stage) not in versions, (kind, stage)


def test_find_rule_picks_the_version_in_force():
    import dataclasses

    old = next(r for r in DEFAULT_RULES if r.key == "complaint.r1.acceptance")
    new = dataclasses.replace(
        old, key="complaint.r1.acceptance.2030", days=7, mode="working", effective_from=date(2030, 1, 1)
    )
    rules = (*DEFAULT_RULES, new)
    assert find_rule(rules, kind="complaint", stage="acceptance", round=1, on=date(2029, 12, 31)) is old
    assert find_rule(rules, kind="complaint", stage="acceptance", round=1, on=date(2030, 1, 1)) is new


def test_actions_are_unambiguous_on_any_date():
    """One row per action, kind, round and status on any date."""
    seen: dict[tuple, list] = defaultdict(list)
    for a in lc.ACTIONS:
        for kind in a.kinds:
            for rnd in a.rounds or {None}:
                for st in a.from_statuses:
                    seen[(a.name, kind, rnd, st)].append(a.effective_from)
    for key, dates in seen.items():
        assert len(dates) == len(set(dates)), key


def test_unverified_texts_are_listed_not_applied():
    text = render_markdown()
    assert "## Not applied (unverified)" in text
    for u in UNVERIFIED:
        assert u.source in text
    # the 7-working-day complaint acceptance of ND 155/2026 is not a rule
    r = find_rule(DEFAULT_RULES, kind="complaint", stage="acceptance", round=1, on=date(2026, 11, 27))
    assert (r.days, r.mode) == (10, "calendar")


def test_complaint_suspension_exists_from_1_july_2026():
    suspend = lc.find("suspend", lc.Kind.complaint, 1, lc.Status.verifying)
    assert suspend.effective_from == date(2026, 7, 1)
    assert "2026-07-01" in suspend.not_yet_in_force(date(2026, 6, 30))
    assert suspend.not_yet_in_force(date(2026, 7, 1)) is None
    assert lc.find("suspend", lc.Kind.denunciation, None, lc.Status.verifying).effective_from is None
