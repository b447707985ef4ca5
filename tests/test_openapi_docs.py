"""/openapi.json describes the whole API: every contract path the app serves, a summary per
operation, the error responses (RFC 9457 problems) and an example for every request body.

The contract is /work/shared/product/api-contract.md; its operations are listed here so that the
test does not depend on a file outside the repository. Operations the app does not serve yet
(dialogues, reports, Open311, ...) are checked as soon as a route for them exists.
"""

from __future__ import annotations

import re

import pytest

CONTRACT = """
POST /api/v1/auth/token
GET /api/v1/auth/me
GET /api/v1/units
GET /api/v1/organizations
POST /api/v1/organizations
GET /api/v1/calendar/overrides
PUT /api/v1/calendar/overrides
GET /api/v1/calendar/due-date
POST /api/v1/cases
GET /api/v1/cases
GET /api/v1/cases/{id}
PATCH /api/v1/cases/{id}
GET /api/v1/cases/{id}/actions
POST /api/v1/cases/{id}/transitions
GET /api/v1/cases/{id}/history
POST /api/v1/dialogues
GET /api/v1/dialogues
GET /api/v1/dialogues/{id}
POST /api/v1/dialogues/{id}/transitions
POST /api/v1/dialogues/{id}/commitments
PATCH /api/v1/commitments/{id}
POST /api/v1/reception-sessions
GET /api/v1/reception-sessions
GET /api/v1/supervision/overview
POST /api/v1/supervision/recommendations
GET /api/v1/supervision/recommendations
POST /api/v1/supervision/recommendations/{id}/response
GET /api/v1/audit
GET /api/v1/audit/verify
GET /api/v1/reports/periodic
POST /api/v1/reports/snapshots
GET /api/v1/reports/snapshots/{id}
GET /api/v1/public/cases/{code}
GET /open311/v2/services.json
GET /open311/v2/services.xml
GET /open311/v2/services/{code}.json
GET /open311/v2/services/{code}.xml
GET /open311/v2/requests.json
GET /open311/v2/requests.xml
POST /open311/v2/requests.json
POST /open311/v2/requests.xml
GET /open311/v2/requests/{id}.json
GET /open311/v2/requests/{id}.xml
GET /open311/v2/tokens/{token}.json
GET /open311/v2/tokens/{token}.xml
POST /api/v1/api-keys
GET /api/v1/api-keys
DELETE /api/v1/api-keys/{id}
GET /healthz
GET /readyz
GET /metrics
"""
CONTRACT_OPS = [tuple(line.split()) for line in CONTRACT.strip().splitlines()]

# Served today: these must be found, so that the test cannot pass by matching nothing.
REQUIRED_PREFIXES = (
    "/api/v1/auth",
    "/api/v1/units",
    "/api/v1/organizations",
    "/api/v1/calendar",
    "/api/v1/cases",
    "/api/v1/audit",
    "/healthz",
    "/readyz",
    "/metrics",
)

PROBLEM = "application/problem+json"
NOT_PROBLEMS = {("get", "/readyz", "503")}  # readiness answers 503 with its own report, for load balancers
WRITE_METHODS = ("post", "put", "patch")


@pytest.fixture(scope="module")
def spec(app) -> dict:
    return app.openapi()


async def test_openapi_json_is_served(client, spec):
    resp = await client.get("/openapi.json")
    assert resp.status_code == 200
    assert resp.json() == spec


def _served(status: int, body: dict | list) -> bool:
    """The generic 404 (no route) and 405 (no such method on the route) mean: not served. (Open311
    paths answer errors as GeoReport's list of code and description.)"""
    detail = body.get("detail") if isinstance(body, dict) else (body[0].get("description") if body else None)
    return status != 405 and not (status == 404 and detail == "No resource at this path.")


def _documented_path(spec: dict, concrete: str) -> str | None:
    for template in spec["paths"]:
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), concrete):
            return template
    return None


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, op


async def test_every_contract_operation_the_app_serves_is_documented(client, spec):
    served = []
    for method, path in CONTRACT_OPS:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        resp = await client.request(method, concrete)
        body = resp.json() if "json" in resp.headers.get("content-type", "") else {}
        if not _served(resp.status_code, body):
            assert not path.startswith(REQUIRED_PREFIXES), f"{method} {path} is in the contract but not served"
            continue
        served.append((method, path))
        template = _documented_path(spec, concrete)
        assert template is not None and method.lower() in spec["paths"][template], (
            f"{method} {path} is served but not in /openapi.json"
        )
    assert len(served) >= 20, served


def test_every_operation_has_a_summary_and_documented_errors(spec):
    for method, path, op in _operations(spec):
        name = f"{method.upper()} {path}"
        assert op.get("summary"), f"{name} has no summary"
        responses = op["responses"]
        assert any(s.startswith("2") for s in responses), f"{name} documents no success"
        if op.get("security"):
            assert "401" in responses, f"{name} needs a token but documents no 401"
        georeport = path.startswith("/open311/")  # GeoReport v2: bad input is its 400, in its own error format
        if op.get("parameters") or op.get("requestBody"):
            assert ("400" if georeport else "422") in responses, f"{name} takes input but documents no 4xx for it"
        for status, response in responses.items():
            assert response.get("description"), f"{name} {status} has no description"
            if georeport and status[0] == "4":
                assert "items" in response["content"]["application/json"]["schema"], f"{name} {status}"
                assert "text/xml" in response["content"], f"{name} {status} documents no XML"
            elif status[0] in "45" and (method, path, status) not in NOT_PROBLEMS:
                content = response.get("content", {})
                assert list(content) == [PROBLEM], f"{name} {status} is not documented as {PROBLEM}: {list(content)}"
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}


def test_the_problem_schema_names_the_fields(spec):
    schemas = spec["components"]["schemas"]
    problem = schemas["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "errors" in problem["properties"] and problem.get("examples")
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 shape, which this service never sends


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_request_body_has_an_example(spec):
    bodies = 0
    for method, path, op in _operations(spec):
        if method not in WRITE_METHODS or "requestBody" not in op:
            continue
        for media_type, media in op["requestBody"]["content"].items():
            bodies += 1
            schema = _resolve(spec, media.get("schema", {}))
            has = "example" in media or "examples" in media or "example" in schema or "examples" in schema
            assert has, f"{method.upper()} {path} ({media_type}) has no request example"
    assert bodies >= 12


def _input_models():
    from app.models.calendar import CalendarOverridesUpdate, DeadlineRuleUpdate
    from app.models.cases import CaseCreate, CaseSplitCreate, CaseTransitionCreate, CaseUpdate
    from app.models.reference import OrgCreate, UnitCreate
    from app.models.routing import RoutingRuleCreate
    from app.models.users import UserCreate, UserUpdate

    return [
        CaseCreate,
        CaseUpdate,
        CaseSplitCreate,
        CaseTransitionCreate,
        OrgCreate,
        UnitCreate,
        UserCreate,
        UserUpdate,
        CalendarOverridesUpdate,
        DeadlineRuleUpdate,
        RoutingRuleCreate,
    ]


@pytest.mark.parametrize("model", _input_models(), ids=lambda m: m.__name__)
def test_request_examples_are_valid_against_their_models(model):
    """An example that the endpoint would reject with a 422 teaches clients the wrong thing."""
    examples = model.model_json_schema().get("examples")
    assert examples
    for example in examples:
        model.model_validate(example)


# ---- the document says exactly what the server accepts (app/openapi.py) ----------------------------


def _request_strings(spec: dict):
    """(where, schema) for every string schema a request can carry: parameters and bodies, through $refs."""
    seen: set[str] = set()

    def walk(schema, where):
        if isinstance(schema, list):
            for item in schema:
                yield from walk(item, where)
            return
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from walk(spec["components"]["schemas"][name], name)
        if schema.get("type") == "string":
            yield where, schema
        for key, sub in (schema.get("properties") or {}).items():
            yield from walk(sub, f"{where}.{key}")
        for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            if key in schema:
                yield from walk(schema[key], where)

    for method, path, op in _operations(spec):
        for p in op.get("parameters", []):
            yield from walk(p["schema"], f"{method.upper()} {path} {p['in']}.{p['name']}")
        for media in (op.get("requestBody") or {}).get("content", {}).values():
            yield from walk(media["schema"], f"{method.upper()} {path} body")


def test_no_request_string_admits_a_nul_character(spec):
    """A NUL is refused everywhere (app/routers/params.py), so every request string says so."""
    from app.openapi import NUL_FREE

    strings = list(_request_strings(spec))
    assert len(strings) > 50
    for where, schema in strings:
        if "enum" in schema or schema.get("format") in ("email", "binary", "date-time"):  # parsed, NUL-free
            continue
        assert "pattern" in schema, f"{where}: a string without a pattern admits NUL"
        assert not re.search(schema["pattern"], "a\x00b"), (where, schema)
    respondent = spec["components"]["schemas"]["CaseCreate"]["properties"]["respondent"]["anyOf"][0]
    assert respondent["pattern"] == NUL_FREE
    assert "U+0000" in spec["info"]["description"]


def test_every_request_date_is_bounded_as_the_server_bounds_it(spec):
    dates = [(where, s) for where, s in _request_strings(spec) if s.get("format") == "date"]
    assert len(dates) >= 8, dates  # received_on, decision_date, on, due_before, from, to, start, day...
    for where, schema in dates:
        assert "ge" not in schema and "le" not in schema, where  # no JSON Schema keywords: FastAPI's leftovers
        pattern = schema["pattern"]
        assert re.search(pattern, "1900-01-01") and re.search(pattern, "2100-12-31"), where
        assert not re.search(pattern, "1899-12-31") and not re.search(pattern, "2101-01-01"), where


def test_every_request_moment_is_bounded_as_the_server_bounds_it(spec):
    """`Moment` (app/models/base.py) refuses a year outside 1900..2100: each request date-time says so."""
    moments = [(where, s) for where, s in _request_strings(spec) if s.get("format") == "date-time"]
    assert len(moments) >= 2, moments  # a dialogue's scheduled_at, and a postponement's
    for where, schema in moments:
        pattern = schema["pattern"]
        assert re.search(pattern, "1900-01-01T00:00:00Z") and re.search(pattern, "2100-12-31T23:59:59+07:00"), where
        assert not re.search(pattern, "0841-06-25T03:36:45Z") and not re.search(pattern, "2101-01-01T00:00:00Z")


@pytest.mark.parametrize("day,status", [("2101-01-01", 422), ("1899-12-31", 422), ("2100-12-31", 200)])
async def test_the_server_bounds_request_dates_as_documented(client, admin_headers, day, status):
    resp = await client.get(f"/api/v1/cases?received_from={day}", headers=admin_headers)
    assert resp.status_code == status, resp.text


async def test_cursors_are_documented_base64url_and_issued_so(client, spec, admin_headers):
    from app.openapi import CURSOR_PATTERN

    cursors = [
        (path, p) for _, path, op in _operations(spec) for p in op.get("parameters", []) if p["name"] == "cursor"
    ]
    assert len(cursors) >= 5
    for path, p in cursors:
        assert p["schema"]["anyOf"][0]["pattern"] == CURSOR_PATTERN, path
        assert "base64url" in p["description"]
    page = (await client.get("/api/v1/units?limit=1", headers=admin_headers)).json()
    assert page["next_cursor"] and re.search(CURSOR_PATTERN, page["next_cursor"])
    resp = await client.get("/api/v1/units?cursor=AAAA", headers=admin_headers)  # fits the pattern, not issued
    assert resp.status_code == 422 and resp.json()["errors"][0]["type"] == "cursor"


def test_conditional_writes_document_if_match_412_and_428(spec):
    for path, method, statuses in [
        ("/api/v1/cases/{case_id}", "patch", {"412", "428"}),
        ("/api/v1/cases/{case_id}/transitions", "post", {"409", "412", "428"}),
        ("/api/v1/cases/{case_id}/split", "post", {"409", "412", "428"}),
    ]:
        op = spec["paths"][path][method]
        assert statuses <= set(op["responses"]), path
        if_match = next(p for p in op["parameters"] if p["name"].lower() == "if-match")
        assert "428" in if_match["description"] and "412" in if_match["description"]


def test_every_422_names_the_rule_types_it_can_answer(spec):
    """A schema-valid request refused by a rule carries a documented error type (app/errors.py)."""
    cases_post = spec["paths"]["/api/v1/cases"]["post"]["responses"]["422"]["description"]
    assert all(f"`{t}`" in cases_post for t in ("rule", "unknown_reference", "idempotency_key_reused"))
    units = spec["paths"]["/api/v1/units"]["get"]["responses"]["422"]["description"]
    assert "`cursor`" in units
    transition = spec["paths"]["/api/v1/cases/{case_id}/transitions"]["post"]["description"]
    assert "- `forward`: `to_org`" in transition and "- `decide`: `outcome`, `summary`" in transition


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("DELETE", "/api/v1/cases", "GET, POST"),
        ("PUT", "/api/v1/cases/1", "GET, PATCH"),
        ("OPTIONS", "/api/v1/units", "GET, POST"),
        ("POST", "/api/v1/users/1", "GET, PATCH"),
        ("DELETE", "/open311/v2/services.json", "GET"),  # GeoReport's own error body, and still `Allow`
    ],
)
async def test_405_lists_every_method_of_the_path_in_allow(client, spec, method, path, allow):
    """Starlette named only the methods of the first route matching the path (`Allow: GET`)."""
    resp = await client.request(method, path)
    assert resp.status_code == 405
    assert resp.headers["allow"] == allow
    template = _documented_path(spec, path)
    assert {m.upper() for m in spec["paths"][template]} == set(allow.split(", "))


def test_a_case_update_field_that_may_not_be_null_is_not_nullable_in_the_document(spec):
    """PATCH /cases/{id} refuses `"title": null` (leave it out to keep the title): the schema says so."""
    props = spec["components"]["schemas"]["CaseUpdate"]["properties"]
    for name in ("title", "field", "remote_area"):
        assert "anyOf" not in props[name] and props[name].get("type") != "null", (name, props[name])
    assert "location_unit_code" not in props  # the unit changes only by `relocate`
    assert {"type": "null"} in props["content"]["anyOf"]  # content may be cleared
