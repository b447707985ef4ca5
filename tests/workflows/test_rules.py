"""The small pure rules the case service applies, tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.errors import Invalid
from app.workflows import routing
from app.workflows.calendar import WorkCalendar
from app.workflows.deadlines import appeal_refusal
from app.workflows.identity import may_see_identity
from app.workflows.petitioners import check_representatives, phone_key, representatives_needed
from app.workflows.text import fold, similar_titles


def test_identity_only_for_the_holding_organisations():
    assert may_see_identity(False, (1, None), viewer_org_id=9)  # not protected: whoever sees the case
    assert may_see_identity(True, (1, None), viewer_org_id=1)  # the receiving organisation
    assert may_see_identity(True, (1, 2), viewer_org_id=2)  # the assigned one
    assert not may_see_identity(True, (1, 2), viewer_org_id=3)


@pytest.mark.parametrize(("count", "bounds"), [(1, None), (4, None), (5, (1, 2)), (10, (1, 2)), (11, (1, 5))])
def test_representatives_by_group_size(count, bounds):
    """Luật Tiếp công dân Art 29: 5–10 people appoint 1–2 representatives, more than 10 up to 5."""
    assert representatives_needed(count) == bounds


def test_a_group_without_representatives_is_refused_naming_the_petitioners():
    check_representatives(4, [False] * 4)
    check_representatives(6, [True, False, False, False, False, False])
    with pytest.raises(Invalid) as exc:
        check_representatives(12, [False] * 12)
    assert exc.value.errors[0]["field"] == "body.petitioners"
    with pytest.raises(Invalid):
        check_representatives(7, [True, True, True, False, False, False, False])  # three for seven


def test_phone_keys_match_national_and_international_forms():
    assert phone_key("+84 912 345 678") == phone_key("0912.345.678") == "0912345678"
    assert phone_key(None) is None and phone_key("--") is None


def test_one_folding_function_for_search_and_addresses():
    assert fold("  Đất   ĐAI  ") == "dat dai"
    assert fold("Phường Dịch Vọng Hậu") == "phuong dich vong hau"
    assert similar_titles("Khiếu nại thu hồi đất nông nghiệp", "khieu nai thu hoi dat")
    assert not similar_titles("Khiếu nại thu hồi đất", "Phản ánh tiếng ồn quán karaoke")


@dataclass
class _Rule:
    id: int
    kind: str | None
    field: str | None
    unit_code: str | None
    org_code: str
    priority: int = 0


def test_routing_prefers_the_most_specific_rule():
    rules = [
        _Rule(1, None, None, "01", "CITY-ANY"),
        _Rule(2, "denunciation", None, "01", "CITY-DEN"),
        _Rule(3, "denunciation", "land", "00070", "WARD-DEN-LAND"),
        _Rule(4, "complaint", None, None, "ALL-KN"),
        _Rule(5, None, None, "00073", "OTHER-WARD"),
    ]
    ranked = routing.ranked_org_codes(rules, kind="denunciation", field="land", unit_path="/01/00070/")
    assert ranked == ["WARD-DEN-LAND", "CITY-DEN", "CITY-ANY"]
    rules.append(_Rule(6, None, None, None, "PRIORITY", priority=10))
    assert routing.ranked_org_codes(rules, kind="petition", field="other", unit_path="/01/00070/")[0] == "PRIORITY"
    assert routing.default_org_code("00070") == "UBND-00070"


def test_appeal_window_counts_calendar_days_and_rolls_past_a_holiday():
    """Luật Khiếu nại Art 33(1): 30 days from the first decision; BLDS Art 148(5) moves an end
    that falls on a day off to the next working day. A decision of 2026-08-03: day 30 is
    Wednesday 2026-09-02, National Day (1–2/9 are days off in 2026), so the window
    closes on Thursday 2026-09-03."""
    cal = WorkCalendar()
    assert appeal_refusal(cal, on=date(2026, 9, 3), decided_on=date(2026, 8, 3), first_due=None, remote=False) is None
    refused = appeal_refusal(cal, on=date(2026, 9, 4), decided_on=date(2026, 8, 3), first_due=None, remote=False)
    assert refused and "2026-09-03" in refused
    # no decision: only after the first resolver's deadline has passed
    assert appeal_refusal(cal, on=date(2026, 9, 1), decided_on=None, first_due=date(2026, 9, 1), remote=False)
    assert appeal_refusal(cal, on=date(2026, 9, 2), decided_on=None, first_due=date(2026, 9, 1), remote=False) is None
