"""The law's clock (issue #6 D13–D20, issue #7 item 4): the lifecycle table drives it, the
competent body accepts, windows count from receipt of the decision, extensions add up.

Business date pinned to Fri 2026-11-27 (tests/api/conftest.py). Due dates counted by hand on the
2026 calendar; holidays that matter: Tue 24 Nov 2026 (Ngày Văn hóa Việt Nam, holidays.Vietnam
from 2026), Tết 2026 (Mon 16 – Fri 20 Feb 2026), 30 Apr – 1 May 2026, 2 Sep 2026.
"""

from __future__ import annotations

import dataclasses

import pytest

from app.workflows import lifecycle as lc
from tests.api.casekit import act, new_case


@pytest.fixture
async def actors(make_user):
    return {
        "desk": (await make_user("reception", "MTTQ-01"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "city": (await make_user("handler", "UBND-01"))[1],
    }


async def test_the_lifecycle_table_drives_the_clock(client, actors, monkeypatch):
    """Issue #7 item 4: a row's `clock` column is what moves the due date."""
    desk = actors["desk"]
    case = await new_case(client, desk, received_on="2026-11-20")
    # As shipped: forward starts acceptance, 10 days (Luật Khiếu nại Art 27) from Mon 23 Nov → Thu 3 Dec.
    c = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    assert (c["stage"], c["due"]) == ("acceptance", "2026-12-03")

    rows = tuple(
        dataclasses.replace(a, clock=lc.Clock.start_resolution) if a.name == "forward" else a for a in lc.ACTIONS
    )
    monkeypatch.setattr(lc, "ACTIONS", rows)
    case = await new_case(client, desk, received_on="2026-11-20")
    # Edited row: forward starts resolution, 30 days (Art 28) from Mon 23 Nov → Wed 23 Dec.
    c = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    assert (c["stage"], c["due"]) == ("resolution", "2026-12-23")

    rows = tuple(dataclasses.replace(a, clock=lc.Clock.none) if a.name == "forward" else a for a in lc.ACTIONS)
    monkeypatch.setattr(lc, "ACTIONS", rows)
    case = await new_case(client, desk, received_on="2026-11-20")
    # No clock effect: the processing stage keeps running (10 working days from Fri 20 Nov,
    # skipping Tue 24 Nov → Mon 7 Dec, Luật Tiếp công dân Art 28(1)).
    c = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    assert (c["stage"], c["due"]) == ("processing", "2026-12-07")


async def test_organisations_say_whether_they_may_resolve(client, admin_headers):
    """D14: organisations carry may_resolve, seeded by kind and settable on creation."""
    items = (await client.get("/api/v1/organizations?unit=00070", headers=admin_headers)).json()["items"]
    by_code = {o["code"]: o["may_resolve"] for o in items}
    assert by_code["UBND-00070"] is True and by_code["MTTQ-00070"] is False and by_code["HDND-00070"] is False
    made = await client.post(
        "/api/v1/organizations",
        headers=admin_headers,
        json={"code": "CA-00070", "name": "Công an phường Hoàn Kiếm", "kind": "police", "unit_code": "00070"},
    )
    assert made.status_code == 201 and made.json()["may_resolve"] is True
    made = await client.post(
        "/api/v1/organizations",
        headers=admin_headers,
        json={"code": "X-00070", "name": "Tổ hòa giải", "kind": "other", "unit_code": "00070"},
    )
    assert made.status_code == 201 and made.json()["may_resolve"] is False
    made = await client.post(
        "/api/v1/organizations",
        headers=admin_headers,
        json={
            "code": "Y-00070",
            "name": "Ban quản lý dự án",
            "kind": "other",
            "unit_code": "00070",
            "may_resolve": True,
        },
    )
    assert made.status_code == 201 and made.json()["may_resolve"] is True


@pytest.mark.parametrize("kind", ["complaint", "denunciation"])
async def test_only_the_competent_resolver_accepts(client, actors, make_user, kind):
    """D14: a Fatherland Front desk receives, guides and forwards a complaint or a denunciation;
    it never accepts (thụ lý) or refuses it (403 naming the rule)."""
    desk = actors["desk"]
    front_handler = (await make_user("handler", "MTTQ-01"))[1]
    case = await new_case(client, desk, kind=kind)
    body = await act(client, desk, case["id"], "accept", expect=403)
    assert "only the competent resolver" in body["detail"] and "MTTQ-01" in body["detail"]
    ground = "kn11_6_time_barred" if kind == "complaint" else "tc29_form"
    await act(client, front_handler, case["id"], "reject", ground=ground, reason="x", expect=403)
    got = (await client.get(f"/api/v1/cases/{case['id']}", headers=desk)).json()
    assert got["status"] == "received" and got["stage"] == "processing"
    c = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    c = await act(client, actors["ward"], case["id"], "accept", on="2026-11-25")
    assert c["status"] == "accepted" and c["stage"] == "resolution"


async def test_the_front_still_answers_petitions(client, actors):
    """D14 concerns complaints and denunciations only: a petition may be taken up by any desk."""
    case = await new_case(client, actors["desk"], kind="petition")
    c = await act(client, actors["desk"], case["id"], "accept", on="2026-11-23")
    assert c["status"] == "accepted"


async def test_a_complaint_at_the_competent_body_starts_in_acceptance(client, actors):
    """D13: received by the competent People's Committee itself, a complaint must be accepted
    within 10 days of receipt (Luật Khiếu nại Art 27, calendar days, BLDS Art 147): from
    Fri 13 Nov 2026 → Mon 23 Nov, so on Fri 27 Nov it is 4 days late. (The processing stage
    used before, 10 working days skipping Tue 24 Nov, ended on Mon 30 Nov and hid it.)"""
    case = await new_case(client, actors["ward_desk"], received_on="2026-11-13")
    assert (case["stage"], case["due"], case["due_rule"]) == ("acceptance", "2026-11-23", "complaint.r1.acceptance")
    assert case["overdue"] is True and case["days_overdue"] == 4
    # A denunciation at the competent body: 7 working days (Luật Tố cáo Art 24(1)) from Fri 13 Nov:
    # 16, 17, 18, 19, 20, 23, 25 Nov (Tue 24 Nov is a holiday) → Wed 25 Nov.
    den = await new_case(client, actors["ward_desk"], kind="denunciation", received_on="2026-11-13")
    assert (den["stage"], den["due"], den["due_rule"]) == ("acceptance", "2026-11-25", "denunciation.acceptance")
    # The Fatherland Front desk only processes: 10 working days (Luật Tiếp công dân Art 28(1)).
    front = await new_case(client, actors["desk"], received_on="2026-11-13")
    assert (front["stage"], front["due"]) == ("processing", "2026-11-30")
    # A petition at the People's Committee is processed as before.
    pet = await new_case(client, actors["ward_desk"], kind="petition", received_on="2026-11-13")
    assert pet["stage"] == "processing"


async def _accepted_denunciation(client, actors, accepted_on: str) -> int:
    case = await new_case(client, actors["desk"], kind="denunciation", received_on="2026-08-20")
    await act(client, actors["desk"], case["id"], "forward", to_org="UBND-00070", on="2026-08-21")
    await act(client, actors["ward"], case["id"], "accept", on=accepted_on)
    return case["id"]


async def test_a_denunciation_extension_takes_days_up_to_30(client, actors):
    """D16: Luật Tố cáo Art 30(2)-(3): each extension is at most 30 days; the handler may give fewer."""
    ward = actors["ward"]
    cid = await _accepted_denunciation(client, actors, "2026-09-01")  # due Thu 1 Oct (Art 30(1))
    await act(client, ward, cid, "extend", complexity="complex", days=31, reason="x", on="2026-09-25", expect=422)
    await act(client, ward, cid, "extend", complexity="complex", days=0, reason="x", on="2026-09-25", expect=422)
    # Thu 1 Oct + 20 = Wed 21 Oct 2026.
    c = await act(client, ward, cid, "extend", complexity="complex", days=20, reason="Phức tạp", on="2026-09-25")
    assert c["due"] == "2026-10-21"
    hist = (await client.get(f"/api/v1/cases/{cid}/history", headers=ward)).json()["items"]
    ext = next(e for e in hist if e["action"] == "case.extend")
    assert ext["changes"]["days"] == 20


async def test_extensions_add_up_from_acceptance_and_roll_once(client, actors):
    """D16: accepted Thu 1 Oct 2026: 30 days end Sat 31 Oct (rolled to Mon 2 Nov, BLDS Art
    148(5)); a 30-day extension counts from Sat 31 Oct, not from the rolled Monday:
    31 Oct + 30 = Mon 30 Nov (the old count gave Wed 2 Dec)."""
    ward = actors["ward"]
    cid = await _accepted_denunciation(client, actors, "2026-10-01")
    c = (await client.get(f"/api/v1/cases/{cid}", headers=ward)).json()
    assert c["due"] == "2026-11-02"
    c = await act(client, ward, cid, "extend", complexity="complex", reason="Phức tạp", on="2026-10-28")
    assert c["due"] == "2026-11-30"


async def test_resumption_counts_from_the_unrolled_end(client, actors):
    """D16: suspended Sat 10 Oct → resumed Mon 12 Oct (2 days): Sat 31 Oct + 2 = Mon 2 Nov
    (the old count shifted the rolled Mon 2 Nov to Wed 4 Nov). Luật Tố cáo Art 34."""
    ward = actors["ward"]
    cid = await _accepted_denunciation(client, actors, "2026-10-01")
    await act(client, ward, cid, "start_verification", on="2026-10-02")
    await act(client, ward, cid, "suspend", reason="Chờ giám định", on="2026-10-10")
    c = await act(client, ward, cid, "resume", on="2026-10-12")
    assert c["due"] == "2026-11-02"


async def test_an_extension_after_the_due_date_is_refused(client, actors):
    """D16: decided after the due date, an extension would hide that the case was overdue: 409
    naming the due date; the case stays overdue."""
    ward = actors["ward"]
    cid = await _accepted_denunciation(client, actors, "2026-09-01")  # due Thu 1 Oct
    body = await act(client, ward, cid, "extend", complexity="complex", reason="Muộn", on="2026-10-02", expect=409)
    assert "2026-10-01" in body["detail"]
    c = (await client.get(f"/api/v1/cases/{cid}", headers=ward)).json()
    assert c["due"] == "2026-10-01" and c["overdue"] is True and c["extensions_used"] == 0
    # on the due date itself it is still in time
    c = await act(client, ward, cid, "extend", complexity="complex", reason="Đúng hạn", on="2026-10-01")
    assert c["due"] == "2026-11-02"  # Thu 1 Oct + 30 = Sat 31 Oct → Mon 2 Nov


async def test_a_complaint_extension_takes_no_days(client, actors):
    case = await new_case(client, actors["desk"], received_on="2026-10-01")
    await act(client, actors["desk"], case["id"], "forward", to_org="UBND-00070", on="2026-10-02")
    await act(client, actors["ward"], case["id"], "accept", on="2026-10-05")
    body = await act(
        client,
        actors["ward"],
        case["id"],
        "extend",
        complexity="complex",
        days=10,
        reason="x",
        on="2026-10-30",
        expect=422,
    )
    assert "body.days" in [e["field"] for e in body["errors"]]


async def test_the_filing_limit_counts_from_receipt_of_the_decision(client, actors):
    """D15: Luật Khiếu nại Art 9: 90 days from the day the complainant received or learned of
    the decision, rolled past non-working days (BLDS Art 148(5)), less the days an obstacle took."""
    desk = actors["desk"]
    # Decision of Sat 1 Aug 2026, received Mon 10 Aug; filed Mon 9 Nov. Aug 10 + 90 = Sun 8 Nov →
    # Mon 9 Nov: in time. (Counted from the decision's date it would be late.)
    c = await new_case(
        client, desk, decision_date="2026-08-01", decision_received_on="2026-08-10", received_on="2026-11-09"
    )
    assert c["filing_late"] is False and c["decision_received_on"] == "2026-08-10"
    assert c["filing_obstacle"] is None
    # Without decision_received_on it defaults to the decision's date: Aug 1 + 90 = Fri 30 Oct → late.
    c = await new_case(client, desk, decision_date="2026-08-01", received_on="2026-11-09")
    assert c["filing_late"] is True and c["decision_received_on"] == "2026-08-01"
    assert "filing_deadline_passed" in [f["code"] for f in c["flags"]]
    # The roll past the weekend alone: decision received Mon 10 Aug, filed on Mon 9 Nov, 91 days later.
    c = await new_case(client, desk, decision_date="2026-08-10", received_on="2026-11-09")
    assert c["filing_late"] is False
    # Art 9 obstacle: 40 days in hospital. Wed 1 Jul + 40 = Mon 10 Aug, + 90 = Sun 8 Nov → Mon 9 Nov.
    c = await new_case(
        client,
        desk,
        decision_date="2026-07-01",
        received_on="2026-11-09",
        filing_obstacle={"days": 40, "reason": "Nằm viện điều trị"},
    )
    assert c["filing_late"] is False and c["filing_obstacle"] == {"days": 40, "reason": "Nằm viện điều trị"}
    got = (await client.get(f"/api/v1/cases/{c['id']}", headers=desk)).json()
    assert got["filing_obstacle"]["days"] == 40 and got["decision_received_on"] == "2026-07-01"


async def test_filing_dates_are_checked(client, actors):
    desk = actors["desk"]
    from tests.api.casekit import case_body
    from tests.conftest import assert_problem

    async def post(**over):
        return await client.post("/api/v1/cases", json=case_body(**over), headers=desk)

    assert_problem(
        await post(decision_date="2026-08-10", decision_received_on="2026-08-01"), 422, "body.decision_received_on"
    )
    assert_problem(await post(decision_received_on="2026-11-21"), 422, "body.decision_received_on")
    assert_problem(await post(kind="petition", decision_received_on="2026-11-01"), 422, "body.decision_received_on")
    assert_problem(await post(filing_obstacle={"days": 10, "reason": " "}), 422, "body.filing_obstacle.reason")
    assert_problem(await post(filing_obstacle={"days": -1, "reason": "x"}), 422, "body.filing_obstacle.days")


async def test_the_appeal_window_counts_from_receipt_of_the_first_decision(client, actors):
    """D15: Luật Khiếu nại Art 33(1) "kể từ ngày nhận được quyết định giải quyết khiếu nại lần
    đầu": decided Tue 1 Sep 2026, received Sun 20 Sep; the window ends Sep 20 + 30 = Tue 20 Oct
    (counted from the decision it closed on Thu 1 Oct)."""
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-08-03")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-08-04")
    await act(client, ward, cid, "accept", on="2026-08-05")
    await act(client, ward, cid, "start_verification", on="2026-08-06")
    await act(client, ward, cid, "decide", outcome="rejected", summary="Không có cơ sở", on="2026-09-01")
    body = await act(client, ward, cid, "appeal", on="2026-10-15", expect=409)
    assert "2026-10-01" in body["detail"]
    await act(client, ward, cid, "appeal", on="2026-10-15", decision_received_on="2026-08-31", expect=422)
    c = await act(client, ward, cid, "appeal", on="2026-10-15", decision_received_on="2026-09-20")
    r2 = c["opened_case"]
    assert r2["complaint_round"] == 2 and r2["decision_received_on"] == "2026-09-20"


async def test_complaint_suspension_is_refused_before_law_136_2025(client, actors):
    """D18: suspension and termination of complaint resolution (Luật Khiếu nại Art 11a) came
    with Law 136/2025, in force 1 Jul 2026: 409 naming the date for an earlier action; a
    denunciation's suspension (Luật Tố cáo Art 34, 2019) is unaffected."""
    ward, ward_desk = actors["ward"], actors["ward_desk"]
    case = await new_case(client, ward_desk, received_on="2026-06-01")
    await act(client, ward, case["id"], "accept", on="2026-06-05")
    await act(client, ward, case["id"], "start_verification", on="2026-06-08")
    body = await act(client, ward, case["id"], "suspend", reason="Chờ giám định", on="2026-06-30", expect=409)
    assert "2026-07-01" in body["detail"]
    body = await act(client, ward, case["id"], "terminate", reason="x", on="2026-06-30", expect=409)
    assert "2026-07-01" in body["detail"]
    c = await act(client, ward, case["id"], "suspend", reason="Chờ giám định", on="2026-07-01")
    assert c["status"] == "suspended"
    den = await new_case(client, ward_desk, kind="denunciation", received_on="2026-06-01")
    await act(client, ward, den["id"], "accept", on="2026-06-05")
    c = await act(client, ward, den["id"], "suspend", reason="Chờ kết quả", on="2026-06-30")
    assert c["status"] == "suspended"
