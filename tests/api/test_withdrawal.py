"""Withdrawal over HTTP (Luật Tố cáo Art 33, Luật Khiếu nại Art 10): by one of several
petitioners, in part, by everyone, and a denunciation resolved anyway (Art 33(3)).
Business date pinned to Fri 2026-11-27."""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

TWO = [
    {"full_name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678"},
    {"full_name": "Trần Thị Bình", "id_number": "001085054321", "phone": "0987654321"},
]


@pytest.fixture
async def ward(make_user):
    return (await make_user("handler", "UBND-00070"))[1]


async def accepted_denunciation(client, ward, petitioners=TWO):
    case = await new_case(client, ward, kind="denunciation", petitioners=petitioners, received_on="2026-11-20")
    await act(client, ward, case["id"], "accept", on="2026-11-23")
    return case


async def last_event(client, headers, case_id):
    items = (await client.get(f"/api/v1/cases/{case_id}/history", headers=headers)).json()["items"]
    return [e for e in items if e["action"] == "case.withdraw"][-1]


async def test_one_of_two_denouncers_withdraws_and_the_case_goes_on(client, ward):
    case = await accepted_denunciation(client, ward)
    ids = [p["id"] for p in case["petitioners"]]
    c = await act(
        client, ward, case["id"], "withdraw", petitioner_ids=[ids[1]], reason="Bà Bình rút tố cáo", on="2026-11-25"
    )
    assert c["status"] == "accepted" and c["stage"] == "resolution" and c["due"] is not None
    shown = {p["id"]: p["withdrawn_on"] for p in c["petitioners"]}
    assert shown == {ids[0]: None, ids[1]: "2026-11-25"}
    ev = await last_event(client, ward, case["id"])
    assert ev["changes"]["withdrawn_petitioner_ids"] == [ids[1]] and ev["changes"]["continues"] == "others_remain"
    assert ev["from_status"] == ev["to_status"] == "accepted"
    assert "Trần Thị Bình" not in str(ev)  # the trail names no denouncer
    # the other one withdraws later: now everyone has, and the case is withdrawn
    c = await act(client, ward, case["id"], "withdraw", reason="Ông An rút tố cáo", on="2026-11-26")
    assert c["status"] == "withdrawn" and c["stage"] is None and c["due"] is None
    assert all(p["withdrawn_on"] for p in c["petitioners"])


async def test_a_partial_withdrawal_leaves_the_rest_to_resolve(client, ward):
    case = await accepted_denunciation(client, ward)
    c = await act(
        client,
        ward,
        case["id"],
        "withdraw",
        partial="Nội dung thứ hai (sai phạm đất đai)",
        reason="Rút một phần nội dung",
    )
    assert c["status"] == "accepted" and c["stage"] == "resolution"
    assert all(p["withdrawn_on"] is None for p in c["petitioners"])
    ev = await last_event(client, ward, case["id"])
    assert ev["changes"]["partial"] == "Nội dung thứ hai (sai phạm đất đai)" and ev["changes"]["continues"] == "partial"
    assert ev["changes"]["partial_by_petitioner_ids"] == sorted(p["id"] for p in case["petitioners"])


async def test_art33_3_a_withdrawn_denunciation_is_still_resolved(client, ward):
    case = await accepted_denunciation(client, ward)
    c = await act(
        client,
        ward,
        case["id"],
        "withdraw",
        continue_resolution=True,
        reason="Hành vi bị tố cáo có dấu hiệu vi phạm pháp luật",
        on="2026-11-25",
    )
    assert c["status"] == "accepted" and c["stage"] == "resolution"
    assert all(p["withdrawn_on"] == "2026-11-25" for p in c["petitioners"])
    ev = await last_event(client, ward, case["id"])
    assert ev["changes"]["continue_resolution"] is True and ev["changes"]["continues"] == "art33_3"
    assert ev["reason"] == "Hành vi bị tố cáo có dấu hiệu vi phạm pháp luật"
    # it goes on to a conclusion like any other
    await act(client, ward, case["id"], "start_verification")
    c = await act(client, ward, case["id"], "decide", outcome="true", summary="Tố cáo đúng")
    assert c["status"] == "decided"


async def test_everyone_withdrawing_a_complaint_ends_it(client, ward):
    case = await new_case(client, ward, petitioners=TWO)
    c = await act(client, ward, case["id"], "withdraw", reason="Cả hai người rút đơn")
    assert c["status"] == "withdrawn" and c["stage"] is None
    assert [p["withdrawn_on"] for p in c["petitioners"]] == ["2026-11-27", "2026-11-27"]


async def test_bad_withdrawals_are_4xx_naming_the_field(client, ward, make_user):
    case = await accepted_denunciation(client, ward)
    ids = [p["id"] for p in case["petitioners"]]
    other = await new_case(client, ward, petitioners=TWO)
    got = await client.get(f"/api/v1/cases/{case['id']}", headers=ward)
    url, hdr = f"/api/v1/cases/{case['id']}/transitions", {**ward, "If-Match": got.headers["ETag"]}
    for body, field in (
        ({"petitioner_ids": [other["petitioners"][0]["id"]]}, "petitioner_ids"),  # someone else's petitioner
        ({"petitioner_ids": [ids[0], ids[0]]}, "petitioner_ids"),
        ({"petitioner_ids": []}, "petitioner_ids"),
        ({"partial": " "}, "partial"),
        ({"petitioner_ids": ["x"]}, "body.petitioner_ids"),
    ):
        resp = await client.post(url, json={"action": "withdraw", "reason": "r", **body}, headers=hdr)
        assert_problem(resp, 422, field)
    # continue_resolution is the denunciation law's (Art 33(3)), not the complaint law's
    c = await client.get(f"/api/v1/cases/{other['id']}", headers=ward)
    resp = await client.post(
        f"/api/v1/cases/{other['id']}/transitions",
        json={"action": "withdraw", "continue_resolution": True, "reason": "r"},
        headers={**ward, "If-Match": c.headers["ETag"]},
    )
    assert_problem(resp, 422, "continue_resolution")
    # once a denouncer has withdrawn, they cannot withdraw again
    await act(client, ward, case["id"], "withdraw", petitioner_ids=[ids[0]], reason="r")
    got = await client.get(f"/api/v1/cases/{case['id']}", headers=ward)
    resp = await client.post(
        url,
        json={"action": "withdraw", "petitioner_ids": [ids[0]], "reason": "r"},
        headers={**ward, "If-Match": got.headers["ETag"]},
    )
    assert_problem(resp, 422, "petitioner_ids")
