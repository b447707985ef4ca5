"""Full walks through HTTP: a desk logs a case, forwards it, the agency accepts, verifies, decides,
closes; complaints are appealed; denunciations are extended; suspended clocks move.

Business date pinned to Fri 2026-11-27 (tests/api/conftest.py). Every expected due date was
counted by hand on the 2026 calendar; the comment names the legal source of the limit.
Holidays that matter here: Tue 24 Nov 2026 (Ngày Văn hóa Việt Nam, in holidays.Vietnam from 2026).
"""

from __future__ import annotations

import pytest

from tests.api.casekit import act, case_body, new_case
from tests.conftest import assert_problem


@pytest.fixture
async def actors(make_user):
    """An MTTQ desk of the city, the Hoàn Kiếm ward People's Committee (handler and desk), the
    city People's Committee handler, a handler of another ward, a city supervisor."""
    return {
        "desk": (await make_user("reception", "MTTQ-01"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "city": (await make_user("handler", "UBND-01"))[1],
        "other_ward": (await make_user("handler", "UBND-00004"))[1],
        "supervisor": (await make_user("supervisor", "HDND-01"))[1],
    }


async def history_actions(client, headers, case_id) -> list[str]:
    resp = await client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
    assert resp.status_code == 200, resp.text
    return [e["action"] for e in resp.json()["items"]]


@pytest.mark.parametrize(
    "kind,outcome,verify",
    [
        ("complaint", "partly_upheld", True),
        ("denunciation", "partly_true", True),
        ("petition", "answered", False),
        ("reflection", "answered", False),
    ],
)
async def test_full_walk_for_each_kind(client, actors, kind, outcome, verify):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, kind=kind, received_on="2026-11-02")
    assert case["status"] == "received" and case["stage"] == "processing"
    assert case["receiving_org"]["code"] == "MTTQ-01" and case["assigned_org"] is None
    assert case["suggested_org"]["code"] == "UBND-00070"  # the ward's People's Committee by default
    cid = case["id"]

    c = await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-11-03", reason="Thuộc thẩm quyền")
    assert c["status"] == "forwarded" and c["assigned_org"]["code"] == "UBND-00070" and c["stage"] == "acceptance"
    c = await act(client, ward, cid, "accept", on="2026-11-05")
    assert c["status"] == "accepted" and c["stage"] == "resolution" and c["accepted_on"] == "2026-11-05"
    if verify:
        c = await act(client, ward, cid, "start_verification", on="2026-11-06")
        assert c["status"] == "verifying"
    c = await act(client, ward, cid, "decide", outcome=outcome, summary="Kết luận", on="2026-11-20")
    assert c["status"] == "decided" and c["outcome"] == outcome and c["due"] is None and c["stage"] is None
    c = await act(client, ward, cid, "close", on="2026-11-25")
    assert c["status"] == "closed" and c["closed_on"] == "2026-11-25"

    steps = await history_actions(client, ward, cid)
    expected = (
        ["case.create", "case.forward", "case.accept"]
        + (["case.start_verification"] if verify else [])
        + ["case.decide", "case.close"]
    )
    assert [s for s in steps if s != "case.identity_read"] == expected


async def test_due_dates_follow_the_law_at_each_stage(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    # Processing: 10 working days from receipt (Luật Tiếp công dân 42/2013 Art 28(1)).
    # From Fri 20 Nov 2026: 23, (24 holiday), 25, 26, 27, 30 Nov, 1, 2, 3, 4, 7 Dec → Mon 7 Dec.
    case = await new_case(client, desk, received_on="2026-11-20")
    assert case["due"] == "2026-12-07" and case["due_rule"] == "complaint.processing"
    # Acceptance of a first complaint: 10 days (Luật Khiếu nại 02/2011 Art 27), Civil Code Art 147:
    # from Mon 23 Nov → Thu 3 Dec.
    c = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    assert c["due"] == "2026-12-03" and c["stage"] == "acceptance"
    # Resolution of a first complaint: 30 days from acceptance (Luật Khiếu nại Art 28(1)):
    # from Wed 25 Nov → Fri 25 Dec (a working day in Vietnam).
    c = await act(client, ward, case["id"], "accept", on="2026-11-25")
    assert c["due"] == "2026-12-25" and c["stage"] == "resolution"


async def test_a_complaint_is_appealed_to_round_two_at_the_superior(client, actors):
    desk, ward, city = actors["desk"], actors["ward"], actors["city"]
    case = await new_case(client, desk, received_on="2026-10-01")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-10-02")
    await act(client, ward, cid, "accept", on="2026-10-05")
    await act(client, ward, cid, "start_verification", on="2026-10-06")
    await act(client, ward, cid, "decide", outcome="rejected", summary="Giữ nguyên quyết định", on="2026-11-10")

    out = await act(client, ward, cid, "appeal", on="2026-11-27", reason="Không đồng ý với quyết định lần đầu")
    assert out["status"] == "appealed"
    r2 = out["opened_case"]
    assert r2["complaint_round"] == 2 and r2["parent_case_id"] == cid
    assert r2["receiving_org"]["code"] == "UBND-01"  # ward People's Committee → city People's Committee
    assert r2["status"] == "received" and r2["stage"] == "acceptance"
    # Acceptance of a second complaint: 10 days (Luật Khiếu nại Art 36(1)): Fri 27 Nov → Mon 7 Dec.
    assert r2["due"] == "2026-12-07"
    assert r2["tracking"]["pin"] and r2["tracking"]["code"] != case["code"]

    # The city accepts it as its own: resolution of a second complaint, 45 days (Art 37):
    # Fri 27 Nov + 45 → Mon 11 Jan 2027.
    c = await act(client, city, r2["id"], "accept", on="2026-11-27")
    assert c["due"] == "2027-01-11" and c["due_rule"] == "complaint.r2.resolution"
    # a round-2 complaint cannot be appealed again
    got = await client.get(f"/api/v1/cases/{r2['id']}", headers=city)
    resp = await client.post(
        f"/api/v1/cases/{r2['id']}/transitions",
        json={"action": "appeal"},
        headers={**city, "If-Match": got.headers["ETag"]},
    )
    assert_problem(resp, 409)
    assert "round 2" in resp.json()["detail"]
    assert "case.appeal" in await history_actions(client, ward, cid)
    assert (await history_actions(client, city, r2["id"]))[0] == "case.create_appeal"


async def test_a_late_appeal_is_refused_and_says_why(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-08-03")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-08-04")
    await act(client, ward, cid, "accept", on="2026-08-05")
    await act(client, ward, cid, "start_verification", on="2026-08-06")
    await act(client, ward, cid, "decide", outcome="rejected", summary="Giữ nguyên", on="2026-10-01")
    # Luật Khiếu nại Art 33(1): 30 days from the first decision: Thu 1 Oct → Sat 31 Oct → Mon 2 Nov.
    body = await act(client, ward, cid, "appeal", on="2026-11-27", expect=409)
    assert "2026-11-02" in body["detail"] and "Art 33" in body["detail"]
    # 45 days in a remote area (Art 33(1)): → Mon 16 Nov, still closed on 27 Nov.
    body = await act(client, ward, cid, "appeal", on="2026-11-27", remote_area=True, expect=409)
    assert "2026-11-16" in body["detail"]


async def test_appeal_when_the_first_resolver_missed_the_deadline(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-09-01")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-09-02")
    c = await act(client, ward, cid, "accept", on="2026-10-01")
    # Art 28: 30 days from Thu 1 Oct → Sat 31 Oct → Mon 2 Nov; no decision by then.
    assert c["due"] == "2026-11-02"
    before = await act(client, ward, cid, "appeal", on="2026-11-02", expect=409)
    assert "has not passed" in before["detail"]
    out = await act(client, ward, cid, "appeal", on="2026-11-27")
    assert out["status"] == "appealed" and out["opened_case"]["complaint_round"] == 2


async def test_a_denunciation_is_extended_twice_and_not_a_third_time(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, kind="denunciation", received_on="2026-08-20", title="Tố cáo cán bộ địa chính")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-08-21")
    c = await act(client, ward, cid, "accept", on="2026-09-01")
    # Luật Tố cáo 25/2018 Art 30(1): 30 days from acceptance: Tue 1 Sep → Thu 1 Oct.
    assert c["due"] == "2026-10-01"
    await act(client, ward, cid, "start_verification", on="2026-09-02")
    # Art 30(1): particularly complex → extended twice, 30 days each.
    c = await act(
        client, ward, cid, "extend", complexity="particularly_complex", reason="Nhiều nội dung", on="2026-09-25"
    )
    assert c["due"] == "2026-11-02" and c["extensions_used"] == 1  # Thu 1 Oct + 30 = Sat 31 Oct → Mon 2 Nov
    c = await act(
        client, ward, cid, "extend", complexity="particularly_complex", reason="Cần giám định", on="2026-10-28"
    )
    # The periods add up from acceptance, rolled once at the end (decision 0032): the unrolled end
    # Sat 31 Oct + 30 = Mon 30 Nov (not Mon 2 Nov + 30 = Wed 2 Dec).
    assert c["due"] == "2026-11-30" and c["extensions_used"] == 2
    body = await act(
        client, ward, cid, "extend", complexity="particularly_complex", reason="Thêm", on="2026-11-27", expect=409
    )
    assert "at most 2" in body["detail"]
    steps = await history_actions(client, ward, cid)
    assert steps.count("case.extend") == 2


async def test_a_complex_denunciation_is_extended_only_once(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, kind="denunciation", received_on="2026-10-01")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-10-01")
    await act(client, ward, cid, "accept", on="2026-10-02")
    await act(client, ward, cid, "extend", complexity="complex", reason="Phức tạp", on="2026-10-20")
    body = await act(client, ward, cid, "extend", complexity="complex", reason="Phức tạp", on="2026-11-20", expect=409)
    assert "at most 1" in body["detail"]


async def test_a_complaint_extension_moves_to_the_complex_limit(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-10-01")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-10-02")
    await act(client, ward, cid, "accept", on="2026-10-05")
    # Luật Khiếu nại Art 28(1): complex cases up to 45 days from acceptance: Mon 5 Oct + 45 → Thu 19 Nov.
    c = await act(client, ward, cid, "extend", complexity="complex", reason="Phức tạp", on="2026-10-30")
    assert c["due"] == "2026-11-19"
    await act(client, ward, cid, "extend", complexity="complex", reason="again", on="2026-11-02", expect=409)


async def test_suspension_moves_the_due_date_by_the_suspended_days(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-09-28")
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-09-29")
    c = await act(client, ward, cid, "accept", on="2026-10-01")
    assert c["due"] == "2026-11-02"  # Art 28: Thu 1 Oct + 30 = Sat 31 Oct → Mon 2 Nov
    await act(client, ward, cid, "start_verification", on="2026-10-02")
    c = await act(client, ward, cid, "suspend", reason="Chờ kết quả giám định", on="2026-10-10")
    assert c["status"] == "suspended" and c["suspended_on"] == "2026-10-10"
    assert c["overdue"] is False  # the clock is stopped
    # Suspended time is not counted (Luật Khiếu nại Art 11a, Law 136/2025): 10 days suspended,
    # added to the unrolled end Sat 31 Oct → Tue 10 Nov (decision 0032; not Mon 2 Nov + 10).
    c = await act(client, ward, cid, "resume", on="2026-10-20")
    assert c["status"] == "verifying" and c["due"] == "2026-11-10" and c["suspended_on"] is None
    steps = await history_actions(client, ward, cid)
    assert steps[-2:] == ["case.suspend", "case.resume"]


async def test_overdue_and_days_overdue_by_date(client, actors):
    desk = actors["desk"]
    # received Mon 2 Nov: 10 WD → 3,4,5,6,9,10,11,12,13,16 Nov → due Mon 16 Nov; on Fri 27 Nov: 11 days late
    case = await new_case(client, desk, received_on="2026-11-02")
    got = (await client.get(f"/api/v1/cases/{case['id']}", headers=desk)).json()
    assert got["due"] == "2026-11-16" and got["overdue"] is True and got["days_overdue"] == 11


async def test_return_sends_the_case_back_to_the_sender(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-11-20")
    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    c = await act(client, ward, case["id"], "return", reason="Không thuộc thẩm quyền", on="2026-11-25")
    assert c["status"] == "received" and c["assigned_org"] is None and c["stage"] == "processing"
    assert c["due"] == "2026-12-07"  # processing counted from receipt again (Luật TCD Art 28(1))
    # the ward no longer holds it: it may not act (but still sees it: the place is in its ward)
    body = await act(client, ward, case["id"], "accept", expect=403)
    assert "holding" in body["detail"]


async def test_reject_requires_a_ground_of_the_law(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    case = await new_case(client, desk, received_on="2026-11-20")
    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    body = await act(client, ward, case["id"], "reject", expect=422)
    assert body["errors"][0]["field"] == "body.ground"
    body = await act(client, ward, case["id"], "reject", ground="tc29_form", expect=422)  # a denunciation ground
    assert "kn11_6_time_barred" in body["detail"]
    c = await act(client, ward, case["id"], "reject", ground="kn11_6_time_barred", reason="Quá thời hiệu")
    assert c["status"] == "rejected" and c["due"] is None


async def test_illegal_move_is_409_listing_what_is_allowed(client, actors):
    desk = actors["desk"]
    case = await new_case(client, desk)
    body = await act(client, desk, case["id"], "close", expect=409)
    assert body["status_now"] == "received"
    assert {"forward", "accept", "guide", "archive", "withdraw", "reclassify"} <= set(body["allowed_actions"])
    assert "close" not in body["allowed_actions"]
    body = await act(client, desk, case["id"], "start_verification", expect=409)  # not at reception, not for desks
    # an action of another kind: petitions have no 'reject'
    pet = await new_case(client, desk, kind="petition")
    body = await act(client, desk, pet["id"], "reject", ground="kn11_6_time_barred", expect=409)
    assert "does not apply to a petition" in body["detail"]
    body = await act(client, desk, case["id"], "fly", expect=422)
    assert body["errors"][0]["field"] == "body.action"


async def test_role_that_may_not_act_is_403(client, actors, make_user):
    desk, ward_desk = actors["desk"], actors["ward_desk"]
    case = await new_case(client, desk)
    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    # the ward's reception desk may accept, but 'reject' is a handler's decision
    body = await act(client, ward_desk, case["id"], "reject", ground="kn11_5_unsigned", expect=403)
    assert "handler" in body["detail"]
    # a supervisor can transition nothing, not even a legal move
    for action in ("accept", "close"):
        body = await act(client, actors["supervisor"], case["id"], action, expect=403)
    # an admin neither
    _, admin = await make_user("admin", "UBND-01")
    await act(client, admin, case["id"], "accept", expect=403)


async def test_if_match_missing_is_428_and_stale_is_412(client, actors):
    desk = actors["desk"]
    case = await new_case(client, desk)
    url = f"/api/v1/cases/{case['id']}/transitions"
    body = {"action": "forward", "to_org": "UBND-00070"}
    assert_problem(await client.post(url, json=body, headers=desk), 428)
    assert_problem(await client.post(url, json=body, headers={**desk, "If-Match": '"7"'}), 412)
    ok = await client.post(url, json=body, headers={**desk, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"' and ok.json()["version"] == 2
    # the first write won; a second writer holding version 1 is refused and nothing changes
    stale = await client.post(url, json={"action": "guide", "reason": "x"}, headers={**desk, "If-Match": '"1"'})
    assert_problem(stale, 412)
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=desk)).json()["status"] == "forwarded"


async def test_on_date_in_the_future_or_before_the_last_event_is_422(client, actors):
    desk = actors["desk"]
    case = await new_case(client, desk, received_on="2026-11-20")
    body = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-28", expect=422)
    assert body["errors"][0]["field"] == "body.on"
    body = await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-19", expect=422)
    assert "last event" in body["detail"]


async def test_a_failed_transition_changes_nothing_and_writes_no_event(client, actors):
    desk = actors["desk"]
    case = await new_case(client, desk)
    before = await history_actions(client, desk, case["id"])
    await act(client, desk, case["id"], "forward", to_org="NO-SUCH-ORG", expect=422)
    after = (await client.get(f"/api/v1/cases/{case['id']}", headers=desk)).json()
    assert after["status"] == "received" and after["version"] == 1
    assert await history_actions(client, desk, case["id"]) == before


async def test_handler_of_another_ward_cannot_see_or_touch_the_case(client, actors):
    desk, other = actors["desk"], actors["other_ward"]
    case = await new_case(client, desk)
    cid = case["id"]
    await act(client, desk, cid, "forward", to_org="UBND-00070", on="2026-11-23")
    for path in (f"/api/v1/cases/{cid}", f"/api/v1/cases/{cid}/history", f"/api/v1/cases/{cid}/actions"):
        assert_problem(await client.get(path, headers=other), 404)
    resp = await client.post(
        f"/api/v1/cases/{cid}/transitions", json={"action": "accept"}, headers={**other, "If-Match": '"2"'}
    )
    assert_problem(resp, 404)
    resp = await client.patch(f"/api/v1/cases/{cid}", json={"title": "x"}, headers={**other, "If-Match": '"2"'})
    assert_problem(resp, 404)
    listed = (await client.get("/api/v1/cases", headers=other)).json()["items"]
    assert cid not in [c["id"] for c in listed]
    # the same 404 as a case that does not exist
    assert (await client.get("/api/v1/cases/999999", headers=other)).json()["detail"].startswith("No case")


async def test_city_supervisor_sees_every_ward_but_no_denouncer(client, actors, make_user):
    desk, sup = actors["desk"], actors["supervisor"]
    _, desk_bd = await make_user("reception", "MTTQ-00004")
    den = await new_case(client, desk, kind="denunciation", title="Tố cáo sai phạm đất đai")
    other = await new_case(client, desk_bd, kind="complaint", location_unit_code="00004")
    listed = {c["id"]: c for c in (await client.get("/api/v1/cases", headers=sup)).json()["items"]}
    assert den["id"] in listed and other["id"] in listed
    assert "petitioners" not in listed[den["id"]]
    got = (await client.get(f"/api/v1/cases/{den['id']}", headers=sup)).json()
    assert got["identity_protected"] is True and got["identity_redacted"] is True
    assert got["petitioners"] is None and got["location_address"] is None
    assert "Nguyễn Văn An" not in (await client.get(f"/api/v1/cases/{den['id']}", headers=sup)).text
    # the receiving desk (holder) sees the identity, and that reading is itself audited
    mine = (await client.get(f"/api/v1/cases/{den['id']}", headers=desk)).json()
    assert mine["petitioners"][0]["full_name"] == "Nguyễn Văn An" and mine["identity_redacted"] is False
    steps = await history_actions(client, desk, den["id"])
    assert "case.identity_read" in steps
    # a complaint's petitioners are not protected in this way
    assert (await client.get(f"/api/v1/cases/{other['id']}", headers=sup)).json()["petitioners"][0]["full_name"]
    # the supervisor reads the trail of the ward's case, and it names nobody
    audit = await client.get(f"/api/v1/audit?case_id={den['id']}", headers=sup)
    assert audit.status_code == 200 and audit.json()["items"]
    assert "Nguyễn Văn An" not in audit.text and "001085012345" not in audit.text


async def test_forwarded_denunciation_identity_follows_the_holder(client, actors):
    desk, ward, other = actors["desk"], actors["ward"], actors["city"]
    den = await new_case(client, desk, kind="denunciation")
    await act(client, desk, den["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    assert (await client.get(f"/api/v1/cases/{den['id']}", headers=ward)).json()["petitioners"]
    # the city People's Committee sees the case (its jurisdiction) but does not hold it
    got = (await client.get(f"/api/v1/cases/{den['id']}", headers=other)).json()
    assert got["petitioners"] is None and got["identity_redacted"] is True


async def test_actions_endpoint_reads_the_lifecycle_table(client, actors):
    desk, ward, sup = actors["desk"], actors["ward"], actors["supervisor"]
    case = await new_case(client, desk, kind="complaint")
    got = (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=desk)).json()
    names = [a["action"] for a in got["actions"]]
    # The Fatherland Front desk receives and forwards; it never accepts (decision 0031)
    assert names[:3] == ["reclassify", "forward", "guide"] and "accept" not in names and "reject" not in names
    ward_case = await new_case(client, actors["ward_desk"], kind="complaint")
    got_w = (await client.get(f"/api/v1/cases/{ward_case['id']}/actions", headers=actors["ward_desk"])).json()
    names = [a["action"] for a in got_w["actions"]]
    assert names[:3] == ["reclassify", "forward", "accept"] and "reject" not in names  # reject: handlers only
    forward = next(a for a in got["actions"] if a["action"] == "forward")
    assert forward["required"] == ["to_org"]
    assert (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=sup)).json()["actions"] == []
    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    got = (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=ward)).json()
    reject = next(a for a in got["actions"] if a["action"] == "reject")
    assert "kn11_6_time_barred" in [g["code"] for g in reject["grounds"]]
    # the desk that forwarded it holds it no more
    assert (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=desk)).json()["actions"] == []


async def test_withdraw_and_terminate_and_guide(client, actors):
    desk, ward = actors["desk"], actors["ward"]
    a = await new_case(client, desk)
    c = await act(client, desk, a["id"], "withdraw", reason="Công dân rút đơn")
    assert c["status"] == "withdrawn" and c["stage"] is None
    b = await new_case(client, desk, kind="denunciation")
    await act(client, desk, b["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    await act(client, ward, b["id"], "accept", on="2026-11-24")
    c = await act(client, ward, b["id"], "terminate", reason="Người bị tố cáo đã chết", on="2026-11-26")
    assert c["status"] == "terminated"
    g = await new_case(client, desk, kind="petition")
    c = await act(client, desk, g["id"], "guide", reason="Hướng dẫn đến Tòa án", guided_to="TAND")
    assert c["status"] == "guided"


async def test_idempotency_key_replays_the_first_response(client, actors):
    desk = actors["desk"]
    key = {"Idempotency-Key": "intake-2026-0001"}
    body = case_body()
    first = await client.post("/api/v1/cases", json=body, headers={**desk, **key})
    again = await client.post("/api/v1/cases", json=body, headers={**desk, **key})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["tracking"] == first.json()["tracking"]
    assert again.headers.get("Idempotency-Replayed") == "true"
    other = await client.post("/api/v1/cases", json={**body, "title": "Khác"}, headers={**desk, **key})
    assert_problem(other, 422)
    listed = (await client.get("/api/v1/cases?q=thu hoi dat", headers=desk)).json()["items"]
    assert len([c for c in listed if c["id"] == first.json()["id"]]) == 1
    # transitions too: the repeat does not apply the action twice
    cid = first.json()["id"]
    tkey = {**desk, "Idempotency-Key": "fwd-1", "If-Match": '"1"'}
    t1 = await client.post(
        f"/api/v1/cases/{cid}/transitions", json={"action": "forward", "to_org": "UBND-00070"}, headers=tkey
    )
    t2 = await client.post(
        f"/api/v1/cases/{cid}/transitions", json={"action": "forward", "to_org": "UBND-00070"}, headers=tkey
    )
    assert t1.status_code == t2.status_code == 200 and t2.json()["version"] == t1.json()["version"] == 2
    assert (await history_actions(client, desk, cid)).count("case.forward") == 1
