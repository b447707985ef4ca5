"""Supervision through HTTP (issue 8 items 1, 2, 7): the overview by unit, recommendations and
their small lifecycle, urgent flags and the alerts feed; scoped by jurisdiction, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.api.casekit import TODAY, act, new_case
from tests.conftest import assert_problem

OVERVIEW = "/api/v1/supervision/overview"
RECS = "/api/v1/supervision/recommendations"
ALERTS = "/api/v1/alerts"
SECRET_NAME = "Nguyễn Văn An"  # the petitioner of every case here: never in a supervision output


@pytest.fixture
async def world(client, make_user):
    _, hk_desk = await make_user("reception", "UBND-00070")
    _, cn_desk = await make_user("reception", "UBND-00073")
    _, city_desk = await make_user("reception", "MTTQ-01")
    cases = {
        # received long ago: their processing stage is overdue on TODAY
        "hk_old": await new_case(client, hk_desk, kind="petition", received_on="2026-09-01"),
        "hk_old2": await new_case(client, hk_desk, kind="reflection", received_on="2026-10-01"),
        "hk_new": await new_case(client, hk_desk, kind="petition", received_on=TODAY.isoformat()),
        "hk_mass": await new_case(
            client,
            hk_desk,
            kind="petition",
            received_on="2026-11-25",
            petitioners=[{"full_name": f"{SECRET_NAME} {i}", "is_representative": i == 0} for i in range(5)],
        ),
        "cn_old": await new_case(
            client, cn_desk, kind="denunciation", location_unit_code="00073", received_on="2026-08-03"
        ),
        "cn_new": await new_case(
            client,
            cn_desk,
            kind="complaint",
            location_unit_code="00073",
            received_on="2026-11-26",
            decision_date="2026-11-01",
        ),
        "city": await new_case(client, city_desk, kind="petition", location_unit_code="01", received_on="2026-09-02"),
    }
    await act(client, hk_desk, cases["hk_old2"]["id"], "archive", ground="not_processable", on="2026-10-02")
    return {
        "cases": cases,
        "hk_desk": hk_desk,
        "cn_desk": cn_desk,
        "city_desk": city_desk,
        "sup": (await make_user("supervisor", "MTTQ-01"))[1],
        "hk_sup": (await make_user("supervisor", "MTTQ-00070"))[1],
        "hk_handler": (await make_user("handler", "UBND-00070"))[1],
        "cn_handler": (await make_user("handler", "UBND-00073"))[1],
    }


def set_today(app, day: date) -> None:
    app.state.today = lambda: day


async def get_ok(client, url, headers) -> dict:
    resp = await client.get(url, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


# ---- overview ----------------------------------------------------------------------------------


async def test_city_overview_lists_every_ward_with_the_case_lists_counts(client, world):
    ov = await get_ok(client, f"{OVERVIEW}?unit=01", world["sup"])
    assert ov["unit"]["code"] == "01" and ov["as_of"] == TODAY.isoformat()
    assert len(ov["children"]) == 126
    assert ov["due_soon_until"] == "2026-12-04"  # 5 working days after Friday 27 November
    by_code = {c["unit_code"]: c for c in ov["children"]}
    # every ward's numbers are the case list's: one list of the whole city, counted by ward...
    open_q = "&".join(f"status={s}" for s in ("received", "forwarded", "accepted", "verifying", "suspended", "decided"))
    overdue_all = (await get_ok(client, "/api/v1/cases?unit=01&overdue=true&limit=200", world["sup"]))["items"]
    open_all = (await get_ok(client, f"/api/v1/cases?unit=01&{open_q}&limit=200", world["sup"]))["items"]
    for code, row in by_code.items():
        assert row["overdue"] == sum(c["location_unit_code"] == code for c in overdue_all), code
        assert row["open"] == sum(c["location_unit_code"] == code for c in open_all), code
    # ...and the list of each ward with cases (and a quiet one), as a supervisor would ask for it
    for code in ("00070", "00073", "00004"):
        overdue = await get_ok(client, f"/api/v1/cases?unit={code}&overdue=true&limit=200", world["sup"])
        assert by_code[code]["overdue"] == len(overdue["items"]), code
        opened = await get_ok(client, f"/api/v1/cases?unit={code}&{open_q}&limit=200", world["sup"])
        assert by_code[code]["open"] == len(opened["items"]), code
    hk, cn = by_code["00070"], by_code["00073"]
    assert (hk["open"], hk["overdue"], hk["mass"]) == (3, 1, 1)  # hk_old2 is archived
    assert hk["by_kind"] == {"petition": 3} and hk["by_stage"] == {"processing": 3}
    assert hk["oldest_overdue"]["id"] == world["cases"]["hk_old"]["id"]
    assert hk["oldest_overdue"]["days_overdue"] > 0 and set(hk["oldest_overdue"]) == {
        "id",
        "code",
        "due",
        "days_overdue",
    }
    assert (cn["open"], cn["overdue"]) == (2, 1) and cn["by_kind"] == {"complaint": 1, "denunciation": 1}
    # the city's own case is in `own`; the total is own + every child
    assert ov["own"]["open"] == 1 and ov["own"]["overdue"] == 1
    for key in ("open", "overdue", "due_soon", "mass"):
        assert ov["total"][key] == ov["own"][key] + sum(c[key] for c in ov["children"])
    assert ov["total"]["oldest_overdue"]["id"] == world["cases"]["cn_old"]["id"]  # the earliest due
    # due soon: a running clock due from today to due_soon_until, not overdue
    listed = await get_ok(client, "/api/v1/cases?unit=01&limit=200", world["sup"])
    soon = [
        c
        for c in listed["items"]
        if c["due"]
        and not c["overdue"]
        and c["status"] not in ("suspended",)
        and TODAY.isoformat() <= c["due"] <= ov["due_soon_until"]
        and c["stage"]
    ]
    assert ov["total"]["due_soon"] == len(soon)
    assert SECRET_NAME not in str(ov)


async def test_ward_supervisor_sees_their_ward_and_nothing_else(client, world, make_user):
    ov = await get_ok(client, OVERVIEW, world["hk_sup"])  # default: the caller's own unit
    assert ov["unit"]["code"] == "00070" and ov["children"] == []
    assert (ov["total"]["open"], ov["total"]["overdue"]) == (3, 1)
    assert (await get_ok(client, f"{OVERVIEW}?unit=00070", world["hk_sup"]))["total"] == ov["total"]
    for code in ("01", "00073", "99999"):  # outside the jurisdiction, or no such unit: the same 404
        assert_problem(await client.get(f"{OVERVIEW}?unit={code}", headers=world["hk_sup"]), 404)
    for who in ("hk_handler", "hk_desk"):  # 403 for a role that may not read it
        assert_problem(await client.get(OVERVIEW, headers=world[who]), 403)
    assert_problem(await client.get(f"{OVERVIEW}?unit={'9' * 40}", headers=world["sup"]), 422, "unit")
    admin = (await make_user("admin", "UBND-01"))[1]
    assert len((await get_ok(client, OVERVIEW, admin))["children"]) == 126


# ---- recommendations ---------------------------------------------------------------------------


async def _etag(client, rec_id, headers) -> str:
    resp = await client.get(f"{RECS}/{rec_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.headers["ETag"]


async def test_recommendation_answered_late_shows_as_overdue_in_the_overview(client, world, app):
    sup, handler = world["sup"], world["hk_handler"]
    case = world["cases"]["hk_new"]
    resp = await client.post(
        RECS,
        headers=sup,
        json={"case_id": case["id"], "content": "Đề nghị giải quyết đúng hạn", "response_due": "2026-12-01"},
    )
    assert resp.status_code == 201, resp.text
    rec = resp.json()
    assert rec["target_org"] == "UBND-00070" and rec["status"] == "open" and rec["overdue"] is False
    assert rec["unit_code"] == "00070" and rec["case_id"] == case["id"]
    ov = await get_ok(client, f"{OVERVIEW}?unit=01", sup)
    hk = next(c for c in ov["children"] if c["unit_code"] == "00070")
    assert hk["recommendations"] == {"open": 1, "overdue": 0, "answered": 0, "answered_late": 0}

    set_today(app, date(2026, 12, 3))  # two days after the response was due
    ov = await get_ok(client, f"{OVERVIEW}?unit=01", sup)
    hk = next(c for c in ov["children"] if c["unit_code"] == "00070")
    assert hk["recommendations"]["overdue"] == 1 and ov["total"]["recommendations"]["overdue"] == 1
    late = await get_ok(client, f"{RECS}?overdue=true&unit=00070", sup)
    assert [r["id"] for r in late["items"]] == [rec["id"]] and late["items"][0]["days_overdue"] == 2
    assert (await get_ok(client, f"{RECS}?overdue=false", sup))["items"] == []

    # the agency answers late: the answer is recorded as late, and the overview says so
    resp = await client.post(
        f"{RECS}/{rec['id']}/response",
        headers={**handler, "If-Match": await _etag(client, rec["id"], handler)},
        json={"response": "Đã giải quyết xong"},
    )
    assert resp.status_code == 200, resp.text
    answered = resp.json()
    assert answered["status"] == "answered" and answered["answered_late"] is True and answered["overdue"] is False
    assert answered["answered_on"] == "2026-12-03"
    hk = next(c for c in (await get_ok(client, f"{OVERVIEW}?unit=01", sup))["children"] if c["unit_code"] == "00070")
    assert hk["recommendations"] == {"open": 0, "overdue": 0, "answered": 1, "answered_late": 1}

    # the supervisor reopens it with a new due date; it is answered again and closed
    tag = await _etag(client, rec["id"], sup)
    resp = await client.post(
        f"{RECS}/{rec['id']}/transitions",
        headers={**sup, "If-Match": tag},
        json={"action": "reopen", "reason": "Chưa trả lời đủ", "response_due": "2026-12-10"},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "open", resp.text
    resp = await client.post(
        f"{RECS}/{rec['id']}/response",
        headers={**handler, "If-Match": await _etag(client, rec["id"], handler)},
        json={"response": "Bổ sung trả lời"},
    )
    assert resp.json()["answered_late"] is False
    resp = await client.post(
        f"{RECS}/{rec['id']}/transitions",
        headers={**sup, "If-Match": await _etag(client, rec["id"], sup)},
        json={"action": "close"},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "closed" and resp.json()["closed_on"] == "2026-12-03"
    # illegal now: 409 with what is allowed
    body = assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/transitions",
            headers={**sup, "If-Match": await _etag(client, rec["id"], sup)},
            json={"action": "reopen", "reason": "x"},
        ),
        409,
    )
    assert body["allowed_actions"] == [] and body["status_now"] == "closed"

    # the trail: every step audited, in the case's history
    hist = await get_ok(client, f"/api/v1/cases/{case['id']}/history", sup)
    actions = [e["action"] for e in hist["items"] if e["entity"] == "recommendation"]
    assert actions == [
        "recommendation.create",
        "recommendation.answer",
        "recommendation.reopen",
        "recommendation.answer",
        "recommendation.close",
    ]
    assert SECRET_NAME not in str(hist["items"][-1]) and SECRET_NAME not in str(answered)


async def test_recommendation_rules_roles_and_jurisdiction(client, world, make_user):
    sup, hk_sup, handler = world["sup"], world["hk_sup"], world["hk_handler"]
    # about an organisation, no case
    resp = await client.post(
        RECS,
        headers=hk_sup,
        json={"target_org": "UBND-00070", "content": "Rà soát tiếp dân", "response_due": "2026-12-31"},
    )
    assert resp.status_code == 201, resp.text
    rec = resp.json()
    assert rec["case_id"] is None and rec["unit_code"] == "00070" and rec["issuer_org"] == "MTTQ-00070"
    # who sees it: supervisors over the unit and the target organisation; others 404
    assert (await client.get(f"{RECS}/{rec['id']}", headers=sup)).status_code == 200
    assert (await client.get(f"{RECS}/{rec['id']}", headers=world["hk_desk"])).status_code == 200
    cn_sup = (await make_user("supervisor", "MTTQ-00073"))[1]
    for other in (cn_sup, world["cn_handler"]):
        assert_problem(await client.get(f"{RECS}/{rec['id']}", headers=other), 404)
        assert (await get_ok(client, RECS, other))["items"] == []
    assert [r["id"] for r in (await get_ok(client, f"{RECS}?target_org=UBND-00070", handler))["items"]] == [rec["id"]]
    assert (await get_ok(client, f"{RECS}?status=answered", sup))["items"] == []
    # 403: a supervisor may not answer, a handler may not issue; only the issuer closes
    tag = await _etag(client, rec["id"], sup)
    assert_problem(
        await client.post(f"{RECS}/{rec['id']}/response", headers={**sup, "If-Match": tag}, json={"response": "x"}), 403
    )
    assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/response", headers={**world["hk_desk"], "If-Match": tag}, json={"response": "x"}
        ),
        403,
    )
    assert_problem(
        await client.post(
            RECS, headers=handler, json={"target_org": "UBND-00070", "content": "x", "response_due": "2026-12-31"}
        ),
        403,
    )
    assert_problem(await client.post(f"{RECS}/{rec['id']}/response", headers=handler, json={"response": "x"}), 428)
    assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/response", headers={**handler, "If-Match": '"7"'}, json={"response": "x"}
        ),
        412,
    )
    # 409: closing an unanswered recommendation, with the allowed actions
    body = assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/transitions", headers={**hk_sup, "If-Match": tag}, json={"action": "close"}
        ),
        409,
    )
    assert body["allowed_actions"] == [] and body["status_now"] == "open"
    ok = await client.post(
        f"{RECS}/{rec['id']}/response", headers={**handler, "If-Match": tag}, json={"response": "Đã rà soát"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["allowed_actions"] == []
    tag = ok.headers["ETag"]
    assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/transitions", headers={**sup, "If-Match": tag}, json={"action": "close"}
        ),
        403,
    )  # MTTQ-01 did not issue it
    assert (await get_ok(client, f"{RECS}/{rec['id']}", hk_sup))["allowed_actions"] == ["close", "reopen"]
    assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/transitions", headers={**hk_sup, "If-Match": tag}, json={"action": "reopen"}
        ),
        422,
        "body.reason",
    )
    assert_problem(
        await client.post(
            f"{RECS}/{rec['id']}/transitions", headers={**hk_sup, "If-Match": tag}, json={"action": "explode"}
        ),
        422,
        "body.action",
    )
    # 422 naming the field
    bad = [
        ({"content": "x", "response_due": "2026-12-31"}, "body.target_org"),
        ({"target_org": "UBND-00070", "response_due": "2026-12-31"}, "body.content"),
        ({"target_org": "UBND-00070", "content": "  ", "response_due": "2026-12-31"}, "body.content"),
        ({"target_org": "UBND-00070", "content": "x", "response_due": "2026-11-01"}, "body.response_due"),
        ({"target_org": "UBND-00070", "content": "x", "response_due": "31/12/2026"}, "body.response_due"),
        ({"target_org": "NOPE", "content": "x", "response_due": "2026-12-31"}, "body.target_org"),
        ({"target_org": "UBND-00073", "content": "x", "response_due": "2026-12-31"}, "body.target_org"),
        ({"case_id": world["cases"]["cn_old"]["id"], "content": "x", "response_due": "2026-12-31"}, "body.case_id"),
        ({"case_id": 2**40, "content": "x", "response_due": "2026-12-31"}, "body.case_id"),
    ]
    for body, field in bad:
        assert_problem(await client.post(RECS, headers=hk_sup, json=body), 422, field)
    assert_problem(await client.get(f"{RECS}?unit=99999", headers=sup), 422, "query.unit")
    assert_problem(await client.get(f"{RECS}?status=late", headers=sup), 422, "status")
    assert_problem(await client.get(f"{RECS}/0", headers=sup), 422)


# ---- urgent flags and alerts -------------------------------------------------------------------


async def test_flag_urgent_is_a_transition_with_a_reason(client, world):
    case = world["cases"]["hk_new"]
    desk = world["hk_desk"]
    assert_problem(
        await client.post(
            f"/api/v1/cases/{case['id']}/transitions",
            json={"action": "flag_urgent", "reason": "x"},
            headers={**desk, "If-Match": '"1"'},
        ),
        422,
        "body.urgent_reason",
    )
    assert_problem(
        await client.post(
            f"/api/v1/cases/{case['id']}/transitions",
            json={"action": "flag_urgent", "urgent_reason": "riot", "reason": "x"},
            headers={**desk, "If-Match": '"1"'},
        ),
        422,
        "urgent_reason",
    )
    actions = await get_ok(client, f"/api/v1/cases/{case['id']}/actions", desk)
    flag = next(a for a in actions["actions"] if a["action"] == "flag_urgent")
    assert flag["required"] == ["urgent_reason", "reason"] and "epidemic" in flag["urgent_reasons"]
    out = await act(client, desk, case["id"], "flag_urgent", urgent_reason="security", reason="Tụ tập đông người")
    assert out["urgent"] is True and out["urgent_reason"] == "security" and out["status"] == "received"
    assert out["due"] == case["due"]  # the clock is untouched
    listed = await get_ok(client, "/api/v1/cases?unit=00070", world["sup"])
    assert next(c for c in listed["items"] if c["id"] == case["id"])["urgent"] is True
    # supervisors never transition cases
    await act(client, world["sup"], case["id"], "flag_urgent", urgent_reason="mass", reason="x", expect=403)
    ov = await get_ok(client, f"{OVERVIEW}?unit=00070", world["sup"])
    assert ov["total"]["urgent"] == 1


async def test_alerts_feed_polls_with_a_cursor(client, world, make_user, app):
    sup = world["sup"]
    first = await get_ok(client, ALERTS, sup)
    kinds = {(a["kind"], a["case_id"]) for a in first["items"]}
    c = world["cases"]
    assert kinds == {("overdue", c["hk_old"]["id"]), ("overdue", c["cn_old"]["id"]), ("overdue", c["city"]["id"])}
    ats = [a["at"] for a in first["items"]]
    assert ats == sorted(ats, reverse=True)  # newest first
    cn_alert = next(a for a in first["items"] if a["case_id"] == c["cn_old"]["id"])
    due = date.fromisoformat(c["cn_old"]["due"])
    assert cn_alert["at"] == f"{(due + timedelta(days=1)).isoformat()}T00:00:00+07:00"
    assert cn_alert["unit_code"] == "00073"
    assert set(cn_alert) == {"id", "at", "kind", "case_id", "unit_code", "message"}
    cursor = first["next_cursor"]
    # nothing new yet
    again = await get_ok(client, f"{ALERTS}?after={cursor}", sup)
    assert again["items"] == [] and again["next_cursor"] == cursor and again["has_more"] is False

    # a case flagged urgent appears, and only it
    await act(
        client, world["hk_desk"], c["hk_new"]["id"], "flag_urgent", urgent_reason="mass", reason="50 hộ dân tập trung"
    )
    new = await get_ok(client, f"{ALERTS}?after={cursor}", sup)
    assert [(a["kind"], a["case_id"]) for a in new["items"]] == [("urgent", c["hk_new"]["id"])]
    assert "đông người" in new["items"][0]["message"]
    urgent_cursor = new["next_cursor"]
    assert (await get_ok(client, f"{ALERTS}?after={urgent_cursor}", sup))["items"] == []

    # days pass: a case whose due date passes is newly overdue, and appears after the first mark
    # (audit events carry the real clock and the business date is pinned: only compare with the
    # mark taken on the pinned date)
    later = date.fromisoformat(c["cn_new"]["due"]) + timedelta(days=1)
    set_today(app, later)
    new = await get_ok(client, f"{ALERTS}?after={cursor}", sup)
    got = [(a["kind"], a["case_id"]) for a in new["items"]]
    assert ("overdue", c["cn_new"]["id"]) in got and ("urgent", c["hk_new"]["id"]) in got
    assert all(a["at"] > first["items"][0]["at"] for a in new["items"])
    assert [a["at"] for a in new["items"]] == sorted((a["at"] for a in new["items"]), reverse=True)
    # a small page: the oldest new ones first, and has_more to call again; nothing is skipped
    page = await get_ok(client, f"{ALERTS}?after={cursor}&limit=1", sup)
    assert page["has_more"] is True and page["items"] == [new["items"][-1]]
    rest = await get_ok(client, f"{ALERTS}?after={page['next_cursor']}&limit=200", sup)
    assert rest["items"] == new["items"][:-1]

    # jurisdiction: a ward supervisor sees their ward's alerts only
    cn_sup = (await make_user("supervisor", "MTTQ-00073"))[1]
    assert {a["unit_code"] for a in (await get_ok(client, ALERTS, cn_sup))["items"]} == {"00073"}
    # the mass-mobilisation board reads them whatever its users' role; a handler elsewhere may not
    bdv = (await make_user("handler", "BDV-01"))[1]
    assert (await get_ok(client, ALERTS, bdv))["items"]
    assert_problem(await client.get(ALERTS, headers=world["hk_handler"]), 403)
    assert_problem(await client.get(f"{ALERTS}?after=garbage", headers=sup), 422, "query.after")
    assert SECRET_NAME not in str(first) + str(new)


async def test_overview_counts_commitments_and_missed_obligations_as_the_lists_do(client, world):
    """A direct dialogue in Hoàn Kiếm with one missed commitment and one still open; a denunciation
    in Cửa Nam that the Fatherland Front had to forward within 5 working days and did not."""
    hk = world["hk_handler"]
    resp = await client.post(
        "/api/v1/dialogues",
        headers=hk,
        json={
            "kind": "direct_dialogue",
            "chair": "Chủ tịch UBND phường",
            "scheduled_at": "2026-11-10T08:30:00+07:00",
            "notice_on": "2026-11-02",
            "location": "Nhà văn hóa",
            "unit_code": "00070",
            "topic": "Tiếng ồn ban đêm",
        },
    )
    assert resp.status_code == 201, resp.text
    d = resp.json()
    resp = await client.post(
        f"/api/v1/dialogues/{d['id']}/transitions",
        headers={**hk, "If-Match": '"1"'},
        json={"action": "hold", "on": "2026-11-10", "minutes": "Thống nhất giảm tiếng ồn."},
    )
    assert resp.status_code == 200, resp.text
    for due in ("2026-11-20", "2026-12-20"):
        resp = await client.post(
            f"/api/v1/dialogues/{d['id']}/commitments",
            headers=hk,
            json={"description": f"Việc hạn {due}", "responsible_org": "UBND-00070", "due_on": due},
        )
        assert resp.status_code == 201, resp.text
    missed = await new_case(
        client, world["city_desk"], kind="denunciation", location_unit_code="00073", received_on="2026-11-13"
    )
    assert any(o["overdue"] for o in missed["obligations"])

    sup = world["sup"]
    ov = await get_ok(client, f"{OVERVIEW}?unit=01", sup)
    rows = {r["unit_code"]: r for r in ov["children"]}
    for code in ("00070", "00073"):
        listed_commitments = await get_ok(client, f"/api/v1/commitments?unit={code}&overdue=true&limit=200", sup)
        listed_open = await get_ok(client, f"/api/v1/commitments?unit={code}&status=open&limit=200", sup)
        listed_cases = await get_ok(client, f"/api/v1/cases?unit={code}&obligation_overdue=true&limit=200", sup)
        assert rows[code]["commitments"] == {
            "open": len(listed_open["items"]),
            "overdue": len(listed_commitments["items"]),
        }
        assert rows[code]["missed_obligations"]["cases"] == len(listed_cases["items"])
    assert rows["00070"]["commitments"] == {"open": 2, "overdue": 1}
    assert rows["00073"]["missed_obligations"] == {"cases": 1, "obligations": 1}
    assert rows["00070"]["missed_obligations"] == {"cases": 0, "obligations": 0}
    assert rows["00073"]["commitments"] == {"open": 0, "overdue": 0}
    assert ov["total"]["commitments"] == {"open": 2, "overdue": 1}
    assert ov["total"]["missed_obligations"] == {"cases": 1, "obligations": 1}
    # a ward supervisor's overview: their ward's numbers
    ward = await get_ok(client, f"{OVERVIEW}?unit=00070", world["hk_sup"])
    assert ward["total"]["commitments"] == {"open": 2, "overdue": 1}
    assert ward["total"]["missed_obligations"] == {"cases": 0, "obligations": 0}


async def test_missed_obligations_are_alerts_polled_with_the_cursor(client, world, make_user, app):
    """The Fatherland Front must forward a denunciation within 5 working days (Luật Tố cáo Art 24(2)):
    one already missed, one that becomes missed as days pass."""
    sup, front = world["sup"], world["city_desk"]
    old = await new_case(client, front, kind="denunciation", location_unit_code="00073", received_on="2026-11-13")
    fresh = await new_case(
        client, front, kind="denunciation", location_unit_code="00073", received_on=TODAY.isoformat()
    )
    (old_due,) = [o["due"] for o in old["obligations"] if o["overdue"]]
    (fresh_due,) = [o["due"] for o in fresh["obligations"]]
    first = await get_ok(client, f"{ALERTS}?limit=200", sup)
    missed = [a for a in first["items"] if a["kind"] == "obligation_overdue"]
    assert [a["case_id"] for a in missed] == [old["id"]]
    day_after = date.fromisoformat(old_due) + timedelta(days=1)
    assert missed[0]["at"] == f"{day_after.isoformat()}T00:00:00+07:00" and missed[0]["unit_code"] == "00073"
    assert missed[0]["id"].startswith("obligation-") and old["code"] in missed[0]["message"]
    assert [a["at"] for a in first["items"]] == sorted((a["at"] for a in first["items"]), reverse=True)
    cursor = first["next_cursor"]
    assert (await get_ok(client, f"{ALERTS}?after={cursor}", sup))["items"] == []

    # the second one's due date passes: it is new after the mark, and nothing older comes back
    set_today(app, date.fromisoformat(fresh_due) + timedelta(days=1))
    new = await get_ok(client, f"{ALERTS}?after={cursor}&limit=200", sup)
    got = [(a["kind"], a["case_id"]) for a in new["items"] if a["kind"] == "obligation_overdue"]
    assert got == [("obligation_overdue", fresh["id"])]
    assert all(a["at"] > first["items"][0]["at"] for a in new["items"])
    # one at a time, oldest first, nothing skipped or repeated
    seen, mark = [], cursor
    for _ in range(len(new["items"])):
        page = await get_ok(client, f"{ALERTS}?after={mark}&limit=1", sup)
        seen += page["items"]
        mark = page["next_cursor"]
    assert list(reversed(seen)) == new["items"]
    assert (await get_ok(client, f"{ALERTS}?after={mark}", sup))["items"] == []
    # jurisdiction: Hoàn Kiếm's supervisor does not see Cửa Nam's missed obligations
    hk = await get_ok(client, f"{ALERTS}?limit=200", world["hk_sup"])
    assert not [a for a in hk["items"] if a["kind"] == "obligation_overdue"]
    assert SECRET_NAME not in str(first) + str(new)
    # fulfilled: no longer an alert
    await act(client, front, old["id"], "forward", to_org="UBND-00073", on=str(date.fromisoformat(fresh_due)))
    now = await get_ok(client, f"{ALERTS}?limit=200", sup)
    assert [a["case_id"] for a in now["items"] if a["kind"] == "obligation_overdue"] == [fresh["id"]]
