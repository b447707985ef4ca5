"""The deadline engine over HTTP, the admin's calendar overrides and rule settings, and routing
rules as data."""

from __future__ import annotations

from tests.api.casekit import new_case
from tests.conftest import assert_problem


async def test_due_date_endpoint(client, make_user):
    _, h = await make_user("reception", "MTTQ-01")
    # 10 working days from Fri 20 Nov 2026, skipping Tue 24 Nov (Ngày Văn hóa Việt Nam) → Mon 7 Dec
    r = await client.get("/api/v1/calendar/due-date?start=2026-11-20&days=10&mode=working", headers=h)
    assert r.status_code == 200 and r.json()["due"] == "2026-12-07"
    # Civil Code Art 147–148(5): 30 days from Thu 1 Oct 2026 = Sat 31 Oct → Mon 2 Nov
    r = await client.get("/api/v1/calendar/due-date?start=2026-10-01&days=30&mode=calendar", headers=h)
    assert r.json()["due"] == "2026-11-02" and "148(5)" in r.json()["rule"]
    # across Tết 2026 (14–22 Feb): 5 WD from Thu 12 Feb → 13, 23, 24, 25, 26 Feb
    r = await client.get("/api/v1/calendar/due-date?start=2026-02-12&days=5&mode=working", headers=h)
    assert r.json()["due"] == "2026-02-26"
    for q, field in (
        ("start=2026-13-01&days=1", "start"),
        ("start=2026-01-01&days=-1", "days"),
        ("start=2026-01-01&days=1&mode=lunar", "mode"),
        ("days=3", "start"),
    ):
        assert_problem(await client.get(f"/api/v1/calendar/due-date?{q}", headers=h), 422, f"query.{field}")
    assert_problem(await client.get("/api/v1/calendar/due-date?start=2026-01-01&days=1"), 401)


async def test_overrides_change_working_days_and_new_cases_follow(client, make_user):
    _, admin = await make_user("admin", "UBND-01")
    _, desk = await make_user("reception", "MTTQ-01")
    # The Government decrees Mon 30 Nov 2026 a day off, and Sat 5 Dec a make-up working day.
    body = {
        "year": 2026,
        "overrides": [
            {"day": "2026-11-30", "working": False, "note": "Nghỉ bù (giả định)"},
            {"day": "2026-12-05", "working": True, "note": "Làm bù"},
        ],
    }
    r = await client.put("/api/v1/calendar/overrides", json=body, headers=admin)
    assert r.status_code == 200 and len(r.json()["overrides"]) == 2
    got = await client.get("/api/v1/calendar/overrides?year=2026", headers=admin)
    assert [o["day"] for o in got.json()["overrides"]] == ["2026-11-30", "2026-12-05"]
    # 1 WD from Fri 27 Nov → Tue 1 Dec (Mon 30 Nov is now off); 1 WD from Fri 4 Dec → Sat 5 Dec (worked)
    r = await client.get("/api/v1/calendar/due-date?start=2026-11-27&days=1&mode=working", headers=desk)
    assert r.json()["due"] == "2026-12-01"
    r = await client.get("/api/v1/calendar/due-date?start=2026-12-04&days=1&mode=working", headers=desk)
    assert r.json()["due"] == "2026-12-05"
    case = await new_case(client, desk, received_on="2026-11-27", kind="denunciation")
    # 7 WD (Luật Tố cáo Art 24(1)) from Fri 27 Nov: 1, 2, 3, 4, Sat 5, 7, 8 → Tue 8 Dec
    assert case["due"] == "2026-12-08"
    assert_problem(await client.get("/api/v1/calendar/overrides", headers=desk), 403)
    assert_problem(await client.put("/api/v1/calendar/overrides", json=body, headers=desk), 403)
    dup = {"overrides": [{"day": "2026-11-30", "working": False}, {"day": "2026-11-30", "working": True}]}
    assert_problem(await client.put("/api/v1/calendar/overrides", json=dup, headers=admin), 422, "body.overrides")
    wrong_year = {"year": 2027, "overrides": [{"day": "2026-11-30", "working": False}]}
    assert_problem(await client.put("/api/v1/calendar/overrides", json=wrong_year, headers=admin), 422)
    audit = (await client.get("/api/v1/audit?action=calendar.overrides_replace", headers=admin)).json()["items"]
    assert audit and audit[-1]["changes"]["to"] == {"2026-11-30": False, "2026-12-05": True}


async def test_rule_table_and_local_defaults(client, make_user):
    _, admin = await make_user("admin", "UBND-01")
    _, desk = await make_user("reception", "MTTQ-01")
    rules = (await client.get("/api/v1/calendar/rules", headers=desk)).json()
    by_key = {r["key"]: r for r in rules}
    assert by_key["complaint.r1.resolution"]["days"] == 30 and "Art 28" in by_key["complaint.r1.resolution"]["source"]
    local = [r for r in rules if r["local_default"]]
    assert local and all(r["kind"] in ("petition", "reflection") for r in local)
    statutory = "complaint.r1.resolution"
    assert_problem(
        await client.put(f"/api/v1/calendar/rules/{statutory}", json={"days": 20, "mode": "calendar"}, headers=admin),
        409,
    )
    key = next(r["key"] for r in local if r["stage"] == "resolution" and r["kind"] == "petition")
    r = await client.put(f"/api/v1/calendar/rules/{key}", json={"days": 15, "mode": "working"}, headers=admin)
    assert r.status_code == 200 and r.json()["days"] == 15 and r.json()["mode"] == "working"
    assert_problem(
        await client.put(f"/api/v1/calendar/rules/{key}", json={"days": 0, "mode": "working"}, headers=admin),
        422,
        "body.days",
    )
    assert_problem(
        await client.put(f"/api/v1/calendar/rules/{key}", json={"days": 5, "mode": "working"}, headers=desk), 403
    )
    assert_problem(
        await client.put("/api/v1/calendar/rules/nope", json={"days": 5, "mode": "working"}, headers=admin), 404
    )


async def test_routing_rules_steer_the_suggestion(client, make_user):
    _, admin = await make_user("admin", "UBND-01")
    _, desk = await make_user("reception", "MTTQ-01")
    assert (await new_case(client, desk, kind="denunciation", field="corruption"))["suggested_org"][
        "code"
    ] == "UBND-00070"
    r = await client.post(
        "/api/v1/routing/rules",
        headers=admin,
        json={
            "kind": "denunciation",
            "field": "corruption",
            "unit_code": "01",
            "org_code": "TTR-01",
            "note": "Tố cáo tham nhũng: Thanh tra Thành phố",
        },
    )
    assert r.status_code == 201
    rule_id = r.json()["id"]
    assert (await new_case(client, desk, kind="denunciation", field="corruption"))["suggested_org"]["code"] == "TTR-01"
    # other kinds and fields keep the ward's People's Committee
    assert (await new_case(client, desk, kind="complaint", field="land"))["suggested_org"]["code"] == "UBND-00070"
    assert_problem(
        await client.post("/api/v1/routing/rules", headers=admin, json={"org_code": "NOPE"}), 422, "body.org_code"
    )
    assert_problem(await client.post("/api/v1/routing/rules", headers=desk, json={"org_code": "TTR-01"}), 403)
    assert (await client.delete(f"/api/v1/routing/rules/{rule_id}", headers=admin)).status_code == 204
    assert_problem(await client.delete(f"/api/v1/routing/rules/{rule_id}", headers=admin), 404)
    assert (await new_case(client, desk, kind="denunciation", field="corruption"))["suggested_org"][
        "code"
    ] == "UBND-00070"


async def test_ward_supervisor_reads_only_its_cases_trail(client, make_user):
    _, hk_desk = await make_user("reception", "MTTQ-00070")
    _, bd_desk = await make_user("reception", "MTTQ-00004")
    _, hk_sup = await make_user("supervisor", "HDND-00070")
    mine = await new_case(client, hk_desk)
    theirs = await new_case(client, bd_desk, location_unit_code="00004")
    events = (await client.get("/api/v1/audit", headers=hk_sup)).json()["items"]
    case_ids = {e["case_id"] for e in events}
    assert mine["id"] in case_ids and theirs["id"] not in case_ids
    assert (await client.get(f"/api/v1/audit?case_id={theirs['id']}", headers=hk_sup)).json()["items"] == []
    assert_problem(await client.get("/api/v1/audit", headers=hk_desk), 403)
