"""Bad input is a 4xx problem naming the field, never a 500: one regression test per 500 the
Schemathesis run (tests/test_openapi_fuzz.py) found or that only PostgreSQL would show.

Runs on the shared test database (SQLite, or PostgreSQL with TEST_DATABASE_URL), so the
PostgreSQL-only failures (NUL characters, integers beyond int4) are checked there too.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import TEST_PASSWORD, assert_problem

CASE = {
    "kind": "petition",
    "channel": "online",
    "title": "Kiến nghị sửa đường",
    "content": "Đường hỏng",
    "field": "other",
    "location_unit_code": "00070",
    "petitioners": [{"full_name": "Trần Văn Bình"}],
}


@pytest.fixture
async def desk(make_user):
    return (await make_user("reception", "MTTQ-01"))[1]


def _cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path,field",
    [
        ("/api/v1/cases/99999999999999999999", "path.case_id"),  # SQLite: OverflowError
        ("/api/v1/cases/2147483648", "path.case_id"),  # PostgreSQL: int4 out of range
        ("/api/v1/cases/-392300263405482088314437632/actions", "path.case_id"),
        ("/api/v1/cases/44106540637165805746445321502720/history", "path.case_id"),
        ("/api/v1/users/2147483648", "path.user_id"),
        ("/api/v1/audit?case_id=2147483648", "query.case_id"),
        ("/api/v1/audit/verify?head_seq=2147483648", "query.head_seq"),
    ],
)
async def test_ids_beyond_the_database_integer_are_422(client, admin_headers, path, field):
    assert_problem(await client.get(path, headers=admin_headers), 422, field)


async def test_routing_rule_id_beyond_the_database_integer_is_422(client, admin_headers):
    resp = await client.delete("/api/v1/routing/rules/53203404967839990284288", headers=admin_headers)
    assert_problem(resp, 422, "path.rule_id")


@pytest.mark.parametrize("code", ["³", "٣", "99999999999999999999", "2147483648"])
async def test_organisation_lookup_by_an_odd_number_is_404(client, admin_headers, code):
    # "³".isdigit() is True and int("³") raises: this was a 500
    assert_problem(await client.get(f"/api/v1/organizations/{code}", headers=admin_headers), 404)


async def test_organisation_lookup_by_numeric_id_still_works(client, admin_headers):
    org = (await client.get("/api/v1/organizations/UBND-00070", headers=admin_headers)).json()
    assert (await client.get(f"/api/v1/organizations/{org['id']}", headers=admin_headers)).json() == org


@pytest.mark.parametrize(
    "body,field",
    [
        ({**CASE, "title": "Kiến nghị\x00"}, "body.title"),
        ({**CASE, "petitioners": [{"full_name": "Trần\x00Bình"}]}, "body.petitioners.0.full_name"),
        ({**CASE, "content": "\x00"}, "body.content"),
    ],
)
async def test_nul_characters_in_a_body_are_422_naming_the_field(client, desk, body, field):
    # PostgreSQL refuses NUL in text: without the check this is a 500 there
    assert_problem(await client.post("/api/v1/cases", json=body, headers=desk), 422, field)


async def test_nul_characters_in_query_path_and_form_are_422(client, admin_headers):
    assert_problem(await client.get("/api/v1/cases?q=a%00b", headers=admin_headers), 422, "query.q")
    assert_problem(await client.get("/api/v1/units/0%0070", headers=admin_headers), 422, "path.code")
    resp = await client.post("/api/v1/auth/token", data={"username": "ad\x00min", "password": TEST_PASSWORD})
    assert_problem(resp, 422, "body.username")


async def test_an_escaped_backslash_is_not_a_nul(client, desk):
    resp = await client.post("/api/v1/cases", json={**CASE, "content": "C:\\u0000"}, headers=desk)
    assert resp.status_code == 201, resp.text
    assert (await client.get(f"/api/v1/cases/{resp.json()['id']}", headers=desk)).json()["content"] == "C:\\u0000"


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/calendar/due-date?start=9999-12-01&days=3650", "query.start"),  # OverflowError past 9999-12-31
        ("/api/v1/calendar/due-date?start=0001-01-01&days=1", "query.start"),
        ("/api/v1/audit?to=9999-12-31", "query.to"),  # to + 1 day overflowed
        ("/api/v1/audit?from=0001-01-01", "query.from"),  # before year 1 in UTC: asyncpg cannot encode it
    ],
)
async def test_dates_far_out_of_range_are_422(client, admin_headers, url, field):
    assert_problem(await client.get(url, headers=admin_headers), 422, field)


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-11-20T00:00", "20261120"])
async def test_a_date_is_written_yyyy_mm_dd(client, admin_headers, value):
    # pydantic's lax mode read 0 as 1970-01-01 (a Unix timestamp)
    resp = await client.get(f"/api/v1/cases?received_to={value}", headers=admin_headers)
    assert_problem(resp, 422, "query.received_to")


@pytest.mark.parametrize(
    "over,field",
    [
        ({"remote_area": 0}, "body.remote_area"),
        ({"anonymous": "false"}, "body.anonymous"),
        ({"petitioner_count": True}, "body.petitioner_count"),
        ({"received_on": 0}, "body.received_on"),
        ({"parent_case_id": 2147483648}, "body.parent_case_id"),
    ],
)
async def test_body_types_are_not_coerced(client, desk, over, field):
    assert_problem(await client.post("/api/v1/cases", json={**CASE, **over}, headers=desk), 422, field)


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("abc", 1),  # not a date for the default sort (-received_on): date.fromisoformat raised
        _cursor(5, 1),  # a cursor from a list sorted by id
        _cursor("2026-11-20", "x"),
        _cursor("2026-11-20", 99999999999999999999),
        _cursor("2026-11-20\x00", 1),
    ],
)
async def test_a_forged_case_list_cursor_is_422(client, admin_headers, cursor):
    assert_problem(await client.get(f"/api/v1/cases?cursor={cursor}", headers=admin_headers), 422, "query.cursor")


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/users?cursor={_cursor('abc')}",  # int("abc") raised
        f"/api/v1/audit?cursor={_cursor('abc')}",
        f"/api/v1/audit?cursor={_cursor(2**40)}",
        "/api/v1/units?cursor=" + _cursor("0\x00"),
    ],
)
async def test_forged_cursors_elsewhere_are_422(client, admin_headers, url):
    assert_problem(await client.get(url, headers=admin_headers), 422, "query.cursor")


async def test_a_body_that_is_not_utf8_is_422_naming_the_body(client, desk):
    headers = {**desk, "Content-Type": "application/json"}
    resp = await client.post("/api/v1/cases", content=b"\xff\xfe{", headers=headers)
    assert_problem(resp, 422, "body")


async def test_a_malformed_multipart_body_is_422_naming_the_body(client, desk):
    # Starlette answers "Missing boundary in multipart." with a bare 400
    bad = {"Content-Type": "multipart/form-data"}
    assert_problem(await client.post("/api/v1/auth/token", content=b"x", headers=bad), 422, "body")
    assert_problem(await client.post("/api/v1/cases", content=b"x", headers={**desk, **bad}), 422, "body")


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null", b"{"])
async def test_a_json_body_that_is_not_an_object_is_422(client, desk, raw):
    resp = await client.post("/api/v1/cases", content=raw, headers={**desk, "Content-Type": "application/json"})
    assert_problem(resp, 422, "body")


async def test_an_overlong_username_is_422_not_a_database_error(client, admin_headers):
    user = {"username": "u" * 65, "password": "a-long-password", "role": "handler", "org": "UBND-00070"}
    assert_problem(await client.post("/api/v1/users", json=user, headers=admin_headers), 422, "body.username")


async def test_an_overlong_idempotency_key_is_422(client, desk):
    resp = await client.post("/api/v1/cases", json=CASE, headers={**desk, "Idempotency-Key": "k" * 129})
    assert_problem(resp, 422, "Idempotency-Key")


async def test_a_unit_tree_deeper_than_its_path_column_is_422(client, admin_headers):
    # each level adds its code and a "/" to the materialised path (200 characters at most)
    parent, status = "01", 201
    for level in range(20):
        code = f"D{level:02d}-{'x' * 12}"
        resp = await client.post(
            "/api/v1/units",
            json={"code": code, "name": code, "level": "district", "parent_code": parent},
            headers=admin_headers,
        )
        if resp.status_code != 201:
            status = resp.status_code
            break
        parent = code
    assert status == 422, resp.text
    assert_problem(resp, 422, "body.parent_code")


async def test_the_role_check_comes_before_the_nul_check(client, desk):
    """A reception desk posting to an admin-only route is told 403 whatever its body holds (the NUL
    check ran first, app-wide, and answered 422 to a caller that may not act at all)."""
    body = {"username": "x\x00y", "password": "p" * 12, "role": "reception", "org": "MTTQ-01", "full_name": "A"}
    assert_problem(await client.post("/api/v1/users", json=body, headers=desk), 403)
    assert_problem(await client.post("/api/v1/users", json=body), 401)
    assert_problem(await client.get("/api/v1/users?org=a%00b", headers=desk), 403)


def test_every_router_checks_its_input_after_auth():
    """Every route of every router is an InputRoute (app/routers/params.py): the NUL check is its
    endpoint's last dependency. A new router without it would answer a NUL with a 500 on PostgreSQL."""
    import importlib
    import pkgutil

    import app.routers
    from app.routers.params import InputRoute

    routes = []
    for info in pkgutil.iter_modules(app.routers.__path__):
        router = getattr(importlib.import_module(f"app.routers.{info.name}"), "router", None)
        routes += [(info.name, r) for r in getattr(router, "routes", [])]
    assert len(routes) > 30
    assert [(name, r.path) for name, r in routes if not isinstance(r, InputRoute)] == []


async def test_an_integral_json_number_is_an_integer(client, desk):
    """JSON Schema counts 1.0 as an integer, so the document admits it: the server reads it as 1."""
    resp = await client.post("/api/v1/cases", headers=desk, json={**CASE, "kind": "complaint", "complaint_round": 1.0})
    assert resp.status_code == 201, resp.text
    assert resp.json()["complaint_round"] == 1
    for bad in ("1", 1.5, True):
        body = {**CASE, "kind": "complaint", "complaint_round": bad}
        resp = await client.post("/api/v1/cases", headers=desk, json=body)
        assert_problem(resp, 422, "body.complaint_round")


@pytest.mark.parametrize(
    "over,field,kind",
    [
        ({"location_unit_code": "99999"}, "body.location_unit_code", "unknown_reference"),
        ({"received_on": "2100-01-01"}, "body.received_on", "rule"),  # in the future in Hanoi
        ({"kind": "petition", "complaint_round": 1}, "body.complaint_round", "rule"),
    ],
)
async def test_a_rule_refusing_schema_valid_input_says_so_in_the_error_type(client, desk, over, field, kind):
    body = assert_problem(await client.post("/api/v1/cases", json={**CASE, **over}, headers=desk), 422, field)
    assert [e["type"] for e in body["errors"]] == [kind], body


@pytest.mark.parametrize(
    "petitioner,field",
    [
        ({"full_name": " \u3000\t"}, "full_name"),
        ({"full_name": "A", "phone": "0912 34"}, "phone"),
        ({"full_name": "A", "id_number": "٠٠١٠٨٥٠١٢٣٤٥"}, "id_number"),  # Arabic-Indic digits were taken as digits
    ],
)
async def test_petitioner_fields_are_refused_by_their_documented_pattern(client, desk, petitioner, field):
    body = assert_problem(
        await client.post("/api/v1/cases", json={**CASE, "petitioners": [petitioner]}, headers=desk),
        422,
        f"body.petitioners.0.{field}",
    )
    assert body["errors"][0]["type"] == "string_pattern_mismatch"


async def test_petitioner_fields_may_carry_whitespace_around_them(client, desk):
    petitioner = {"full_name": " Trần  Bình ", "phone": " 0912 345 678 ", "id_number": "\t001085012345 "}
    resp = await client.post("/api/v1/cases", json={**CASE, "petitioners": [petitioner]}, headers=desk)
    assert resp.status_code == 201, resp.text
