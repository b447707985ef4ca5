"""Open311 GeoReport v2 at /open311/v2, in JSON and XML (the format is the path's suffix).

URL shapes, parameters, element names and the error format follow the published GeoReport v2
specification, so that existing Open311 clients work unchanged; docs/open311.md says how to
point one here and what is and is not supported. Errors are GeoReport's list of
`{code, description}` (`<errors><error>…`) with the HTTP status as the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from app.deps import DbSession, RequestClock
from app.errors import Invalid, NotFound
from app.routers.params import InputRoute
from app.services import api_keys
from app.services import open311 as service

PREFIX = "/open311/v2"
Format = Literal["json", "xml"]
Fmt = Annotated[Format, Path(description="`json` or `xml`")]
XML_TYPE = "text/xml; charset=utf-8"

router = APIRouter(route_class=InputRoute, prefix=PREFIX, tags=["open311"])

# ---- rendering ------------------------------------------------------------------------------------


# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): text that
# echoes input (an unknown service code in an error) must still be a well-formed document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_dict(el, "value" if name == "values" else name.rstrip("s"), item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = _xml_text(value)


def _xml_dict(parent: ET.Element, name: str, data: dict[str, Any]) -> None:
    el = ET.SubElement(parent, name)
    for k, v in data.items():
        _xml_value(el, k, v)


def render(fmt: str, root: str, item: str | None, data: Any, status_code: int = 200) -> Response:
    """JSON as the spec shows it; XML with the spec's root and item elements."""
    if fmt == "json":
        return JSONResponse(data, status_code=status_code)
    top = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _xml_value(top, k, v)
    else:
        for row in data:
            _xml_dict(top, item, row)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return Response(body, status_code=status_code, media_type=XML_TYPE)


def error_response(fmt: str, status_code: int, messages: Iterable[str]) -> Response:
    errors = [{"code": status_code, "description": m} for m in messages]
    return render(fmt, "errors", "error", errors, status_code=status_code)


def format_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def error_for(request: Request, status_code: int, messages: Sequence[str]) -> Response:
    """Every error on an Open311 path (app/problems.py routes them here): GeoReport's format, in
    the request's format; bad input is GeoReport's 400 (this API's 422 elsewhere)."""
    return error_response(format_of(request.url.path), 400 if status_code == 422 else status_code, messages)


# ---- documentation shapes --------------------------------------------------------------------

_GEOREPORT_ERRORS = {
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                },
            }
        },
        "text/xml": {
            "schema": {"type": "string", "description": "<errors><error><code/><description/></error></errors>"}
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": 'Bad input, in GeoReport\'s error format: `[{"code": 400, "description": …}]` '
        "(XML: `<errors><error>`)",
        **_GEOREPORT_ERRORS,
    },
    403: {"description": "Missing, unknown or revoked `api_key`", **_GEOREPORT_ERRORS},
    404: {"description": "No such service, request or token (or not this client's)", **_GEOREPORT_ERRORS},
}
_BOTH: dict[str, Any] = {"content": {"application/json": {}, "text/xml": {}}}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """GeoReport answers bad input with its own 400, never this API's 422: drop the 422 FastAPI
    documents on every operation that takes parameters (idempotent)."""
    for path, item in schema.get("paths", {}).items():
        if path.startswith(PREFIX + "/"):
            for operation in item.values():
                if isinstance(operation, dict):
                    operation.get("responses", {}).pop("422", None)
    return schema


def _jurisdiction(request: Request, jurisdiction_id: str | None) -> None:
    expected = request.app.state.settings.open311_jurisdiction_id
    if jurisdiction_id not in (None, "", expected):
        raise NotFound(f"This server answers for jurisdiction_id {expected}.")


JurisdictionId = Annotated[str | None, Query(max_length=100, description="optional; this server's is in docs")]
ApiKeyParam = Annotated[str | None, Query(max_length=128, description="the client's API key")]


# ---- endpoints ----------------------------------------------------------------------------------


@router.get("/services.{fmt}", summary="Service list (GeoReport v2)", responses={200: _BOTH, **_ERRORS})
async def services(request: Request, fmt: Fmt, jurisdiction_id: JurisdictionId = None) -> Response:
    _jurisdiction(request, jurisdiction_id)
    rows = [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description,
            "metadata": True,
            "type": "realtime",
            "keywords": s.keywords,
            "group": s.group,
        }
        for s in service.SERVICES
    ]
    return render(fmt, "services", "service", rows)


@router.get(
    "/services/{service_code}.{fmt}", summary="Service definition (GeoReport v2)", responses={200: _BOTH, **_ERRORS}
)
async def service_definition(
    request: Request,
    session: DbSession,
    fmt: Fmt,
    service_code: Annotated[str, Path(max_length=64)],
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    svc = service.service(service_code)
    attrs = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": i,
            "description": a.description,
            **({"values": [{"key": k, "name": n} for k, n in a.values]} if a.values else {}),
        }
        for i, a in enumerate(await service.attributes(session, svc), start=1)
    ]
    return render(fmt, "service_definition", None, {"service_code": svc.code, "attributes": attrs})


def _parse_dt(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(name, "not an ISO 8601 date and time (e.g. 2026-11-20T08:00:00+07:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=service.HANOI)
    return parsed


@router.post(
    "/requests.{fmt}",
    summary="File a service request (GeoReport v2, form-encoded, api_key)",
    responses={200: _BOTH, **_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code", "description"],
                        "properties": {
                            "api_key": {"type": "string"},
                            "jurisdiction_id": {"type": "string"},
                            "service_code": {"type": "string"},
                            "description": {"type": "string"},
                            "address_string": {"type": "string"},
                            "first_name": {"type": "string"},
                            "last_name": {"type": "string"},
                            "phone": {"type": "string"},
                            "email": {"type": "string"},
                            "attribute[title]": {"type": "string"},
                            "attribute[ward]": {"type": "string"},
                            "attribute[respondent]": {"type": "string"},
                            "attribute[id_number]": {"type": "string"},
                            "attribute[decision_date]": {"type": "string"},
                        },
                        "example": {
                            "api_key": "hp_…",
                            "service_code": "petition-environment",
                            "description": "Khói bụi từ xưởng gỗ gây ô nhiễm khu dân cư ngõ 12",
                            "attribute[title]": "Phản ánh ô nhiễm khói bụi",
                            "attribute[ward]": "00070",
                            "first_name": "Văn",
                            "last_name": "An",
                            "phone": "0912345678",
                        },
                    }
                }
            },
        }
    },
)
async def create_request(request: Request, session: DbSession, clock: RequestClock, fmt: Fmt) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    _jurisdiction(request, fields.get("jurisdiction_id"))
    _, principal = await api_keys.principal_for_key(
        session, fields.get("api_key"), server_key=request.app.state.settings.api_key_key
    )
    res = await service.file_request(session, principal, fields, clock)
    notice = (
        f"Mã tra cứu {res.case.code}, mã PIN {res.pin} (chỉ hiển thị một lần): tra cứu tại /track. "
        f"Tracking code {res.case.code}, PIN {res.pin} (shown only once)."
    )
    return render(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": res.case.code, "token": res.case.code, "service_notice": notice, "account_id": None}],
    )


@router.get(
    "/requests.{fmt}", summary="This client's service requests (GeoReport v2)", responses={200: _BOTH, **_ERRORS}
)
async def list_requests(
    request: Request,
    session: DbSession,
    fmt: Fmt,
    api_key: ApiKeyParam = None,
    service_request_id: Annotated[str | None, Query(max_length=20000, description="comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(max_length=64)] = None,
    start_date: Annotated[str | None, Query(max_length=40, description="ISO 8601")] = None,
    end_date: Annotated[str | None, Query(max_length=40, description="ISO 8601")] = None,
    status: Annotated[str | None, Query(max_length=20, pattern=r"^(open|closed)(,(open|closed))?$")] = None,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    _, principal = await api_keys.principal_for_key(session, api_key, server_key=request.app.state.settings.api_key_key)
    ids = [i.strip() for i in service_request_id.split(",") if i.strip()] if service_request_id else None
    filters = service.RequestFilters(
        ids=ids,
        service_code=service_code,
        start=_parse_dt(start_date, "start_date"),
        end=_parse_dt(end_date, "end_date"),
        status=status,
    )
    views = await service.find_requests(session, principal, filters, datetime.now(service.HANOI))
    return render(fmt, "service_requests", "request", [v.as_dict() for v in views])


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="One service request (GeoReport v2)",
    responses={200: _BOTH, **_ERRORS},
)
async def get_request(
    request: Request,
    session: DbSession,
    fmt: Fmt,
    service_request_id: Annotated[str, Path(max_length=64)],
    api_key: ApiKeyParam = None,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    _, principal = await api_keys.principal_for_key(session, api_key, server_key=request.app.state.settings.api_key_key)
    view = await service.get_request(session, principal, service_request_id)
    return render(fmt, "service_requests", "request", [view.as_dict()])


@router.get(
    "/tokens/{token}.{fmt}", summary="The request a token stands for (GeoReport v2)", responses={200: _BOTH, **_ERRORS}
)
async def get_token(
    request: Request,
    session: DbSession,
    fmt: Fmt,
    token: Annotated[str, Path(max_length=64)],
    api_key: ApiKeyParam = None,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    """Requests are filed synchronously: the token is the request id, returned at once by POST."""
    _jurisdiction(request, jurisdiction_id)
    _, principal = await api_keys.principal_for_key(session, api_key, server_key=request.app.state.settings.api_key_key)
    view = await service.get_request(session, principal, token)
    return render(fmt, "service_requests", "request", [{"service_request_id": view.case.code, "token": token}])
