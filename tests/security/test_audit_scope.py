"""The audit trail is scoped by jurisdiction for every role (B4): a ward admin reads the events of
the cases, users and organisations of the ward, not of another ward's, nor the city's
configuration; checking the whole chain is for city-wide auditors."""

from __future__ import annotations

from tests.api.casekit import new_case
from tests.conftest import assert_problem


async def _events(client, headers, query: str = "") -> list[dict]:
    out, cursor = [], None
    while True:
        url = f"/api/v1/audit?limit=200{query}" + (f"&cursor={cursor}" if cursor else "")
        resp = await client.get(url, headers=headers)
        assert resp.status_code == 200, resp.text
        out += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return out


async def test_a_ward_admin_reads_the_wards_events_only(client, make_user, admin_headers):
    _, hk_desk = await make_user("reception", "MTTQ-00070")
    _, bd_desk = await make_user("reception", "MTTQ-00004")
    _, hk_admin = await make_user("admin", "UBND-00070")
    _, hk_super = await make_user("supervisor", "HDND-00070")
    hk_case = await new_case(client, hk_desk, location_unit_code="00070")
    bd_case = await new_case(client, bd_desk, location_unit_code="00004")
    users = {}
    for name, org in (("hk.user", "UBND-00070"), ("bd.user", "UBND-00004")):
        resp = await client.post(
            "/api/v1/users",
            headers=admin_headers,
            json={"username": name, "password": "a-long-password-1", "role": "handler", "org": org},
        )
        users[name] = str(resp.json()["id"])
    orgs = {}
    for code, unit in (("TO-HK", "00070"), ("TO-BD", "00004")):
        resp = await client.post(
            "/api/v1/organizations",
            headers=admin_headers,
            json={"code": code, "name": f"Tổ {code}", "kind": "other", "unit_code": unit},
        )
        assert resp.status_code == 201, resp.text
        orgs[code] = str(resp.json()["id"])
    rule = await client.post(
        "/api/v1/routing/rules",
        headers=admin_headers,
        json={"field": "land", "unit_code": "00004", "org_code": "UBND-00004"},
    )
    assert rule.status_code == 201

    seen = await _events(client, hk_admin)
    case_ids = {e["case_id"] for e in seen if e["case_id"] is not None}
    assert hk_case["id"] in case_ids and bd_case["id"] not in case_ids
    about = {(e["entity"], e["entity_id"]) for e in seen}
    assert ("user", users["hk.user"]) in about and ("user", users["bd.user"]) not in about
    assert ("organization", orgs["TO-HK"]) in about and ("organization", orgs["TO-BD"]) not in about
    assert not {e["entity"] for e in seen} & {"routing_rule", "reference", "calendar", "deadline_rule"}
    # a filter cannot reach past the scope
    assert await _events(client, hk_admin, f"&case_id={bd_case['id']}") == []

    # a ward supervisor: the ward's cases, nothing about accounts
    sup_seen = await _events(client, hk_super)
    assert {e["case_id"] for e in sup_seen} == {hk_case["id"]}

    # the city's admin reads everything
    city = await _events(client, admin_headers)
    city_about = {(e["entity"], e["entity_id"]) for e in city}
    assert {("user", users["bd.user"]), ("organization", orgs["TO-BD"])} <= city_about
    assert bd_case["id"] in {e["case_id"] for e in city} and "routing_rule" in {e["entity"] for e in city}


async def test_only_city_wide_auditors_check_the_whole_chain(client, make_user, admin_headers):
    _, hk_admin = await make_user("admin", "UBND-00070")
    _, hk_super = await make_user("supervisor", "HDND-00070")
    _, city_super = await make_user("supervisor", "HDND-01")
    for headers in (hk_admin, hk_super):
        assert_problem(await client.get("/api/v1/audit/verify", headers=headers), 403)
        assert_problem(await client.get("/api/v1/audit/head", headers=headers), 403)
    for headers in (admin_headers, city_super):
        assert (await client.get("/api/v1/audit/verify", headers=headers)).json()["ok"] is True
        assert (await client.get("/api/v1/audit/head", headers=headers)).status_code == 200
