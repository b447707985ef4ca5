"""The dialogue, commitment and reception-duty rules (pure): app/workflows/dialogues.py."""

from __future__ import annotations

from datetime import date

import pytest

from app.workflows import dialogues as rules
from app.workflows.dialogues import DialogueStatus


def test_the_dialogue_lifecycle_table():
    assert rules.allowed_dialogue_actions("scheduled") == ["hold", "postpone", "cancel"]
    assert rules.allowed_dialogue_actions("postponed") == ["hold", "postpone", "cancel"]
    assert rules.allowed_dialogue_actions("held") == [] and rules.allowed_dialogue_actions("cancelled") == []
    assert rules.dialogue_action("hold", "scheduled").to_status == DialogueStatus.held
    assert rules.dialogue_action("postpone", "postponed").to_status == DialogueStatus.postponed
    assert rules.dialogue_action("cancel", "held") is None
    assert rules.dialogue_action("hold", "scheduled").required == ("minutes",)


def test_a_notice_of_fewer_than_five_days_is_short():
    # ND 124/2020 Art 28(1) as amended by ND 155/2026: notice at least 5 days ahead
    assert rules.short_notice(date(2026, 11, 27), date(2026, 11, 30))  # 3 days
    assert rules.short_notice(date(2026, 11, 26), date(2026, 11, 30))  # 4 days
    assert not rules.short_notice(date(2026, 11, 25), date(2026, 11, 30))  # 5 days
    assert not rules.short_notice(date(2026, 11, 2), date(2026, 11, 10))


@pytest.mark.parametrize(
    "kind,round_,differs,expected",
    [
        ("complaint", 2, None, "Luật Khiếu nại 02/2011 Art 39"),
        ("complaint", 2, False, "Luật Khiếu nại 02/2011 Art 39"),  # round 2: always
        ("complaint", 1, True, "Luật Khiếu nại 02/2011 Art 30(1)"),
        ("complaint", 1, None, None),
        ("complaint", None, False, None),
        ("denunciation", None, True, None),
        ("petition", None, None, None),
    ],
)
def test_which_decisions_wait_for_a_held_dialogue(kind, round_, differs, expected):
    assert rules.dialogue_required_before_decision(kind, round_, differs) == expected


def test_a_commitment_is_overdue_when_open_and_past_its_due_date():
    due = date(2026, 11, 20)
    assert not rules.commitment_overdue("open", due, date(2026, 11, 20))  # decided by date: the due day itself is fine
    assert rules.commitment_overdue("open", due, date(2026, 11, 21))
    assert not rules.commitment_overdue("done", due, date(2026, 11, 27))
    assert not rules.commitment_overdue("cancelled", due, date(2026, 11, 27))


def test_reception_frequencies_have_effective_dates_and_sources():
    # Luật Tiếp công dân 42/2013 Art 15(2)(d): the commune chairman, at least one day a week ...
    before = rules.reception_rule("people_committee", "commune", date(2026, 6, 1))
    assert before.key == "tcd.commune_chairman" and before.per == "week" and before.min_days == 1
    assert "Art 15(2)(d)" in before.source and before.evidence == "primary"
    # ... and from 1 Jul 2026 (Law 136/2025) two days a month, from a secondary source
    after = rules.reception_rule("people_committee", "commune", date(2026, 7, 1))
    assert after.key == "tcd.commune_chairman.2026" and (after.min_days, after.per) == (2, "month")
    assert after.evidence == "secondary"
    # Art 12(5): the provincial (city) chairman, one day a month; Art 18(2): heads of departments
    city = rules.reception_rule("people_committee", "city", date(2026, 11, 1))
    assert (city.min_days, city.per) == (1, "month") and "Art 12(5)" in city.source
    assert rules.reception_rule("department", "city", date(2026, 11, 1)).key == "tcd.agency_head"
    # Art 13(5): the district chairman, until the level was abolished on 1 Jul 2025
    assert rules.reception_rule("people_committee", "district", date(2025, 6, 1)).min_days == 2
    assert rules.reception_rule("people_committee", "district", date(2025, 7, 1)) is None
    assert rules.reception_rule("people_council", "commune", date(2026, 11, 1)) is None


def test_weeks_of_a_month_are_counted_by_their_thursday():
    # March 2026: Sun 1 Mar; the week of Mon 23 Feb has its Thursday in February, and the week of
    # Mon 30 Mar its Thursday in April
    assert rules.weeks_of_month(2026, 3) == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    assert rules.weeks_of_month(2026, 4)[0] == date(2026, 3, 30)
    assert len(rules.weeks_of_month(2026, 12)) == 5  # Thu 3, 10, 17, 24, 31 Dec


def test_compliance_weekly_and_monthly():
    weekly = rules.reception_rule("people_committee", "commune", date(2026, 3, 1))
    got = rules.reception_compliance(weekly, 2026, 3, [date(2026, 3, 2), date(2026, 3, 13), date(2026, 3, 13)])
    assert (got.measure, got.required, got.met, got.compliant) == ("weeks", 4, 2, False)
    assert got.weeks_missed == (date(2026, 3, 16), date(2026, 3, 23))
    monthly = rules.reception_rule("people_committee", "commune", date(2026, 11, 1))
    got = rules.reception_compliance(monthly, 2026, 11, [date(2026, 11, 5), date(2026, 10, 30)])
    assert (got.measure, got.required, got.met, got.compliant) == ("days", 2, 1, False)
    got = rules.reception_compliance(monthly, 2026, 11, [date(2026, 11, 5), date(2026, 11, 19)])
    assert got.compliant
