"""Voter meetings (tiếp xúc cử tri, Quy chế 2387 Art 9.2): the petitions raised there are cases
with channel voter_meeting, tracked to their answers.

Business date pinned to Fri 2026-11-27 (tests/api/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

VOTER = "Phạm Thị Cử Tri"


@pytest.fixture
async def actors(make_user):
    return {
        "council": (await make_user("supervisor", "HDND-00070"))[1],  # the ward People's Council's staff
        "front_desk": (await make_user("reception", "MTTQ-00070"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "other_council": (await make_user("supervisor", "HDND-00004"))[1],
        "city_supervisor": (await make_user("supervisor", "HDND-01"))[1],
    }


def meeting_body(**over) -> dict:
    body = {
        "held_on": "2026-11-02",
        "unit_code": "00070",
        "deputies": ["Lê Thị Mai", "Phạm Văn Quang"],
        "voters": 150,
        "location": "Nhà văn hóa tổ dân phố 3",
        "case_ids": [],
    }
    body.update(over)
    return body


async def voter_petition(client, actors, title: str) -> dict:
    return await new_case(
        client,
        actors["front_desk"],
        kind="petition",
        channel="voter_meeting",
        received_on="2026-11-03",
        title=title,
        petitioners=[{"full_name": VOTER, "phone": "0987654321"}],
    )


async def test_a_voter_meeting_whose_petitions_are_tracked_to_their_answers(client, actors):
    ward, front = actors["ward"], actors["front_desk"]
    answered = await voter_petition(client, actors, "Kiến nghị sửa đường ngõ 12")
    pending = await voter_petition(client, actors, "Kiến nghị lắp đèn chiếu sáng")
    late = await voter_petition(client, actors, "Kiến nghị nạo vét mương thoát nước")
    await act(client, front, answered["id"], "forward", to_org="UBND-00070", on="2026-11-03")
    await act(client, ward, answered["id"], "accept", on="2026-11-04")
    await act(
        client, ward, answered["id"], "decide", outcome="answered", summary="Đã đưa vào kế hoạch 2027", on="2026-11-20"
    )
    await act(client, front, pending["id"], "forward", to_org="UBND-00070", on="2026-11-03")
    await act(client, ward, pending["id"], "accept", on="2026-11-04")  # 30 days to answer: not yet late
    # `late` was never forwarded: its processing (10 working days from 3 Nov) ended on 17 Nov

    resp = await client.post(
        "/api/v1/voter-meetings", headers=actors["council"], json=meeting_body(case_ids=[answered["id"], pending["id"]])
    )
    assert resp.status_code == 201, resp.text
    m = resp.json()
    assert m["organised_by"] == "HDND-00070" and m["deputies"] == ["Lê Thị Mai", "Phạm Văn Quang"]
    assert m["counts"] == {"total": 2, "answered": 1, "open": 1, "overdue": 0}

    # the council links the third petition and writes its summary (If-Match, as for cases)
    patch = {
        "case_ids": [answered["id"], pending["id"], late["id"]],
        "summary": "Một kiến nghị đã được trả lời; hai kiến nghị đang giải quyết, một đã quá hạn.",
    }
    assert_problem(await client.patch(f"/api/v1/voter-meetings/{m['id']}", json=patch, headers=actors["council"]), 428)
    resp = await client.patch(
        f"/api/v1/voter-meetings/{m['id']}", json=patch, headers={**actors["council"], "If-Match": resp.headers["ETag"]}
    )
    assert resp.status_code == 200, resp.text

    got = await client.get(f"/api/v1/voter-meetings/{m['id']}", headers=actors["city_supervisor"])
    assert got.status_code == 200 and got.headers["ETag"] == '"2"'
    body = got.json()
    by_id = {c["id"]: c for c in body["cases"]}
    assert by_id[answered["id"]]["answered"] is True and by_id[answered["id"]]["outcome"] == "answered"
    assert by_id[pending["id"]] == {
        "id": pending["id"],
        "code": pending["code"],
        "kind": "petition",
        "status": "accepted",
        "overdue": False,
        "answered": False,
        "outcome": None,
    }
    assert by_id[late["id"]]["status"] == "received" and by_id[late["id"]]["overdue"] is True
    assert body["counts"] == {"total": 3, "answered": 1, "open": 2, "overdue": 1}
    assert body["summary"].startswith("Một kiến nghị")
    # the same flags as the case list's (one overdue definition)
    for c in body["cases"]:
        case = (await client.get(f"/api/v1/cases/{c['id']}", headers=actors["city_supervisor"])).json()
        assert (case["overdue"], case["status"]) == (c["overdue"], c["status"])
    assert VOTER not in got.text and "0987654321" not in got.text and "petitioners" not in got.text

    listed = (
        await client.get("/api/v1/voter-meetings", params={"case_id": late["id"]}, headers=actors["council"])
    ).json()["items"]
    assert [x["id"] for x in listed] == [m["id"]] and listed[0]["counts"]["overdue"] == 1


async def test_scoping_roles_and_bad_input(client, actors):
    council = actors["council"]
    m = (await client.post("/api/v1/voter-meetings", json=meeting_body(), headers=council)).json()
    # the Fatherland Front's desk may record the meetings it organises
    front = await client.post("/api/v1/voter-meetings", json=meeting_body(), headers=actors["front_desk"])
    assert front.status_code == 201 and front.json()["organised_by"] == "MTTQ-00070"
    # another ward: 404 and not listed
    assert_problem(await client.get(f"/api/v1/voter-meetings/{m['id']}", headers=actors["other_council"]), 404)
    assert_problem(
        await client.patch(
            f"/api/v1/voter-meetings/{m['id']}",
            json={"voters": 1},
            headers={**actors["other_council"], "If-Match": '"1"'},
        ),
        404,
    )
    assert (await client.get("/api/v1/voter-meetings", headers=actors["other_council"])).json()["items"] == []
    # roles: a handler does not record voter meetings; only the organiser changes one
    assert_problem(await client.post("/api/v1/voter-meetings", json=meeting_body(), headers=actors["ward"]), 403)
    assert_problem(
        await client.patch(
            f"/api/v1/voter-meetings/{m['id']}",
            json={"voters": 1},
            headers={**actors["city_supervisor"], "If-Match": '"1"'},
        ),
        403,
    )
    assert_problem(
        await client.patch(
            f"/api/v1/voter-meetings/{m['id']}", json={"voters": 1}, headers={**council, "If-Match": '"5"'}
        ),
        412,
    )
    # a People's Committee's desk is not an organiser: the field says so
    assert_problem(
        await client.post("/api/v1/voter-meetings", json=meeting_body(), headers=actors["ward_desk"]),
        422,
        "body.organised_by",
    )
    in_person = await new_case(client, actors["front_desk"], kind="petition", received_on="2026-11-03")
    early = await new_case(
        client, actors["front_desk"], kind="petition", channel="voter_meeting", received_on="2026-10-20"
    )
    for body, field in (
        (meeting_body(case_ids=[in_person["id"]]), "body.case_ids.0"),
        (meeting_body(case_ids=[early["id"]]), "body.case_ids.0"),
        (meeting_body(case_ids=[999999]), "body.case_ids.0"),
        (meeting_body(held_on="2026-12-01"), "body.held_on"),
        (meeting_body(unit_code="00004"), "body.unit_code"),
        (meeting_body(unit_code="99999"), "body.unit_code"),
        (meeting_body(voters=-3), "body.voters"),
        (meeting_body(deputies=["  "]), "body.deputies"),
    ):
        assert_problem(await client.post("/api/v1/voter-meetings", json=body, headers=council), 422, field)
    assert_problem(
        await client.get("/api/v1/voter-meetings", params={"organised_by": "NOPE"}, headers=council),
        422,
        "query.organised_by",
    )
