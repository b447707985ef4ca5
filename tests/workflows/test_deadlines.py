"""Deadline rules: the table, rule lookup, stage due dates, extensions, and docs/deadlines.md.

Every expected date was worked out by hand (reasoning in the comment) and every deadline test
names the legal source of its expectation. Calendar-day ("ngày") periods follow BLDS 91/2015
Art 147 (first day not counted) and Art 148(5) (roll to the next working day).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.workflows.calendar import WorkCalendar
from app.workflows.deadlines import (
    APPEAL_WINDOW_DAYS,
    APPEAL_WINDOW_REMOTE_DAYS,
    COMPLAINT_FILING_LIMIT_DAYS,
    DEFAULT_RULES,
    KINDS,
    DeadlineRule,
    ExtensionNotAllowed,
    Stage,
    extension_due,
    find_rule,
    render_markdown,
    stage_due,
)

REPO = Path(__file__).resolve().parents[2]
CAL = WorkCalendar()


def rule(kind: str, stage: Stage, round: int | None = None, on: date = date(2026, 1, 1)):
    found = find_rule(DEFAULT_RULES, kind=kind, stage=stage, round=round, on=on)
    assert found is not None, (kind, stage, round, on)
    return found


# --- the table --------------------------------------------------------------------------------


def test_rule_keys_are_unique() -> None:
    keys = [r.key for r in DEFAULT_RULES]
    assert len(keys) == len(set(keys))


def test_every_kind_has_every_stage() -> None:
    for kind in KINDS:
        for stage in Stage:
            rounds = (1, 2) if kind == "complaint" else (None,)
            for rnd in rounds:
                assert find_rule(DEFAULT_RULES, kind=kind, stage=stage, round=rnd, on=date(2026, 1, 1)), (
                    kind,
                    stage,
                    rnd,
                )


def test_local_defaults_are_only_the_limits_the_law_does_not_set() -> None:
    """legal-rules.md §1: no statutory acceptance/resolution limit for kiến nghị/phản ánh."""
    local = {r.key for r in DEFAULT_RULES if r.local_default}
    assert local == {
        "petition.acceptance",
        "reflection.acceptance",
        "petition.resolution",
        "reflection.resolution",
    }
    for r in DEFAULT_RULES:
        if r.local_default:
            assert "local default" in r.note.lower() and "admin" in r.note
        else:
            assert r.source.startswith(("Luật Khiếu nại", "Luật Tố cáo", "Luật Tiếp công dân"))


def test_unverified_2026_acceptance_rule_is_not_seeded() -> None:
    """legal-rules.md §1 #5/#8: the 7 WD acceptance from 1 Jul 2026 (ND 155/2026) is [U]."""
    assert all(r.effective_from < date(2026, 7, 1) for r in DEFAULT_RULES)
    r1 = rule("complaint", Stage.acceptance, 1, on=date(2026, 7, 2))
    assert (r1.days, r1.mode, r1.source) == (10, "calendar", "Luật Khiếu nại 02/2011 Art 27")


@pytest.mark.parametrize(
    ("kind", "stage", "rnd", "days", "mode", "variants", "source"),
    [
        # Luật TCD 42/2013 Art 28(1): 10 WD.
        ("complaint", Stage.processing, 1, 10, "working", (None, None, None), "Luật Tiếp công dân 42/2013 Art 28(1)"),
        ("petition", Stage.processing, None, 10, "working", (None, None, None), "Luật Tiếp công dân 42/2013 Art 28(1)"),
        # Luật TC 25/2018 Art 24(1): 7 WD (the 10-WD variant is not applied, decision 0034).
        ("denunciation", Stage.processing, None, 7, "working", (None, None, None), "Luật Tố cáo 25/2018 Art 24(1)"),
        ("denunciation", Stage.acceptance, None, 7, "working", (None, None, None), "Luật Tố cáo 25/2018 Art 24(1)"),
        # Luật KN Art 27 / Art 36(1): 10 "ngày".
        ("complaint", Stage.acceptance, 1, 10, "calendar", (None, None, None), "Luật Khiếu nại 02/2011 Art 27"),
        ("complaint", Stage.acceptance, 2, 10, "calendar", (None, None, None), "Luật Khiếu nại 02/2011 Art 36(1)"),
        # Luật KN Art 28: 30, complex 45, remote 45, remote complex 60.
        ("complaint", Stage.resolution, 1, 30, "calendar", (45, 45, 60), "Luật Khiếu nại 02/2011 Art 28"),
        # Luật KN Art 37: 45, complex 60, remote 60, remote complex 70.
        ("complaint", Stage.resolution, 2, 45, "calendar", (60, 60, 70), "Luật Khiếu nại 02/2011 Art 37"),
        # Luật TC Art 30: 30 days.
        ("denunciation", Stage.resolution, None, 30, "calendar", (None, None, None), "Luật Tố cáo 25/2018 Art 30"),
    ],
)
def test_statutory_limits(kind, stage, rnd, days, mode, variants, source) -> None:
    r = rule(kind, stage, rnd)
    assert (r.days, r.mode, r.source, r.local_default) == (days, mode, source, False)
    assert (r.complex_days, r.remote_days, r.remote_complex_days) == variants


def test_denunciation_extension_parameters() -> None:
    """Luật Tố cáo 25/2018 Art 30: extensions of up to 30 days, at most twice."""
    r = rule("denunciation", Stage.resolution)
    assert (r.extension_days, r.max_extensions) == (30, 2)


def test_other_limits() -> None:
    """Luật Khiếu nại 02/2011 Art 33(1) (appeal window) and Art 9 (filing limit)."""
    assert (APPEAL_WINDOW_DAYS, APPEAL_WINDOW_REMOTE_DAYS) == (30, 45)
    assert COMPLAINT_FILING_LIMIT_DAYS == 90


def test_invalid_rules_are_rejected() -> None:
    base = rule("complaint", Stage.resolution, 1)
    with pytest.raises(ValueError):
        dataclasses.replace(base, kind="lawsuit")
    with pytest.raises(ValueError):
        dataclasses.replace(base, mode="lunar")
    with pytest.raises(ValueError):
        dataclasses.replace(base, complex_days=20)  # shorter than days
    with pytest.raises(ValueError):
        dataclasses.replace(base, max_extensions=1)  # no extension_days
    with pytest.raises(ValueError):
        dataclasses.replace(base, source="")


# --- find_rule --------------------------------------------------------------------------------


def test_find_rule_respects_effective_from() -> None:
    """Luật Tố cáo 25/2018 took effect on 1 Jan 2019."""
    args = dict(kind="denunciation", stage=Stage.resolution)
    assert find_rule(DEFAULT_RULES, **args, on=date(2018, 12, 31)) is None
    assert find_rule(DEFAULT_RULES, **args, on=date(2019, 1, 1)).key == "denunciation.resolution"


def test_find_rule_rounds() -> None:
    # Round-specific rules need the round; round-agnostic ones match any round.
    on = date(2026, 1, 1)
    assert find_rule(DEFAULT_RULES, kind="complaint", stage="resolution", on=on) is None
    assert (
        find_rule(DEFAULT_RULES, kind="complaint", stage="resolution", round=2, on=on).key == "complaint.r2.resolution"
    )
    assert find_rule(DEFAULT_RULES, kind="complaint", stage="processing", round=2, on=on).key == "complaint.processing"


def test_find_rule_picks_latest_version() -> None:
    old = rule("complaint", Stage.acceptance, 1)
    new = dataclasses.replace(
        old,
        key="complaint.r1.acceptance.2026",
        days=7,
        mode="working",
        effective_from=date(2026, 7, 1),
        source="test version",
    )
    rules = (new, *DEFAULT_RULES)
    args = dict(kind="complaint", stage=Stage.acceptance, round=1)
    assert find_rule(rules, **args, on=date(2026, 6, 30)) is old
    assert find_rule(rules, **args, on=date(2026, 7, 1)) is new


def test_find_rule_prefers_round_specific_on_tie() -> None:
    generic = rule("complaint", Stage.processing)
    specific = dataclasses.replace(generic, key="complaint.r2.processing", round=2, days=12)
    rules = (specific, generic)
    assert find_rule(rules, kind="complaint", stage="processing", round=2, on=date(2026, 1, 1)) is specific
    assert find_rule(rules, kind="complaint", stage="processing", round=1, on=date(2026, 1, 1)) is generic


# --- stage_due --------------------------------------------------------------------------------


def test_processing_across_tet_2026() -> None:
    """Luật Tiếp công dân 42/2013 Art 28(1): 10 working days."""
    # 10 WD from Thu 2026-02-12: 13, (14–22 Tết/weekend), 23, 24, 25, 26, 27,
    # 2, 3, 4, 5 Mar → 2026-03-05.
    assert stage_due(rule("petition", Stage.processing), date(2026, 2, 12), CAL) == date(2026, 3, 5)


def test_processing_across_tet_2025() -> None:
    """Luật Tiếp công dân 42/2013 Art 28(1): 10 working days."""
    # 10 WD from Thu 2025-01-23: 24, (25 Jan–2 Feb), 3, 4, 5, 6, 7, 10, 11, 12, 13 → 2025-02-13.
    r = rule("reflection", Stage.processing, on=date(2025, 1, 23))
    assert stage_due(r, date(2025, 1, 23), CAL) == date(2025, 2, 13)


def test_denunciation_processing_and_several_locations() -> None:
    """Luật Tố cáo 25/2018 Art 24(1): 7 WD; the "up to 10 WD" variant is not applied (decision 0034)."""
    r = rule("denunciation", Stage.processing)
    # From Fri 2026-02-13: (14–22 off), 23 (1), 24, 25, 26, 27 (5), Mon 2 (6), Tue 3 Mar (7).
    assert stage_due(r, date(2026, 2, 13), CAL) == date(2026, 3, 3)
    assert r.complex_days is None and stage_due(r, date(2026, 2, 13), CAL, complex=True) == date(2026, 3, 3)


def test_denunciation_acceptance_uses_make_up_saturday_2025() -> None:
    """Luật Tố cáo 25/2018 Art 24(1): 7 WD; Sat 26 Apr 2025 was a working day."""
    # From Wed 2025-04-23: 24 (1), 25 (2), Sat 26 (3), Mon 28 (4), Tue 29 (5),
    # (30 Apr, 1 May, 2 May swap, 3–4 weekend), Mon 5 (6), Tue 6 May (7).
    r = rule("denunciation", Stage.acceptance, on=date(2025, 4, 23))
    assert stage_due(r, date(2025, 4, 23), CAL) == date(2025, 5, 6)


def test_complaint_acceptance_rolls_out_of_tet_2025() -> None:
    """Luật Khiếu nại 02/2011 Art 27: 10 days; BLDS Art 148(5) roll-forward."""
    # Fri 2025-01-17 + 10 = Mon 27 Jan (Tết) → 28–31 Jan, 1–2 Feb off → Mon 3 Feb.
    r = rule("complaint", Stage.acceptance, 1, on=date(2025, 1, 17))
    assert stage_due(r, date(2025, 1, 17), CAL) == date(2025, 2, 3)


def test_second_complaint_acceptance_rolls_out_of_30_4_2026() -> None:
    """Luật Khiếu nại 02/2011 Art 36(1): 10 days; BLDS Art 148(5) roll-forward."""
    # Mon 2026-04-20 + 10 = Thu 30 Apr → Fri 1 May, 2–3 weekend → Mon 4 May.
    r = rule("complaint", Stage.acceptance, 2, on=date(2026, 4, 20))
    assert stage_due(r, date(2026, 4, 20), CAL) == date(2026, 5, 4)


def test_complaint_acceptance_weekend_roll() -> None:
    """Luật Khiếu nại 02/2011 Art 27: 10 days; BLDS Art 148(5) roll-forward."""
    # Wed 2025-03-05 + 10 = Sat 15 Mar → Mon 17 Mar.
    r = rule("complaint", Stage.acceptance, 1, on=date(2025, 3, 5))
    assert stage_due(r, date(2025, 3, 5), CAL) == date(2025, 3, 17)


def test_first_complaint_resolution_variants() -> None:
    """Luật Khiếu nại 02/2011 Art 28: 30 d; complex 45; remote 45; remote complex 60."""
    r = rule("complaint", Stage.resolution, 1, on=date(2025, 3, 3))
    start = date(2025, 3, 3)  # Mon
    # +30: Mar 3 + 28 = Mar 31, +2 = Wed 2 Apr.
    assert stage_due(r, start, CAL) == date(2025, 4, 2)
    # +45: Mar 31 + 17 = Thu 17 Apr.
    assert stage_due(r, start, CAL, complex=True) == date(2025, 4, 17)
    assert stage_due(r, start, CAL, remote=True) == date(2025, 4, 17)
    # +60: Mar 31 + 30 = Apr 30, +2 = Fri 2 May (swap day off) → Sat 3, Sun 4 → Mon 5 May.
    assert stage_due(r, start, CAL, complex=True, remote=True) == date(2025, 5, 5)


def test_second_complaint_resolution_variants() -> None:
    """Luật Khiếu nại 02/2011 Art 37: 45 d; complex 60; remote 60; remote complex 70."""
    r = rule("complaint", Stage.resolution, 2, on=date(2026, 1, 5))
    start = date(2026, 1, 5)  # Mon
    # +45: Jan 5 + 26 = Jan 31, +19 = Thu 19 Feb (Tết) → 20 Tết, 21–22 weekend → Mon 23 Feb.
    assert stage_due(r, start, CAL) == date(2026, 2, 23)
    # +60: Feb 19 + 15 = Fri 6 Mar (Feb 2026 has 28 days).
    assert stage_due(r, start, CAL, complex=True) == date(2026, 3, 6)
    assert stage_due(r, start, CAL, remote=True) == date(2026, 3, 6)
    # +70: Mon 16 Mar.
    assert stage_due(r, start, CAL, complex=True, remote=True) == date(2026, 3, 16)


def test_denunciation_resolution_rolls_out_of_tet_2026() -> None:
    """Luật Tố cáo 25/2018 Art 30: 30 days; BLDS Art 148(5) roll-forward."""
    r = rule("denunciation", Stage.resolution)
    # Fri 2026-01-16 + 30 = Sun 15 Feb → 16–20 Tết, 21–22 weekend → Mon 23 Feb.
    assert stage_due(r, date(2026, 1, 16), CAL) == date(2026, 2, 23)
    # No complex variant: complexity is handled by extensions, so the base 30 days apply.
    assert stage_due(r, date(2026, 1, 16), CAL, complex=True) == date(2026, 2, 23)


def test_resolution_ending_on_national_day_swap_2026() -> None:
    """Luật Tố cáo 25/2018 Art 30: 30 days; BLDS Art 148(5); 31 Aug 2026 swapped off."""
    r = rule("denunciation", Stage.resolution)
    # Sat 2026-08-01 + 30 = Mon 31 Aug (swap) → Tue 1, Wed 2 Sep off → Thu 3 Sep.
    assert stage_due(r, date(2026, 8, 1), CAL) == date(2026, 9, 3)


def test_local_default_resolution_ending_on_24_11_2026() -> None:
    """Local default (no statutory limit): 30 d for a petition; 24 Nov 2026 is a holiday."""
    r = rule("petition", Stage.resolution)
    assert r.local_default
    # Sun 2026-10-25 + 30: Oct 25 + 6 = Oct 31, + 24 = Tue 24 Nov (off) → Wed 25 Nov.
    assert stage_due(r, date(2026, 10, 25), CAL) == date(2026, 11, 25)


def test_stage_due_with_override() -> None:
    """Luật Tiếp công dân 42/2013 Art 28(1): 10 WD, with a later-decreed day off."""
    cal = WorkCalendar({date(2026, 3, 2): False})  # hypothetical extra day off, Mon 2 Mar
    # 10 WD from Thu 2026-02-12: 13, 23, 24, 25, 26, 27, (Mar 2 off), 3, 4, 5, 6 → Fri 6 Mar.
    assert stage_due(rule("petition", Stage.processing), date(2026, 2, 12), cal) == date(2026, 3, 6)


# --- extensions (gia hạn) ---------------------------------------------------------------------


def test_particularly_complex_denunciation_extended_twice_then_refused() -> None:
    """Luật Tố cáo 25/2018 Art 30: particularly complex → two extensions of ≤30 days."""
    r = rule("denunciation", Stage.resolution, on=date(2025, 3, 3))
    accepted = date(2025, 3, 3)  # Mon
    due = stage_due(r, accepted, CAL)
    assert due == date(2025, 4, 2)  # Mar 3 + 30 = Wed 2 Apr
    # 1st: Apr 2 + 30 = Fri 2 May (swap, off) → Sat 3, Sun 4 → Mon 5 May.
    due = extension_due(r, due, CAL, extensions_used=0, complexity="particularly_complex", accepted_on=accepted)
    assert due == date(2025, 5, 5)
    # 2nd: the periods add up from acceptance and the roll applies once, to the end (BLDS Art
    # 148(5)): the unrolled end Fri 2 May + 30 = Sun 1 Jun → Mon 2 Jun (not 5 May + 30 = 4 Jun).
    due = extension_due(
        r, date(2025, 5, 2), CAL, extensions_used=1, complexity="particularly_complex", accepted_on=accepted
    )
    assert due == date(2025, 6, 2)
    with pytest.raises(ExtensionNotAllowed, match="at most 2"):
        extension_due(r, due, CAL, extensions_used=2, complexity="particularly_complex", accepted_on=accepted)


def test_complex_denunciation_extended_only_once() -> None:
    """Luật Tố cáo 25/2018 Art 30: complex → one extension of ≤30 days."""
    r = rule("denunciation", Stage.resolution)
    accepted = date(2026, 1, 16)  # Fri
    due = stage_due(r, accepted, CAL)  # Mon 23 Feb 2026, see the Tết 2026 test
    assert due == date(2026, 2, 23)
    # The period's unrolled end is Sun 15 Feb (Jan 16 + 30, in Tết); the extension adds 30 days to
    # it and rolls once: Feb 15 + 30 = Tue 17 Mar 2026 (not Feb 23 + 30 = Wed 25 Mar).
    due = extension_due(r, date(2026, 2, 15), CAL, extensions_used=0, complexity="complex", accepted_on=accepted)
    assert due == date(2026, 3, 17)
    with pytest.raises(ExtensionNotAllowed, match="at most 1"):
        extension_due(r, due, CAL, extensions_used=1, complexity="complex", accepted_on=accepted)


def test_a_denunciation_extension_is_at_most_30_days() -> None:
    """Luật Tố cáo 25/2018 Art 30(2): "gia hạn … một lần nhưng không quá 30 ngày": the handler
    may give fewer days, never more."""
    r = rule("denunciation", Stage.resolution, on=date(2026, 3, 2))
    # Mon 2 Mar 2026 + 20 = Sun 22 Mar → Mon 23 Mar.
    assert extension_due(
        r, date(2026, 3, 2), CAL, extensions_used=0, complexity="complex", accepted_on=date(2026, 1, 31), days=20
    ) == date(2026, 3, 23)
    for bad in (0, 31):
        with pytest.raises(ExtensionNotAllowed, match="1 to 30 days"):
            extension_due(
                r,
                date(2026, 3, 2),
                CAL,
                extensions_used=0,
                complexity="complex",
                accepted_on=date(2026, 1, 31),
                days=bad,
            )


def test_complaint_extension_moves_to_complex_limit_once() -> None:
    """Luật Khiếu nại 02/2011 Art 28: complex case ≤45 days from acceptance."""
    r = rule("complaint", Stage.resolution, 1, on=date(2025, 3, 3))
    accepted = date(2025, 3, 3)
    due = stage_due(r, accepted, CAL)  # Wed 2 Apr 2025
    # 45 d from Mon 3 Mar = Thu 17 Apr 2025.
    new = extension_due(r, due, CAL, extensions_used=0, complexity="complex", accepted_on=accepted)
    assert new == date(2025, 4, 17)
    with pytest.raises(ExtensionNotAllowed, match="only once"):
        extension_due(r, new, CAL, extensions_used=1, complexity="complex", accepted_on=accepted)


def test_remote_complaint_extension() -> None:
    """Luật Khiếu nại 02/2011 Art 28: remote area 45 days, remote complex ≤60 days."""
    r = rule("complaint", Stage.resolution, 1, on=date(2025, 3, 3))
    accepted = date(2025, 3, 3)
    due = stage_due(r, accepted, CAL, remote=True)  # Thu 17 Apr 2025
    # 60 d from Mon 3 Mar = Fri 2 May (swap, off) → Mon 5 May 2025.
    new = extension_due(r, due, CAL, extensions_used=0, complexity="complex", accepted_on=accepted, remote=True)
    assert new == date(2025, 5, 5)


def test_second_complaint_extension() -> None:
    """Luật Khiếu nại 02/2011 Art 37: 45 days, complex ≤60 from acceptance."""
    r = rule("complaint", Stage.resolution, 2, on=date(2026, 1, 5))
    accepted = date(2026, 1, 5)
    due = stage_due(r, accepted, CAL)  # Mon 23 Feb 2026 (rolled out of Tết)
    new = extension_due(r, due, CAL, extensions_used=0, complexity="particularly_complex", accepted_on=accepted)
    assert new == date(2026, 3, 6)  # Jan 5 + 60 = Fri 6 Mar


def test_complaint_already_at_complex_limit_cannot_extend() -> None:
    """Luật Khiếu nại 02/2011 Art 28: 45 days is the ceiling for a complex case."""
    r = rule("complaint", Stage.resolution, 1, on=date(2025, 3, 3))
    accepted = date(2025, 3, 3)
    due = stage_due(r, accepted, CAL, complex=True)  # already Thu 17 Apr 2025
    with pytest.raises(ExtensionNotAllowed, match="not later"):
        extension_due(r, due, CAL, extensions_used=0, complexity="complex", accepted_on=accepted)


@pytest.mark.parametrize("kind", ["petition", "reflection"])
def test_petitions_and_reflections_cannot_be_extended(kind: str) -> None:
    """No statutory extension for kiến nghị/phản ánh (legal-rules.md §1)."""
    r = rule(kind, Stage.resolution)
    with pytest.raises(ExtensionNotAllowed):
        extension_due(r, date(2026, 3, 2), CAL, extensions_used=0, complexity="complex", accepted_on=date(2026, 1, 30))


def test_only_resolution_can_be_extended() -> None:
    """Luật Tố cáo 25/2018 Art 30 extends the resolution limit, not the Art 24 processing."""
    r = rule("denunciation", Stage.processing)
    with pytest.raises(ExtensionNotAllowed):
        extension_due(r, date(2026, 3, 3), CAL, extensions_used=0, complexity="complex", accepted_on=date(2026, 2, 13))


def test_unknown_complexity_rejected() -> None:
    r = rule("denunciation", Stage.resolution)
    with pytest.raises(ValueError):
        extension_due(
            r,
            date(2026, 3, 3),
            CAL,
            extensions_used=0,
            complexity="simple",  # type: ignore[arg-type]
            accepted_on=date(2026, 2, 1),
        )


# --- docs/deadlines.md ------------------------------------------------------------------------


def test_committed_docs_match_generated_output() -> None:
    committed = (REPO / "docs" / "deadlines.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), (
        "docs/deadlines.md is stale: run `python -m app.workflows.deadlines --markdown > docs/deadlines.md`"
    )


def test_cli_prints_the_markdown() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.workflows.deadlines", "--markdown"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    assert out.decode("utf-8") == render_markdown()


def test_markdown_lists_every_rule_with_source_and_label() -> None:
    md = render_markdown()
    for r in DEFAULT_RULES:
        row = next(line for line in md.splitlines() if line.startswith(f"| `{r.key}` |"))
        assert r.source in row
        assert ("[local default]" in row) == r.local_default
    for text in ("Art 147", "Art 148(5)", "Suspension", "Extensions", "make-up Saturdays"):
        assert text in md


def test_rule_is_frozen() -> None:
    r: DeadlineRule = DEFAULT_RULES[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.days = 99  # type: ignore[misc]


def test_a_citizen_window_ending_on_a_make_up_saturday_rolls_to_monday() -> None:
    """Decision 0033: the appeal window (Luật Khiếu nại Art 33(1)) and the filing limit (Art 9)
    are the citizen's; one ending on a Saturday the Government made a working day (ngày làm bù)
    for its staff still rolls to Monday (BLDS Art 148(5): "ngày nghỉ cuối tuần"). An official's
    limit ending that day does not roll."""
    from app.workflows.calendar import WorkCalendar
    from app.workflows.deadlines import appeal_refusal, filing_deadline

    cal = WorkCalendar({date(2026, 10, 10): True})  # Sat 10 Oct 2026 marked a make-up working day
    # Thu 10 Sep 2026 + 30 = Sat 10 Oct.
    assert cal.add_calendar_days(date(2026, 9, 10), 30) == date(2026, 10, 10)
    assert cal.citizen_window_end(date(2026, 9, 10), 30) == date(2026, 10, 12)
    assert (
        appeal_refusal(cal, on=date(2026, 10, 12), decided_on=date(2026, 9, 10), first_due=None, remote=False) is None
    )
    # Filing limit: Sun 12 Jul 2026 + 90 = Sat 10 Oct → Mon 12 Oct; 5 obstacle days → Thu 15 Oct.
    assert filing_deadline(cal, date(2026, 7, 12)) == date(2026, 10, 12)
    assert filing_deadline(cal, date(2026, 7, 12), 5) == date(2026, 10, 15)
