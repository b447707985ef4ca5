"""The law's secondary time limits on a case (`obligations`): started by events, fulfilled by
`forward`, `accept` or `notify`, overdue when missed, filterable, audited.
Business date pinned to Fri 2026-11-27; every due date counted by hand (Tue 24 Nov 2026 is a holiday)."""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem


@pytest.fixture
async def actors(make_user):
    return {
        "mttq": (await make_user("reception", "MTTQ-01"))[1],
        "btcd": (await make_user("reception", "BTCD-01"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "city": (await make_user("handler", "UBND-01"))[1],
    }


def obligation(case, key):
    found = [o for o in case["obligations"] if o["key"] == key]
    assert len(found) == 1, case["obligations"]
    return found[0]


async def detail(client, headers, case_id):
    resp = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def events(client, headers, case_id):
    return (await client.get(f"/api/v1/cases/{case_id}/history", headers=headers)).json()["items"]


async def listed_ids(client, headers, query):
    resp = await client.get(f"/api/v1/cases?{query}&limit=200", headers=headers)
    assert resp.status_code == 200, resp.text
    return {c["id"] for c in resp.json()["items"]}


async def notify(client, headers, case_id, key, **extra):
    got = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    return await client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": "notify", "obligation": key, **extra},
        headers={**headers, "If-Match": got.headers["ETag"]},
    )


async def test_forwarding_a_denunciation_outside_competence_art24_2(client, actors):
    mttq = actors["mttq"]
    # The Fatherland Front never resolves a denunciation: it must forward it within 5 working days
    # of receipt. From Fri 13 Nov: 16, 17, 18, 19, 20 → Fri 20 Nov; missed by today (27 Nov).
    case = await new_case(client, mttq, kind="denunciation", received_on="2026-11-13")
    o = obligation(case, "tc24_forward")
    assert (o["due"], o["done_on"], o["overdue"]) == ("2026-11-20", None, True)
    assert o["source"] == "Luật Tố cáo 25/2018 Art 24(2)" and o["org_code"] == "MTTQ-01" and o["label"]
    assert case["id"] in await listed_ids(client, mttq, "obligation_overdue=true")
    assert case["id"] not in await listed_ids(client, mttq, "obligation_overdue=false")
    created = (await events(client, mttq, case["id"]))[0]
    assert created["changes"]["obligations"] == {"started": [{"key": "tc24_forward", "due": "2026-11-20"}]}

    c = await act(client, mttq, case["id"], "forward", to_org="UBND-00070", on="2026-11-23", reason="Thẩm quyền")
    o = obligation(c, "tc24_forward")
    assert (o["done_on"], o["overdue"]) == ("2026-11-23", False)
    assert case["id"] not in await listed_ids(client, mttq, "obligation_overdue=true")
    assert case["id"] in await listed_ids(client, mttq, "obligation_overdue=false")
    fwd = [e for e in await events(client, mttq, case["id"]) if e["action"] == "case.forward"][0]
    assert fwd["changes"]["obligations"] == {"done": ["tc24_forward"]}
    # A ward People's Committee resolves denunciations: its own competence is sorted out within
    # the 7 working days of Art 24(1) (the processing stage), so no forwarding obligation.
    own = await new_case(client, actors["ward"], kind="denunciation", received_on="2026-11-13")
    assert own["obligations"] == []


async def test_notify_the_denouncer_of_acceptance_art29_3(client, actors):
    mttq, ward = actors["mttq"], actors["ward"]
    case = await new_case(client, mttq, kind="denunciation", received_on="2026-11-20")
    await act(client, mttq, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    c = await act(client, ward, case["id"], "accept", on="2026-11-25")
    # 5 working days from Wed 25 Nov: 26, 27, 30 Nov, 1, 2 Dec → Wed 2 Dec.
    o = obligation(c, "tc29_notify_acceptance")
    assert (o["started_on"], o["due"], o["done_on"], o["overdue"], o["org_code"]) == (
        "2026-11-25",
        "2026-12-02",
        None,
        False,
        "UBND-00070",
    )
    # the wrong key, a key not open on this case, or another organisation's obligation
    assert_problem(await notify(client, ward, case["id"], "tc34_send_suspension"), 422, "body.obligation")
    assert_problem(await notify(client, mttq, case["id"], "tc29_notify_acceptance"), 403)
    resp = await notify(
        client, ward, case["id"], "tc29_notify_acceptance", on="2026-11-27", reason="Đã gửi thông báo thụ lý"
    )
    assert resp.status_code == 200, resp.text
    c = resp.json()
    assert c["status"] == "accepted" and c["stage"] == "resolution"  # a notice changes nothing else
    o = obligation(c, "tc29_notify_acceptance")
    assert (o["done_on"], o["overdue"]) == ("2026-11-27", False)
    ev = [e for e in await events(client, ward, case["id"]) if e["action"] == "case.notify"][0]
    assert ev["changes"]["obligations"] == {"done": ["tc29_notify_acceptance"]} and ev["reason"]
    assert_problem(await notify(client, ward, case["id"], "tc29_notify_acceptance"), 422, "body.obligation")


async def test_send_suspension_and_termination_decisions_art34_4(client, actors):
    ward = actors["ward"]
    case = await new_case(client, ward, kind="denunciation", received_on="2026-11-16")
    await act(client, ward, case["id"], "accept", on="2026-11-17")
    c = await act(client, ward, case["id"], "suspend", reason="Chờ kết quả giám định", on="2026-11-26")
    # 5 working days from Thu 26 Nov: 27, 30 Nov, 1, 2, 3 Dec → Thu 3 Dec; it runs while suspended.
    assert obligation(c, "tc34_send_suspension")["due"] == "2026-12-03"
    c = await act(client, ward, case["id"], "terminate", reason="Người bị tố cáo đã chết", on="2026-11-27")
    # From Fri 27 Nov: 30 Nov, 1, 2, 3, 4 Dec → Fri 4 Dec.
    o = obligation(c, "tc34_send_termination")
    assert (o["due"], o["done_on"]) == ("2026-12-04", None) and c["status"] == "terminated"
    # the decision is sent after the case ended: `notify` is allowed on a terminated case
    resp = await notify(client, ward, case["id"], "tc34_send_termination")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "terminated" and obligation(resp.json(), "tc34_send_termination")["done_on"]
    # the acceptance notice was never recorded: still open, and overdue from Wed 25 Nov
    # (17 Nov + 5 WD → 24th is a holiday)
    o = obligation(resp.json(), "tc29_notify_acceptance")
    assert (o["due"], o["overdue"]) == ("2026-11-25", True)


async def test_everyone_withdrawing_an_accepted_denunciation_owes_the_termination_decision(client, actors):
    ward = actors["ward"]
    case = await new_case(client, ward, kind="denunciation", received_on="2026-11-16")
    await act(client, ward, case["id"], "accept", on="2026-11-25")
    c = await act(client, ward, case["id"], "withdraw", reason="Người tố cáo rút toàn bộ", on="2026-11-26")
    assert c["status"] == "withdrawn"
    # Art 34(3)(a): termination decision, sent within 5 WD (Art 34(4)); the acceptance notice no longer applies.
    assert obligation(c, "tc34_send_termination")["due"] == "2026-12-03"
    o = obligation(c, "tc29_notify_acceptance")
    assert (o["cancelled_on"], o["overdue"]) == ("2026-11-26", False)


async def test_reviewing_a_followup_denunciation_art37_2(client, actors):
    ward, city = actors["ward"], actors["city"]
    first = await new_case(client, ward, kind="denunciation", received_on="2026-10-01")
    await act(client, ward, first["id"], "accept", on="2026-10-02")
    await act(client, ward, first["id"], "start_verification", on="2026-10-05")
    await act(client, ward, first["id"], "decide", outcome="false", summary="Tố cáo sai", on="2026-10-20")
    # tố cáo tiếp to the superior: 20 days from Mon 2 Nov → Sun 22 Nov → Mon 23 Nov (Civil Code Art 148(5)).
    follow = await new_case(client, city, kind="denunciation", received_on="2026-11-02", parent_case_id=first["id"])
    o = obligation(follow, "tc37_review_followup")
    assert (o["due"], o["overdue"], o["org_code"]) == ("2026-11-23", True, "UBND-01")
    c = await act(
        client,
        city,
        follow["id"],
        "archive",
        ground="concluded_no_new_evidence",
        reason="Việc giải quyết trước đó đúng pháp luật",
        on="2026-11-27",
    )
    o = obligation(c, "tc37_review_followup")
    assert (o["done_on"], o["overdue"]) == ("2026-11-27", False)


async def test_the_reception_board_passes_the_result_back_tcd_art28_2(client, actors):
    btcd, ward = actors["btcd"], actors["ward"]
    case = await new_case(client, btcd, kind="complaint", received_on="2026-11-02")
    await act(client, btcd, case["id"], "forward", to_org="UBND-00070", on="2026-11-03")
    await act(client, ward, case["id"], "accept", on="2026-11-04")
    await act(client, ward, case["id"], "start_verification", on="2026-11-05")
    c = await act(client, ward, case["id"], "decide", outcome="rejected", summary="Khiếu nại sai", on="2026-11-20")
    # Owed by the board that forwarded it: 5 WD from Fri 20 Nov: 23, 25, 26, 27, 30 → Mon 30 Nov.
    o = obligation(c, "tcd28_notify_result")
    assert (o["due"], o["org_code"], o["overdue"]) == ("2026-11-30", "BTCD-01", False)
    assert_problem(await notify(client, ward, case["id"], "tcd28_notify_result"), 403)
    # the board is offered `notify` for what it owes, and nothing else; the ward is not offered it
    offered = (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=btcd)).json()["actions"]
    assert [(a["action"], a["obligations"]) for a in offered] == [("notify", ["tcd28_notify_result"])]
    offered = (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=ward)).json()["actions"]
    assert "notify" not in [a["action"] for a in offered] and "close" in [a["action"] for a in offered]
    # the board does not hold the case, yet records the notice it owes
    resp = await notify(client, btcd, case["id"], "tcd28_notify_result", reason="Đã thông báo kết quả cho công dân")
    assert resp.status_code == 200, resp.text
    assert obligation(resp.json(), "tcd28_notify_result")["done_on"] == "2026-11-27"
    # and nothing else: it still may not take the holder's actions
    got = await client.get(f"/api/v1/cases/{case['id']}", headers=btcd)
    resp = await client.post(
        f"/api/v1/cases/{case['id']}/transitions",
        json={"action": "close"},
        headers={**btcd, "If-Match": got.headers["ETag"]},
    )
    assert_problem(resp, 403)
