"""The audit query for supervisors and admins (issue 8 item 3): the trail of the jurisdiction —
cases, and the dialogues, commitments, recommendations, reception sessions and voter meetings of
it even when their events name no case — filtered by case, actor, organisation, action, entity and
days; bad filters are a 422 naming the field; no denouncer's identity. On both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services import audit as audit_service
from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

AUDIT = "/api/v1/audit"
SECRET = "Nguyễn Văn An"  # casekit's petitioner
SECRET_ID = "001085012345"


async def trail(client, headers, **params) -> list[dict]:
    out, cursor = [], None
    while True:
        resp = await client.get(
            AUDIT, params={"limit": 200, **params, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert resp.status_code == 200, resp.text
        out += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return out


def direct_dialogue(unit: str) -> dict:
    return {
        "kind": "direct_dialogue",
        "chair": "Chủ tịch UBND phường",
        "scheduled_at": "2026-11-10T08:30:00+07:00",
        "notice_on": "2026-11-02",
        "location": "Nhà văn hóa",
        "unit_code": unit,
        "topic": "Tiếng ồn ban đêm",
    }


async def ward_records(client, make_user, unit: str) -> dict:
    """A ward's supervision records, none of them about a case: a held direct dialogue with a
    commitment, a recommendation to the ward's People's Committee, a reception session, a voter meeting."""
    handler_user, handler = await make_user("handler", f"UBND-{unit}")
    _, desk = await make_user("reception", f"UBND-{unit}")
    _, council_desk = await make_user("reception", f"HDND-{unit}")
    sup_user, sup = await make_user("supervisor", f"MTTQ-{unit}")
    resp = await client.post("/api/v1/dialogues", json=direct_dialogue(unit), headers=handler)
    assert resp.status_code == 201, resp.text
    d = resp.json()
    resp = await client.post(
        f"/api/v1/dialogues/{d['id']}/transitions",
        headers={**handler, "If-Match": '"1"'},
        json={"action": "hold", "on": "2026-11-10", "minutes": "Thống nhất giảm tiếng ồn."},
    )
    assert resp.status_code == 200, resp.text
    c = await client.post(
        f"/api/v1/dialogues/{d['id']}/commitments",
        headers=handler,
        json={"description": "Kiểm tra công trường", "responsible_org": f"UBND-{unit}", "due_on": "2026-12-20"},
    )
    assert c.status_code == 201, c.text
    rec = await client.post(
        "/api/v1/supervision/recommendations",
        headers=sup,
        json={"target_org": f"UBND-{unit}", "content": "Đề nghị rà soát tiếp công dân", "response_due": "2026-12-31"},
    )
    assert rec.status_code == 201, rec.text
    session = await client.post(
        "/api/v1/reception-sessions",
        headers=desk,
        json={
            "host_name": "Nguyễn Văn Bình",
            "host_title": "Chủ tịch UBND phường",
            "led_by_head": True,
            "held_on": "2026-11-05",
            "visitors": 6,
            "delegations": 1,
            "case_ids": [],
        },
    )
    assert session.status_code == 201, session.text
    meeting = await client.post(
        "/api/v1/voter-meetings",
        headers=council_desk,
        json={"held_on": "2026-11-02", "unit_code": unit, "deputies": ["Lê Thị Mai"], "voters": 150, "case_ids": []},
    )
    assert meeting.status_code == 201, meeting.text
    return {
        "sup": sup,
        "sup_user": sup_user,
        "handler": handler,
        "handler_user": handler_user,
        "records": {
            ("dialogue", str(d["id"])),
            ("commitment", str(c.json()["id"])),
            ("recommendation", str(rec.json()["id"])),
            ("reception_session", str(session.json()["id"])),
            ("voter_meeting", str(meeting.json()["id"])),
        },
    }


@pytest.fixture
async def wards(client, make_user):
    return {"hk": await ward_records(client, make_user, "00070"), "cn": await ward_records(client, make_user, "00073")}


async def test_a_ward_supervisor_sees_the_supervision_records_of_their_ward_only(client, wards, make_user):
    hk, cn = wards["hk"], wards["cn"]
    seen = await trail(client, hk["sup"])
    about = {(e["entity"], e["entity_id"]) for e in seen}
    assert hk["records"] <= about
    assert not cn["records"] & about
    assert {e["action"] for e in seen} >= {
        "dialogue.create",
        "dialogue.hold",
        "commitment.create",
        "recommendation.create",
        "reception_session.create",
        "voter_meeting.create",
    }
    assert all(e["case_id"] is None for e in seen if (e["entity"], e["entity_id"]) in hk["records"])
    # the other ward's supervisor: the mirror image
    other = {(e["entity"], e["entity_id"]) for e in await trail(client, cn["sup"])}
    assert cn["records"] <= other and not hk["records"] & other
    # the city's supervisors and a ward's admin see their share too
    city = {(e["entity"], e["entity_id"]) for e in await trail(client, (await make_user("supervisor", "HDND-01"))[1])}
    assert hk["records"] | cn["records"] <= city
    ward_admin = {
        (e["entity"], e["entity_id"]) for e in await trail(client, (await make_user("admin", "UBND-00070"))[1])
    }
    assert hk["records"] <= ward_admin and not cn["records"] & ward_admin
    # a filter cannot reach past the scope
    assert await trail(client, hk["sup"], entity="dialogue", org="UBND-00073") == []


async def test_filters_by_entity_action_org_actor_case_and_day(client, wards, make_user, monkeypatch):
    hk, sup = wards["hk"], wards["hk"]["sup"]
    dialogues = await trail(client, sup, entity="dialogue")
    assert dialogues and {e["entity"] for e in dialogues} == {"dialogue"}
    assert [e["action"] for e in dialogues] == ["dialogue.create", "dialogue.hold"]
    assert [e["action"] for e in await trail(client, sup, action="dialogue.hold")] == ["dialogue.hold"]
    by_org = await trail(client, sup, org="HDND-00070")
    assert [(e["action"], e["org"]) for e in by_org] == [("voter_meeting.create", "HDND-00070")]
    by_actor = await trail(client, sup, actor=hk["handler_user"].username)
    assert {e["action"] for e in by_actor} == {"dialogue.create", "dialogue.hold", "commitment.create"}
    assert {e["actor"] for e in by_actor} == {hk["handler_user"].username}
    case = await new_case(client, hk["handler"], received_on="2026-11-20")
    assert [e["action"] for e in await trail(client, sup, case_id=case["id"])] == ["case.create"]
    assert [e["action"] for e in await trail(client, sup, case_id=case["id"], entity="dialogue")] == []

    # days are Hanoi days: an event at 01:30 on 1 Jan in Hanoi is 18:30 UTC on 31 Dec (a clock set
    # ahead, not back: an event's `at` is never before the chain head's, decision 0101)
    monkeypatch.setattr(audit_service, "utcnow", lambda: datetime(2098, 12, 31, 18, 30, tzinfo=UTC))
    await act(client, hk["handler"], case["id"], "flag_urgent", urgent_reason="security", reason="Tụ tập đông")
    monkeypatch.undo()
    flagged = {"case_id": case["id"], "action": "case.flag_urgent"}
    assert [e["at"] for e in await trail(client, sup, **flagged, **{"from": "2099-01-01", "to": "2099-01-01"})] == [
        "2098-12-31T18:30:00Z"
    ]
    assert await trail(client, sup, **flagged, to="2098-12-31") == []
    assert await trail(client, sup, **flagged, **{"from": "2099-01-02"}) == []
    assert len(await trail(client, sup, **flagged, **{"from": "2098-12-31"})) == 1


async def test_bad_filters_are_422_naming_the_field_and_only_auditors_read(client, wards, make_user):
    sup = wards["hk"]["sup"]
    for params, field in (
        ({"entity": "petitioner"}, "query.entity"),
        ({"org": "NO-SUCH-ORG"}, "query.org"),
        ({"action": "DROP TABLE"}, "query.action"),
        ({"action": "x" * 65}, "query.action"),
        ({"case_id": "abc"}, "query.case_id"),
        ({"from": "2026-13-01"}, "query.from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "query.to"),
        ({"org": ""}, "query.org"),
        ({"actor": "a" * 65}, "query.actor"),
    ):
        assert_problem(await client.get(AUDIT, params=params, headers=sup), 422, field)
    for role, org in (("reception", "UBND-00070"), ("handler", "UBND-00070"), ("reception", "MTTQ-01")):
        assert_problem(await client.get(AUDIT, headers=(await make_user(role, org))[1]), 403)
    assert_problem(await client.get(AUDIT), 401)


async def test_the_trail_carries_no_denouncers_identity(client, make_user):
    _, desk = await make_user("reception", "UBND-00070")
    case = await new_case(client, desk, kind="denunciation", received_on="2026-11-20")
    shown = await client.get(f"/api/v1/cases/{case['id']}", headers=desk)  # the holder reads the identity
    assert shown.status_code == 200 and SECRET in shown.text
    _, sup = await make_user("supervisor", "MTTQ-00070")
    events = await trail(client, sup, case_id=case["id"])
    read = [e for e in events if e["action"] == "case.identity_read"]
    assert read and all(e["changes"] is None and e["reason"] is None for e in read)
    text = str(events) + str(await trail(client, (await make_user("admin", "UBND-01"))[1]))
    assert SECRET not in text and SECRET_ID not in text and "0912345678" not in text
