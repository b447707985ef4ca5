"""Reference data: Hanoi's 126 wards/communes with official codes, their organisations, admin writes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models.audit import AuditEvent
from tests.conftest import assert_problem

# Official codes (vietnam-provinces, after the 1 July 2025 reform), checked by hand.
OFFICIAL = {
    "01": "Thành phố Hà Nội",
    "00070": "Phường Hoàn Kiếm",
    "00073": "Phường Cửa Nam",
    "00004": "Phường Ba Đình",
    "00256": "Phường Hai Bà Trưng",
    "00433": "Xã Nội Bài",
}


@pytest.fixture
async def reader(make_user):
    return (await make_user("reception", "MTTQ-00070"))[1]


async def _walk(client, url, headers, limit):
    """Follow next_cursor to the end; return every item in order and the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in url else "?"
        resp = await client.get(f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 100, "pagination does not end"


async def test_units_list_hanoi_and_its_126_wards_and_communes(client, reader):
    resp = await client.get("/api/v1/units", headers=reader)
    assert resp.status_code == 200
    body = resp.json()
    units = {u["code"]: u for u in body["items"]}
    assert len(units) == 127 and body["next_cursor"] is None
    for code, name in OFFICIAL.items():
        assert units[code]["name"] == name
    assert units["01"] == {**units["01"], "level": "city", "parent_code": None}
    assert units["00070"] == {**units["00070"], "level": "commune", "parent_code": "01"}
    communes = [u for u in units.values() if u["level"] == "commune"]
    assert len(communes) == 126 and all(u["parent_code"] == "01" for u in communes)
    assert all(len(code) == 5 and code.isdigit() for code in units if code != "01")


async def test_units_filters_parent_and_level(client, reader):
    children = (await client.get("/api/v1/units?parent=01", headers=reader)).json()["items"]
    assert len(children) == 126 and "01" not in {u["code"] for u in children}
    city = (await client.get("/api/v1/units?level=city", headers=reader)).json()["items"]
    assert [u["code"] for u in city] == ["01"]
    assert (await client.get("/api/v1/units?parent=00070", headers=reader)).json()["items"] == []


@pytest.mark.parametrize("q", ["hoan kiem", "Hoàn Kiếm", "HOAN KIEM", "phường hoàn kiếm", "00070"])
async def test_units_search_ignores_diacritics_and_case(client, reader, q):
    found = (await client.get("/api/v1/units", params={"q": q}, headers=reader)).json()["items"]
    assert [u["code"] for u in found] == ["00070"]


async def test_units_search_for_a_name_shared_by_no_unit_is_empty(client, reader):
    assert (await client.get("/api/v1/units", params={"q": "atlantis"}, headers=reader)).json()["items"] == []


@pytest.mark.parametrize("q", ["%", "%%%", "100%"])
async def test_units_search_wildcards_are_literal(client, reader, q):
    assert (await client.get("/api/v1/units", params={"q": q}, headers=reader)).json()["items"] == []


async def test_one_unit_by_code_and_unknown_is_404(client, reader):
    resp = await client.get("/api/v1/units/00070", headers=reader)
    assert resp.json()["name"] == "Phường Hoàn Kiếm"
    assert_problem(await client.get("/api/v1/units/99999", headers=reader), 404)


async def test_units_keyset_pagination_walks_all_127_without_duplicates(client, reader):
    items, pages = await _walk(client, "/api/v1/units", reader, 20)
    codes = [u["code"] for u in items]
    assert len(codes) == 127 and len(set(codes)) == 127
    assert codes == sorted(codes) and pages == 7


async def test_bad_cursor_is_422_naming_cursor(client, reader):
    for cursor in ("not-a-cursor!!", "WzEsMiwzXQ", "bnVsbA"):  # garbage, [1,2,3], null
        assert_problem(await client.get("/api/v1/units", params={"cursor": cursor}, headers=reader), 422, "cursor")


async def test_organisations_seeded_for_the_city_and_every_ward(client, reader):
    orgs, _ = await _walk(client, "/api/v1/organizations", reader, 200)
    codes = {o["code"] for o in orgs}
    assert len(orgs) == len(codes) == 384
    units = (await client.get("/api/v1/units", headers=reader)).json()["items"]
    for u in units:
        for prefix in ("UBND", "HDND", "MTTQ"):
            assert f"{prefix}-{u['code']}" in codes
    assert {"TTR-01", "BDV-01", "BTCD-01"} <= codes
    by_code = {o["code"]: o for o in orgs}
    assert by_code["TTR-01"]["kind"] == "inspectorate" and by_code["TTR-01"]["unit_code"] == "01"
    assert by_code["BDV-01"]["kind"] == "mass_mobilization_board"
    assert by_code["BTCD-01"]["kind"] == "citizen_reception_board"
    assert by_code["MTTQ-01"]["kind"] == "fatherland_front"
    assert by_code["UBND-00070"] == {**by_code["UBND-00070"], "kind": "people_committee", "unit_code": "00070"}
    assert set(by_code["UBND-00070"]) >= {"id", "code", "name", "kind", "unit_code"}


async def test_organisations_filter_by_unit_and_kind(client, reader):
    ward = (await client.get("/api/v1/organizations?unit=00070", headers=reader)).json()["items"]
    assert {(o["code"], o["kind"]) for o in ward} == {
        ("UBND-00070", "people_committee"),
        ("HDND-00070", "people_council"),
        ("MTTQ-00070", "fatherland_front"),
    }
    fronts, _ = await _walk(client, "/api/v1/organizations?kind=fatherland_front", reader, 200)
    assert len(fronts) == 127 and all(o["kind"] == "fatherland_front" for o in fronts)
    city_insp = (await client.get("/api/v1/organizations?unit=01&kind=inspectorate", headers=reader)).json()["items"]
    assert [o["code"] for o in city_insp] == ["TTR-01"]
    assert_problem(await client.get("/api/v1/organizations?kind=bank", headers=reader), 422, "kind")
    assert (await client.get("/api/v1/organizations", params={"q": "%"}, headers=reader)).json()["items"] == []


async def test_one_organisation_by_code_or_id(client, reader):
    org = (await client.get("/api/v1/organizations/MTTQ-01", headers=reader)).json()
    assert (await client.get(f"/api/v1/organizations/{org['id']}", headers=reader)).json() == org
    assert_problem(await client.get("/api/v1/organizations/NOPE-1", headers=reader), 404)


async def _last_event(db) -> AuditEvent:
    return (
        await db.session.execute(
            select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def test_admin_adds_an_organisation_and_it_is_audited(client, admin_headers, db):
    body = {
        "code": "SO-TNMT",
        "name": "Sở Nông nghiệp và Môi trường",
        "kind": "department",
        "unit_code": "01",
        "parent_code": "UBND-01",
    }
    resp = await client.post("/api/v1/organizations", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    org = resp.json()
    assert org["code"] == "SO-TNMT" and org["name"] == body["name"] and org["kind"] == "department"
    ev = await _last_event(db)
    assert (ev.action, ev.entity, ev.entity_id, ev.role) == (
        "organization.create",
        "organization",
        str(org["id"]),
        "admin",
    )
    assert ev.changes["code"] == "SO-TNMT" and ev.request_id == resp.headers["x-request-id"]
    listed = (await client.get("/api/v1/organizations?kind=department", headers=admin_headers)).json()["items"]
    assert [o["code"] for o in listed] == ["SO-TNMT"]


async def test_organisation_duplicate_is_409_and_unknown_unit_422(client, admin_headers, db):
    before = await _last_event(db)
    dup = {"code": "UBND-01", "name": "x", "kind": "people_committee", "unit_code": "01"}
    assert_problem(await client.post("/api/v1/organizations", json=dup, headers=admin_headers), 409)
    nowhere = {"code": "SO-X", "name": "x", "kind": "department", "unit_code": "99999"}
    assert_problem(await client.post("/api/v1/organizations", json=nowhere, headers=admin_headers), 422, "unit_code")
    orphan = {"code": "SO-Y", "name": "x", "kind": "department", "unit_code": "01", "parent_code": "NOPE"}
    assert_problem(await client.post("/api/v1/organizations", json=orphan, headers=admin_headers), 422, "parent_code")
    assert (await _last_event(db)).seq == before.seq  # a refused write leaves no event


async def test_admin_adds_a_legacy_district_and_a_unit_below_it(client, admin_headers, db):
    district = {
        "code": "001",
        "name": "Quận Ba Đình",
        "level": "district",
        "parent_code": "01",
        "division_type": "quận",
        "valid_to": "2025-06-30",
    }
    resp = await client.post("/api/v1/units", json=district, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        **resp.json(),
        "code": "001",
        "level": "district",
        "parent_code": "01",
        "valid_to": "2025-06-30",
    }
    ev = await _last_event(db)
    assert (ev.action, ev.entity, ev.entity_id) == ("unit.create", "unit", "001")
    ward = {"code": "00001", "name": "Phường Phúc Xá", "level": "commune", "parent_code": "001"}
    assert (await client.post("/api/v1/units", json=ward, headers=admin_headers)).status_code == 201
    assert [
        u["code"] for u in (await client.get("/api/v1/units?parent=001", headers=admin_headers)).json()["items"]
    ] == ["00001"]
    found = (await client.get("/api/v1/units", params={"q": "phuc xa"}, headers=admin_headers)).json()["items"]
    assert [u["code"] for u in found] == ["00001"]
    # an organisation can sit at the new unit
    org = {"code": "UBND-001", "name": "UBND Quận Ba Đình", "kind": "people_committee", "unit_code": "001"}
    assert (await client.post("/api/v1/organizations", json=org, headers=admin_headers)).status_code == 201


async def test_unit_duplicate_409_unknown_parent_422(client, admin_headers):
    dup = {"code": "00070", "name": "x", "level": "commune", "parent_code": "01"}
    assert_problem(await client.post("/api/v1/units", json=dup, headers=admin_headers), 409)
    orphan = {"code": "77777", "name": "x", "level": "commune", "parent_code": "66666"}
    assert_problem(await client.post("/api/v1/units", json=orphan, headers=admin_headers), 422, "parent_code")
    parentless = {"code": "77777", "name": "x", "level": "commune"}
    assert_problem(await client.post("/api/v1/units", json=parentless, headers=admin_headers), 422, "parent_code")
    bad_level = {"code": "77777", "name": "x", "level": "hamlet", "parent_code": "01"}
    assert_problem(await client.post("/api/v1/units", json=bad_level, headers=admin_headers), 422, "level")


@pytest.mark.parametrize("role", ["reception", "handler", "supervisor"])
async def test_only_an_admin_may_add_reference_data(client, make_user, role):
    _, headers = await make_user(role, "UBND-01")
    org = {"code": "SO-Z", "name": "x", "kind": "department", "unit_code": "01"}
    unit = {"code": "88888", "name": "x", "level": "commune", "parent_code": "01"}
    assert_problem(await client.post("/api/v1/organizations", json=org, headers=headers), 403)
    assert_problem(await client.post("/api/v1/units", json=unit, headers=headers), 403)


async def test_reference_data_needs_a_token(client):
    for path in ("/api/v1/units", "/api/v1/organizations", "/api/v1/units/00070"):
        assert_problem(await client.get(path), 401)
    org = {"code": "SO-Z", "name": "x", "kind": "department", "unit_code": "01"}
    assert_problem(await client.post("/api/v1/organizations", json=org), 401)


# The materialised path ("01/00070/") is what jurisdiction is computed from: a unit code with a "/"
# would put a unit inside another's subtree.
@pytest.mark.parametrize("code", ["00070/x", "a b", "ward;1"])
async def test_unit_code_outside_the_pattern_is_422(client, admin_headers, code):
    unit = {"code": code, "name": "x", "level": "commune", "parent_code": "01"}
    assert_problem(await client.post("/api/v1/units", json=unit, headers=admin_headers), 422, "code")


async def test_organisation_code_outside_the_pattern_is_422(client, admin_headers):
    org = {"code": "SO X/1", "name": "x", "kind": "department", "unit_code": "01"}
    assert_problem(await client.post("/api/v1/organizations", json=org, headers=admin_headers), 422, "code")
