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
REQUIRED_PREFIXES = ("/api/v1/auth", "/api/v1/units", "/api/v1/organizations", "/api/v1/calendar", "/api/v1/cases",
                     "/api/v1/audit", "/healthz", "/readyz", "/metrics")

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


def _served(status: int, body: dict) -> bool:
    """The generic 404 (no route) and 405 (no such method on the route) mean: not served."""
    return status != 405 and not (status == 404 and body.get("detail") == "No resource at this path.")


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
        assert template is not None and method.lower() in spec["paths"][template], \
            f"{method} {path} is served but not in /openapi.json"
    assert len(served) >= 20, served


def test_every_operation_has_a_summary_and_documented_errors(spec):
    for method, path, op in _operations(spec):
        name = f"{method.upper()} {path}"
        assert op.get("summary"), f"{name} has no summary"
        responses = op["responses"]
        assert any(s.startswith("2") for s in responses), f"{name} documents no success"
        if op.get("security"):
            assert "401" in responses, f"{name} needs a token but documents no 401"
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in responses, f"{name} takes input but documents no 422"
        for status, response in responses.items():
            assert response.get("description"), f"{name} {status} has no description"
            if status[0] in "45" and (method, path, status) not in NOT_PROBLEMS:
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

    return [CaseCreate, CaseUpdate, CaseSplitCreate, CaseTransitionCreate, OrgCreate, UnitCreate, UserCreate,
            UserUpdate, CalendarOverridesUpdate, DeadlineRuleUpdate, RoutingRuleCreate]


@pytest.mark.parametrize("model", _input_models(), ids=lambda m: m.__name__)
def test_request_examples_are_valid_against_their_models(model):
    """An example that the endpoint would reject with a 422 teaches clients the wrong thing."""
    examples = model.model_json_schema().get("examples")
    assert examples
    for example in examples:
        model.model_validate(example)
