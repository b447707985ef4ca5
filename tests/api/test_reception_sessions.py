"""Reception sessions (tiếp công dân) and the heads' compliance with their own reception duty
(Luật Tiếp công dân 42/2013 Art 12(5), 15(2)(d); Law 136/2025 from 1 Jul 2026).

Business date pinned to Fri 2026-11-27 (tests/api/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.api.casekit import new_case
from tests.conftest import assert_problem


@pytest.fixture
async def actors(make_user):
    return {
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "other_desk": (await make_user("reception", "UBND-00004"))[1],
        "city_board": (await make_user("reception", "BTCD-01"))[1],
        "ward_supervisor": (await make_user("supervisor", "HDND-00070"))[1],
        "supervisor": (await make_user("supervisor", "HDND-01"))[1],
    }


def session_body(**over) -> dict:
    body = {
        "host_name": "Nguyễn Văn Bình",
        "host_title": "Chủ tịch UBND phường",
        "led_by_head": True,
        "held_on": "2026-11-05",
        "visitors": 6,
        "delegations": 1,
        "case_ids": [],
    }
    body.update(over)
    return body


async def record(client, headers, **over) -> dict:
    resp = await client.post("/api/v1/reception-sessions", json=session_body(**over), headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def compliance(client, headers, **params) -> dict:
    resp = await client.get("/api/v1/reception-sessions/compliance", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_month_with_too_few_leader_sessions(client, actors):
    desk = actors["ward_desk"]
    case = await new_case(client, desk, kind="petition", received_on="2026-11-05")
    s = await record(client, desk, case_ids=[case["id"]])
    assert s["org"] == "UBND-00070" and s["led_by_head"] is True and s["visitors"] == 6 and s["delegations"] == 1
    # its processing (10 working days from Thu 5 Nov) ended on Thu 19 Nov: overdue
    assert s["cases"] == [
        {"id": case["id"], "code": case["code"], "kind": "petition", "status": "received", "overdue": True}
    ]
    # the desk's own sessions do not count toward the head's duty
    await record(
        client,
        desk,
        host_name="Trần Thị Hoa",
        host_title="Cán bộ tiếp dân",
        led_by_head=False,
        held_on="2026-11-12",
        visitors=14,
        delegations=0,
    )

    view = await compliance(client, actors["ward_supervisor"], year=2026, month=11)
    assert view["month_complete"] is False  # 27 Nov: the month is still running
    item = next(i for i in view["items"] if i["org"] == "UBND-00070")
    # from 1 Jul 2026 the commune chairman receives at least 2 days a month (Law 136/2025)
    assert item["rule"]["key"] == "tcd.commune_chairman.2026" and item["rule"]["evidence"] == "secondary"
    assert (item["measure"], item["required"], item["met"], item["compliant"]) == ("days", 2, 1, False)
    assert item["head_session_days"] == ["2026-11-05"]
    assert view["not_compliant"] >= 1

    await record(client, desk, held_on="2026-11-19", visitors=3, delegations=0)
    item = (await compliance(client, actors["ward_supervisor"], year=2026, month=11, org="UBND-00070"))["items"][0]
    assert (item["met"], item["compliant"]) == (2, True)

    # before 1 Jul 2026: one day every week (Luật Tiếp công dân Art 15(2)(d)); March 2026 has the
    # weeks of 2, 9, 16 and 23 March (by their Thursday); sessions in two of them
    await record(client, desk, held_on="2026-03-02")
    await record(client, desk, held_on="2026-03-13")
    item = (await compliance(client, actors["supervisor"], year=2026, month=3, org="UBND-00070"))["items"][0]
    assert item["rule"]["key"] == "tcd.commune_chairman" and "Art 15(2)(d)" in item["rule"]["source"]
    assert (item["measure"], item["required"], item["met"], item["compliant"]) == ("weeks", 4, 2, False)
    assert item["weeks_missed"] == ["2026-03-16", "2026-03-23"]


async def test_the_city_chairman_at_the_citizen_reception_office(client, actors):
    # the city's citizen reception board records the chairman's session at its office (same unit)
    s = await record(
        client,
        actors["city_board"],
        org="UBND-01",
        host_title="Chủ tịch UBND thành phố",
        held_on="2026-10-15",
        visitors=25,
        delegations=2,
    )
    assert s["org"] == "UBND-01"
    city = await compliance(client, actors["supervisor"], year=2026, month=10, org="UBND-01")
    item = city["items"][0]
    # Luật Tiếp công dân Art 12(5): at least one day a month
    assert item["rule"]["key"] == "tcd.province_chairman" and item["compliant"] is True and city["month_complete"]
    november = (await compliance(client, actors["supervisor"], year=2026, month=11, org="UBND-01"))["items"][0]
    assert (november["required"], november["met"], november["compliant"]) == (1, 0, False)
    # a city supervisor sees every ward's chairman; a ward's supervisor only their own
    everyone = await compliance(client, actors["supervisor"], year=2026, month=11)
    assert len([i for i in everyone["items"] if i["org"].startswith("UBND-")]) >= 127
    ward_only = await compliance(client, actors["ward_supervisor"], year=2026, month=11)
    assert [i["org"] for i in ward_only["items"]] == ["UBND-00070"]


async def test_scoping_roles_and_bad_input(client, actors):
    desk = actors["ward_desk"]
    mine = await record(client, desk)
    listed = (await client.get("/api/v1/reception-sessions", headers=actors["supervisor"])).json()["items"]
    assert mine["id"] in [s["id"] for s in listed]
    # another ward neither sees it nor counts it
    other = (await client.get("/api/v1/reception-sessions", headers=actors["other_desk"])).json()["items"]
    assert mine["id"] not in [s["id"] for s in other]
    assert (await compliance(client, actors["other_desk"], org="UBND-00070"))["items"] == []
    # roles: supervisors read, desks and handlers record
    assert_problem(
        await client.post("/api/v1/reception-sessions", json=session_body(), headers=actors["supervisor"]), 403
    )
    # a ward records its own sessions, not another ward's
    assert_problem(
        await client.post("/api/v1/reception-sessions", json=session_body(org="UBND-00004"), headers=desk), 403
    )
    elsewhere = await new_case(client, actors["other_desk"], location_unit_code="00004")
    for body, field in (
        (session_body(held_on="2026-11-28"), "body.held_on"),
        (session_body(visitors=-1), "body.visitors"),
        (session_body(led_by_head="yes"), "body.led_by_head"),
        (session_body(case_ids=[elsewhere["id"]]), "body.case_ids.0"),
        (session_body(org="NOPE"), "body.org"),
    ):
        assert_problem(await client.post("/api/v1/reception-sessions", json=body, headers=desk), 422, field)
    assert_problem(
        await client.get("/api/v1/reception-sessions/compliance", params={"month": 13}, headers=desk),
        422,
        "query.month",
    )
    assert_problem(
        await client.get("/api/v1/reception-sessions/compliance", params={"unit": "99999"}, headers=desk),
        422,
        "query.unit",
    )
    # pages
    await record(client, desk, held_on="2026-11-06")
    page = (
        await client.get("/api/v1/reception-sessions", params={"limit": 1, "org": "UBND-00070"}, headers=desk)
    ).json()
    rest = (
        await client.get(
            "/api/v1/reception-sessions", params={"cursor": page["next_cursor"], "org": "UBND-00070"}, headers=desk
        )
    ).json()
    assert [s["held_on"] for s in page["items"] + rest["items"]] == ["2026-11-06", "2026-11-05"]
