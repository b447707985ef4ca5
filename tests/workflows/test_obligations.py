"""The law's secondary time limits (pure): which events start, fulfil and cancel them, their due
dates counted by hand on the 2026 calendar, and the overdue rule. Holidays: Tue 24 Nov 2026."""

from __future__ import annotations

from datetime import date

import pytest

from app.workflows import obligations as ob
from app.workflows.calendar import WorkCalendar

CAL = WorkCalendar()


def keys(rules):
    return {r.key for r in rules}


def test_each_limit_is_the_primary_texts():
    by = {r.key: r for r in ob.OBLIGATION_RULES}
    # (days, mode, article) as read in the law (docs/decisions/0041-obligations.md)
    expected = {
        "tc24_forward": (5, "working", "Luật Tố cáo 25/2018 Art 24(2)"),
        "tc29_notify_acceptance": (5, "working", "Luật Tố cáo 25/2018 Art 29(3)"),
        "tc34_send_suspension": (5, "working", "Luật Tố cáo 25/2018 Art 34(4)"),
        "tc34_send_termination": (5, "working", "Luật Tố cáo 25/2018 Art 34(3)-(4)"),
        "tc37_review_followup": (20, "calendar", "Luật Tố cáo 25/2018 Art 37(2)"),
        "tcd28_notify_result": (5, "working", "Luật Tiếp công dân 42/2013 Art 28(2)"),
    }
    assert {k: (r.days, r.mode, r.source) for k, r in by.items()} == expected


def test_due_dates_counted_by_hand():
    r = ob.rule_for("tc24_forward")
    # 5 WD from Fri 20 Nov 2026: 23, (24 holiday), 25, 26, 27, 30 → Mon 30 Nov.
    assert r.due(date(2026, 11, 20), CAL) == date(2026, 11, 30)
    # 20 days from Mon 2 Nov 2026 → Sun 22 Nov, rolled to Mon 23 Nov (Civil Code Art 148(5)).
    assert ob.rule_for("tc37_review_followup").due(date(2026, 11, 2), CAL) == date(2026, 11, 23)


def test_which_events_start_which_obligations():
    on = date(2026, 11, 20)
    assert keys(ob.starts("intake", "denunciation", on, receiver_kind="fatherland_front")) == {"tc24_forward"}
    # a body that resolves denunciations sorts out its competence within Art 24(1)'s 7 WD
    assert keys(ob.starts("intake", "denunciation", on, receiver_kind="people_committee")) == set()
    assert keys(ob.starts("intake", "complaint", on, receiver_kind="fatherland_front")) == set()
    assert keys(ob.starts("intake", "denunciation", on, followup=True, receiver_kind="people_committee")) == {
        "tc37_review_followup"
    }
    assert keys(ob.starts("accept", "denunciation", on)) == {"tc29_notify_acceptance"}
    assert keys(ob.starts("accept", "complaint", on)) == set()
    assert keys(ob.starts("suspend", "denunciation", on)) == {"tc34_send_suspension"}
    assert keys(ob.starts("terminate", "denunciation", on, accepted=True)) == {"tc34_send_termination"}
    assert keys(ob.starts("withdraw_all", "denunciation", on, accepted=True)) == {"tc34_send_termination"}
    assert keys(ob.starts("withdraw_all", "denunciation", on, accepted=False)) == set()  # never accepted
    assert keys(ob.starts("decide", "complaint", on, forwarded=True, receiver_kind="citizen_reception_board")) == {
        "tcd28_notify_result"
    }
    assert keys(ob.starts("decide", "complaint", on, forwarded=False, receiver_kind="citizen_reception_board")) == set()


def test_a_rule_applies_only_from_its_law():
    assert ob.starts("accept", "denunciation", date(2018, 12, 31)) == []


def test_what_ends_an_obligation():
    assert ob.discharges("forward", "tc24_forward") == "done"
    assert ob.discharges("guide", "tc24_forward") == "done"
    assert ob.discharges("accept", "tc24_forward") == "cancelled"
    assert ob.discharges("accept", "tc37_review_followup") == "done"
    assert ob.discharges("withdraw_all", "tc29_notify_acceptance") == "cancelled"
    # `notify` fulfils only the obligation it names (the service does that), never all of them
    assert ob.discharges("notify", "tc29_notify_acceptance") is None
    assert ob.discharges("start_verification", "tc29_notify_acceptance") is None


@pytest.mark.parametrize(
    "done,cancelled,today,overdue",
    [
        (None, None, date(2026, 11, 30), False),  # the due date itself is on time
        (None, None, date(2026, 12, 1), True),
        (date(2026, 12, 1), None, date(2026, 12, 5), False),
        (None, date(2026, 11, 25), date(2026, 12, 5), False),
    ],
)
def test_overdue_by_date(done, cancelled, today, overdue):
    assert ob.is_obligation_overdue(date(2026, 11, 30), done, cancelled, today) is overdue
