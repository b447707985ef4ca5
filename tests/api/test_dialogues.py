"""Dialogues (đối thoại) and their commitments through HTTP, and the rule that a complaint waits
for its dialogue before it is decided (Luật Khiếu nại Art 30, 39).

Business date pinned to Fri 2026-11-27 (tests/api/conftest.py).
"""

from __future__ import annotations

import re

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

NAME = "Nguyễn Văn An"  # the petitioner of casekit's cases: never shown by these records


@pytest.fixture
async def actors(make_user):
    return {
        "desk": (await make_user("reception", "MTTQ-01"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "city": (await make_user("handler", "UBND-01"))[1],
        "other_ward": (await make_user("handler", "UBND-00004"))[1],
        "other_desk": (await make_user("reception", "UBND-00004"))[1],
        "supervisor": (await make_user("supervisor", "HDND-01"))[1],
        "ward_supervisor": (await make_user("supervisor", "HDND-00070"))[1],
    }


async def verifying_complaint(client, actors, received_on="2026-10-01") -> dict:
    """A first complaint the Hoàn Kiếm ward People's Committee is verifying."""
    case = await new_case(client, actors["desk"], received_on=received_on)
    await act(client, actors["desk"], case["id"], "forward", to_org="UBND-00070", on="2026-10-02")
    await act(client, actors["ward"], case["id"], "accept", on="2026-10-05")
    return await act(client, actors["ward"], case["id"], "start_verification", on="2026-10-06")


def complaint_dialogue(case_id: int, **over) -> dict:
    body = {
        "kind": "complaint_resolution",
        "chair": "Nguyễn Văn Bình, Chủ tịch UBND phường",
        "scheduled_at": "2026-11-10T08:30:00+07:00",
        "notice_on": "2026-11-02",
        "location": "Trụ sở UBND phường Hoàn Kiếm",
        "case_ids": [case_id],
        "participants": [
            {"name": NAME, "role": "complainant"},
            {"name": "Phòng Kinh tế", "role": "agency", "organisation": "UBND phường Hoàn Kiếm"},
            {"name": "Trần Văn Cường", "role": "related_party"},
        ],
    }
    body.update(over)
    return body


async def dialogue_act(client, headers, dialogue_id: int, action: str, *, expect: int = 200, **fields) -> dict:
    got = await client.get(f"/api/v1/dialogues/{dialogue_id}", headers=headers)
    assert got.status_code == 200, got.text
    resp = await client.post(
        f"/api/v1/dialogues/{dialogue_id}/transitions",
        json={"action": action, **fields},
        headers={**headers, "If-Match": got.headers["ETag"]},
    )
    assert resp.status_code == expect, resp.text
    return resp.json()


async def test_a_dialogue_with_commitments_one_of_them_missed(client, actors):
    ward = actors["ward"]
    case = await verifying_complaint(client, actors)
    resp = await client.post("/api/v1/dialogues", json=complaint_dialogue(case["id"]), headers=ward)
    assert resp.status_code == 201, resp.text
    d = resp.json()
    assert d["status"] == "scheduled" and d["host_org"] == "UBND-00070" and d["unit_code"] == "00070"
    assert d["short_notice"] is False  # noticed on 2 Nov for 10 Nov: 8 days
    # the case as these records show it: its resolution (30 days from 5 Oct) is overdue
    assert d["cases"] == [
        {"id": case["id"], "code": case["code"], "kind": "complaint", "status": "verifying", "overdue": True}
    ]
    assert d["allowed_actions"] == ["hold", "postpone", "cancel"]
    assert resp.headers["ETag"] == '"1"' and d["created_at"].endswith(("Z", "+00:00"))

    # no commitments before the dialogue is held
    early = await client.post(
        f"/api/v1/dialogues/{d['id']}/commitments",
        headers=ward,
        json={"description": "Đo đạc lại", "responsible_org": "UBND-00070", "due_on": "2026-11-20"},
    )
    assert_problem(early, 409)

    held = await dialogue_act(
        client,
        ward,
        d["id"],
        "hold",
        on="2026-11-10",
        minutes="Hai bên trình bày ý kiến; thống nhất đo đạc lại ranh giới thửa đất.",
        attendance=[
            {"name": NAME, "present": True},
            {"name": "Phòng Kinh tế", "present": True},
            {"name": "Trần Văn Cường", "present": False, "absence_reason": "Ốm"},
        ],
    )
    assert held["status"] == "held" and held["held_on"] == "2026-11-10" and held["version"] == 2
    assert held["absentees"] == [
        {
            "name": "Trần Văn Cường",
            "role": "related_party",
            "organisation": None,
            "present": False,
            "absence_reason": "Ốm",
        }
    ]

    made = []
    for description, org, due in (
        ("Đo đạc lại ranh giới thửa đất số 12", "UBND-00070", "2026-11-20"),
        ("Trả lời bằng văn bản về bồi thường", "UBND-00070", "2026-12-15"),
        ("Cung cấp hồ sơ địa chính", "TTR-01", "2026-11-25"),
    ):
        resp = await client.post(
            f"/api/v1/dialogues/{d['id']}/commitments",
            headers=ward,
            json={"description": description, "responsible_org": org, "due_on": due},
        )
        assert resp.status_code == 201, resp.text
        made.append(resp.json())
    missed, pending, kept = made
    assert missed["status"] == "open" and missed["overdue"] is True and missed["days_overdue"] == 7
    assert pending["overdue"] is False

    # the host reports it done, with the ETag it read (428 without, 412 when stale)
    resp = await client.patch(
        f"/api/v1/commitments/{kept['id']}", json={"status": "done", "done_on": "2026-11-24"}, headers=ward
    )
    assert_problem(resp, 428)
    resp = await client.patch(
        f"/api/v1/commitments/{kept['id']}",
        json={"status": "done", "done_on": "2026-11-24"},
        headers={**ward, "If-Match": '"7"'},
    )
    assert_problem(resp, 412)
    resp = await client.patch(
        f"/api/v1/commitments/{kept['id']}",
        json={"status": "done", "done_on": "2026-11-24"},
        headers={**ward, "If-Match": '"1"'},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "done" and resp.json()["overdue"] is False and resp.headers["ETag"] == '"2"'

    # lists by responsible organisation and unit, with the overdue filter (SQL and the flag agree)
    resp = await client.get(
        "/api/v1/commitments", params={"responsible_org": "UBND-00070", "overdue": "true"}, headers=actors["supervisor"]
    )
    assert resp.status_code == 200, resp.text
    assert [c["id"] for c in resp.json()["items"]] == [missed["id"]]
    everything = (await client.get("/api/v1/commitments", params={"unit": "00070"}, headers=ward)).json()["items"]
    assert [c["id"] for c in everything] == [missed["id"], kept["id"], pending["id"]]  # by due date
    not_overdue = (
        await client.get("/api/v1/commitments", params={"unit": "00070", "overdue": "false"}, headers=ward)
    ).json()["items"]
    assert {c["id"] for c in not_overdue} == {c["id"] for c in everything if not c["overdue"]}
    page = (await client.get("/api/v1/commitments", params={"unit": "00070", "limit": 2}, headers=ward)).json()
    rest = (
        await client.get("/api/v1/commitments", params={"unit": "00070", "cursor": page["next_cursor"]}, headers=ward)
    ).json()
    assert [c["id"] for c in page["items"] + rest["items"]] == [c["id"] for c in everything]

    shown = await client.get(f"/api/v1/dialogues/{d['id']}", headers=actors["supervisor"])
    assert shown.status_code == 200
    assert [(c["id"], c["overdue"]) for c in shown.json()["commitments"]] == [
        (missed["id"], True),
        (kept["id"], False),
        (pending["id"], False),
    ]
    assert "petitioners" not in shown.text and "id_number" not in shown.text

    # the case's history shows the dialogue and its commitments (audited with it)
    history = (await client.get(f"/api/v1/cases/{case['id']}/history", headers=ward)).json()["items"]
    actions = [e["action"] for e in history]
    assert {"dialogue.create", "dialogue.hold", "commitment.create", "commitment.done"} <= set(actions)

    # a held dialogue takes no further action: 409 listing what is allowed (nothing)
    body = await dialogue_act(client, ward, d["id"], "cancel", reason="Nhầm", expect=409)
    assert body["allowed_actions"] == [] and body["status_now"] == "held"


async def test_who_may_see_and_act(client, actors):
    case = await verifying_complaint(client, actors)
    d = (await client.post("/api/v1/dialogues", json=complaint_dialogue(case["id"]), headers=actors["ward"])).json()
    url = f"/api/v1/dialogues/{d['id']}"
    # supervisors read; they may not act (403), nor schedule
    assert (await client.get(url, headers=actors["supervisor"])).status_code == 200
    resp = await client.post(
        f"{url}/transitions",
        json={"action": "cancel", "reason": "x"},
        headers={**actors["supervisor"], "If-Match": '"1"'},
    )
    assert_problem(resp, 403)
    assert_problem(
        await client.post("/api/v1/dialogues", json=complaint_dialogue(case["id"]), headers=actors["supervisor"]), 403
    )
    # a handler of the city sees it (its jurisdiction covers the ward) but is not the host: 403
    resp = await client.post(
        f"{url}/transitions", json={"action": "cancel", "reason": "x"}, headers={**actors["city"], "If-Match": '"1"'}
    )
    assert_problem(resp, 403)
    # another ward: the dialogue does not exist for it (404), nor in its lists
    assert_problem(await client.get(url, headers=actors["other_ward"]), 404)
    resp = await client.post(
        f"{url}/transitions",
        json={"action": "cancel", "reason": "x"},
        headers={**actors["other_ward"], "If-Match": '"1"'},
    )
    assert_problem(resp, 404)
    assert (await client.get("/api/v1/dialogues", headers=actors["other_ward"])).json()["items"] == []
    listed = (await client.get("/api/v1/dialogues", params={"case_id": case["id"]}, headers=actors["ward"])).json()
    assert [x["id"] for x in listed["items"]] == [d["id"]]
    # a commitment of this dialogue is 404 to the other ward as well
    await dialogue_act(client, actors["ward"], d["id"], "hold", on="2026-11-10", minutes="Biên bản")
    c = (
        await client.post(
            f"{url}/commitments",
            headers=actors["ward"],
            json={"description": "Trả lời", "responsible_org": "UBND-00070", "due_on": "2026-12-01"},
        )
    ).json()
    assert_problem(
        await client.patch(
            f"/api/v1/commitments/{c['id']}",
            json={"status": "done"},
            headers={**actors["other_ward"], "If-Match": '"1"'},
        ),
        404,
    )
    assert_problem(
        await client.patch(
            f"/api/v1/commitments/{c['id']}",
            json={"status": "done"},
            headers={**actors["supervisor"], "If-Match": '"1"'},
        ),
        403,
    )


async def test_bad_input_names_the_field(client, actors):
    ward = actors["ward"]
    case = await verifying_complaint(client, actors)
    petition = await new_case(client, actors["ward_desk"], kind="petition")
    elsewhere = await new_case(client, actors["other_desk"], location_unit_code="00004")
    cases = [
        (complaint_dialogue(case["id"], case_ids=[]), "body.case_ids"),
        (complaint_dialogue(case["id"], case_ids=[case["id"], petition["id"]]), "body.case_ids"),
        (complaint_dialogue(petition["id"]), "body.case_ids.0"),
        (complaint_dialogue(elsewhere["id"]), "body.case_ids.0"),
        (complaint_dialogue(case["id"], scheduled_at="2026-11-10T08:30:00"), "body.scheduled_at"),
        (complaint_dialogue(case["id"], notice_on="2026-11-28"), "body.notice_on"),
        (complaint_dialogue(case["id"], notice_on="2026-11-11"), "body.scheduled_at"),
        (complaint_dialogue(case["id"], kind="chat"), "body.kind"),
        (complaint_dialogue(case["id"], kind="direct_dialogue", unit_code="00070"), "body.topic"),
        (complaint_dialogue(case["id"], kind="direct_dialogue", topic="Tiếng ồn", unit_code="00004"), "body.unit_code"),
    ]
    for body, field in cases:
        assert_problem(await client.post("/api/v1/dialogues", json=body, headers=ward), 422, field)
    d = (await client.post("/api/v1/dialogues", json=complaint_dialogue(case["id"]), headers=ward)).json()
    await dialogue_act(client, ward, d["id"], "hold", expect=422, on="2026-11-10")  # no minutes
    body = await dialogue_act(
        client,
        ward,
        d["id"],
        "hold",
        expect=422,
        on="2026-11-10",
        minutes="Biên bản",
        attendance=[{"name": "Người lạ", "present": False}],
    )
    assert body["errors"][0]["field"] == "body.attendance.0.name"
    body = await dialogue_act(client, ward, d["id"], "hold", expect=422, on="2026-11-09", minutes="Biên bản")
    assert body["errors"][0]["field"] == "body.on"  # before the scheduled day
    await dialogue_act(client, ward, d["id"], "hold", on="2026-11-10", minutes="Biên bản")
    resp = await client.post(
        f"/api/v1/dialogues/{d['id']}/commitments",
        headers=ward,
        json={"description": "Trả lời", "responsible_org": "NOPE", "due_on": "2026-12-01"},
    )
    assert_problem(resp, 422, "body.responsible_org")
    resp = await client.post(
        f"/api/v1/dialogues/{d['id']}/commitments",
        headers=ward,
        json={"description": "Trả lời", "responsible_org": "UBND-00070", "due_on": "2026-11-01"},
    )
    assert_problem(resp, 422, "body.due_on")
    c = (
        await client.post(
            f"/api/v1/dialogues/{d['id']}/commitments",
            headers=ward,
            json={"description": "Trả lời", "responsible_org": "UBND-00070", "due_on": "2026-12-01"},
        )
    ).json()
    resp = await client.patch(
        f"/api/v1/commitments/{c['id']}", json={"status": "cancelled"}, headers={**ward, "If-Match": '"1"'}
    )
    assert_problem(resp, 422, "body.reason")
    resp = await client.patch(
        f"/api/v1/commitments/{c['id']}", json={"status": "finished"}, headers={**ward, "If-Match": '"1"'}
    )
    assert_problem(resp, 422, "body.status")
    assert_problem(
        await client.get("/api/v1/commitments", params={"cursor": "bm9wZQ"}, headers=ward), 422, "query.cursor"
    )


async def test_a_direct_dialogue_short_notice_postponed_then_cancelled(client, actors):
    ward = actors["ward"]
    denunciation = await new_case(
        client,
        actors["ward_desk"],
        kind="denunciation",
        petitioners=[{"full_name": "Lê Thị Tố Giác", "phone": "0912345679"}],
    )
    resp = await client.post(
        "/api/v1/dialogues",
        headers=ward,
        json={
            "kind": "direct_dialogue",
            "chair": "Chủ tịch UBND phường",
            "scheduled_at": "2026-11-30T14:00:00+07:00",
            "location": "Nhà văn hóa tổ dân phố 5",
            "unit_code": "00070",
            "topic": "Tiếng ồn công trường ban đêm",
            "case_ids": [denunciation["id"]],
            "participants": [{"name": "Đại diện tổ dân phố 5", "role": "citizen"}],
        },
    )
    assert resp.status_code == 201, resp.text
    d = resp.json()
    # noticed today (Fri 27 Nov) for Mon 30 Nov: 3 days, fewer than 5 → flagged
    assert d["notice_on"] == "2026-11-27" and d["short_notice"] is True
    assert d["cases"][0]["kind"] == "denunciation"
    assert "Tố Giác" not in resp.text and "0912345679" not in resp.text  # no denouncer identity, ever

    url = f"/api/v1/dialogues/{d['id']}/transitions"
    assert_problem(await client.post(url, json={"action": "postpone"}, headers=ward), 428)
    assert_problem(
        await client.post(
            url,
            json={"action": "postpone", "scheduled_at": "2026-12-10T14:00:00+07:00"},
            headers={**ward, "If-Match": '"9"'},
        ),
        412,
    )
    p = await dialogue_act(
        client, ward, d["id"], "postpone", scheduled_at="2026-12-10T14:00:00+07:00", reason="Chờ ý kiến sở chuyên ngành"
    )
    assert p["status"] == "postponed" and p["postponements"] == 1 and p["short_notice"] is False
    assert p["scheduled_at"].startswith("2026-12-10T14:00:00")
    await dialogue_act(client, ward, d["id"], "cancel", expect=422)  # a reason is required
    c = await dialogue_act(client, ward, d["id"], "cancel", reason="Công trường đã dừng thi công ban đêm")
    assert c["status"] == "cancelled" and c["cancel_reason"] and c["allowed_actions"] == []
    body = await dialogue_act(client, ward, d["id"], "hold", minutes="x", expect=409)
    assert body["allowed_actions"] == [] and body["status_now"] == "cancelled"
    events = (
        await client.get("/api/v1/audit", params={"case_id": denunciation["id"]}, headers=actors["supervisor"])
    ).json()["items"]
    assert [e["action"] for e in events if e["entity"] == "dialogue"] == [
        "dialogue.create",
        "dialogue.postpone",
        "dialogue.cancel",
    ]
    assert all("Tố Giác" not in str(e) for e in events if e["entity"] == "dialogue")


async def test_a_second_time_complaint_is_not_decided_before_its_dialogue_is_held(client, actors):
    ward, city = actors["ward"], actors["city"]
    case = await verifying_complaint(client, actors)
    await act(client, ward, case["id"], "decide", outcome="rejected", summary="Giữ nguyên quyết định", on="2026-11-10")
    r2 = (await act(client, ward, case["id"], "appeal", on="2026-11-20"))["opened_case"]
    await act(client, city, r2["id"], "accept", on="2026-11-23")
    await act(client, city, r2["id"], "start_verification", on="2026-11-24")

    body = await act(client, city, r2["id"], "decide", outcome="rejected", summary="Giữ nguyên", expect=409)
    assert "Art 39" in body["detail"] and body["legal_source"] == "Luật Khiếu nại 02/2011 Art 39"
    d = (
        await client.post(
            "/api/v1/dialogues",
            headers=city,
            json=complaint_dialogue(
                r2["id"],
                chair="Phó Chủ tịch UBND thành phố",
                scheduled_at="2026-11-27T08:00:00+07:00",
                notice_on="2026-11-20",
                location="Trụ sở tiếp công dân thành phố",
            ),
        )
    ).json()
    assert d["unit_code"] == "00070" and d["host_org"] == "UBND-01"
    # scheduled is not held
    await act(client, city, r2["id"], "decide", outcome="rejected", summary="Giữ nguyên", expect=409)
    await dialogue_act(client, city, d["id"], "hold", minutes="Đối thoại lần hai: các bên giữ nguyên ý kiến.")
    decided = await act(client, city, r2["id"], "decide", outcome="rejected", summary="Giữ nguyên")
    assert decided["status"] == "decided"


async def test_a_first_complaint_whose_verification_differs_waits_for_its_dialogue(client, actors):
    ward = actors["ward"]
    case = await verifying_complaint(client, actors)
    body = await act(
        client,
        ward,
        case["id"],
        "decide",
        outcome="partly_upheld",
        summary="Đúng một phần",
        verification_differs=True,
        expect=409,
    )
    assert "Art 30(1)" in body["detail"]
    d = (await client.post("/api/v1/dialogues", json=complaint_dialogue(case["id"]), headers=ward)).json()
    await dialogue_act(client, ward, d["id"], "hold", on="2026-11-10", minutes="Biên bản đối thoại")
    done = await act(
        client, ward, case["id"], "decide", outcome="partly_upheld", summary="Đúng một phần", verification_differs=True
    )
    assert done["status"] == "decided"
    # without the flag a first complaint is decided as before (the other case needs no dialogue)
    other = await verifying_complaint(client, actors)
    assert (await act(client, ward, other["id"], "decide", outcome="rejected", summary="Sai"))["status"] == "decided"


def _input_models():
    from app.models import dialogues as m

    return [
        m.DialogueCreate,
        m.DialogueTransitionCreate,
        m.CommitmentCreate,
        m.CommitmentUpdate,
        m.ReceptionSessionCreate,
        m.VoterMeetingCreate,
        m.VoterMeetingUpdate,
    ]


@pytest.mark.parametrize("model", _input_models(), ids=lambda m: m.__name__)
def test_request_examples_are_valid_against_their_models(model):
    """The examples in /openapi.json are requests these endpoints accept."""
    examples = model.model_json_schema().get("examples")
    assert examples
    for example in examples:
        model.model_validate(example)


async def test_a_schema_valid_refusal_says_which_rule_and_the_document_states_the_shape(client, actors):
    """What the OpenAPI document calls valid is refused only by a named rule (decision 0050): a case id
    or organisation that names nothing you can see is `unknown_reference`; a case id of 0, a repeated
    one, a blank name or a moment outside 1900..2100 break the schema, which says so."""
    ward = actors["ward"]
    case = await verifying_complaint(client, actors)
    for body, field, kind in [
        (complaint_dialogue(case["id"], case_ids=[2_000_000_000]), "body.case_ids.0", "unknown_reference"),
        (complaint_dialogue(case["id"], host_org="NOPE-1"), "body.host_org", "unknown_reference"),
        (
            complaint_dialogue(case["id"], kind="direct_dialogue", topic="Tiếng ồn", unit_code="00004"),
            "body.unit_code",
            "unknown_reference",
        ),
        (complaint_dialogue(case["id"], case_ids=[0]), "body.case_ids.0", "greater_than_equal"),
        (complaint_dialogue(case["id"], chair="   "), "body.chair", "string_pattern_mismatch"),
        (complaint_dialogue(case["id"], scheduled_at="0841-06-25T03:36:45Z"), "body.scheduled_at", "value_error"),
    ]:
        problem = assert_problem(await client.post("/api/v1/dialogues", json=body, headers=ward), 422, field)
        assert problem["errors"][0]["type"] == kind, problem
    reception = assert_problem(
        await client.post(
            "/api/v1/reception-sessions",
            headers=actors["ward_desk"],
            json={
                "org": "NOPE-1",
                "host_name": "Nguyễn Văn Bình",
                "host_title": "Chủ tịch UBND phường",
                "led_by_head": True,
                "held_on": "2026-11-05",
                "visitors": 6,
            },
        ),
        422,
        "body.org",
    )
    assert reception["errors"][0]["type"] == "unknown_reference"
    cursor = assert_problem(
        await client.get("/api/v1/commitments", params={"cursor": "bm9wZQ"}, headers=ward), 422, "query.cursor"
    )
    assert cursor["errors"][0]["type"] == "cursor"

    from app.openapi import DATETIME_PATTERN

    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    create = schemas["DialogueCreate"]["properties"]
    assert create["case_ids"]["items"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert create["case_ids"]["uniqueItems"] is True
    assert create["scheduled_at"]["pattern"] == DATETIME_PATTERN
    assert re.search(DATETIME_PATTERN, "2100-12-31T23:59:59+07:00") and not re.search(DATETIME_PATTERN, "0841-06-25")
    assert not re.search(create["chair"]["pattern"], "   ") and re.search(create["chair"]["pattern"], " Bình ")
    for name, prop in [("VoterMeetingCreate", "deputies"), ("VoterMeetingUpdate", "deputies")]:
        items = schemas[name]["properties"][prop]
        items = (items.get("anyOf") or [items])[0]["items"]
        assert not re.search(items["pattern"], " "), name
