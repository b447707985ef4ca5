"""Citizens: the public tracking API and the /track page. No authentication; rate-limited by
client address; a wrong code and a wrong PIN are the same 404."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Header, Path, Query, Request
from fastapi.responses import HTMLResponse

from app.deps import DbSession, Today
from app.errors import NotFound
from app.models.public import PublicCasePublic
from app.problems import Problem, problem_responses
from app.routers.auth import client_address
from app.routers.params import InputRoute
from app.services import public as service
from app.workflows.citizen import preferred_language

router = APIRouter(route_class=InputRoute, tags=["public"])

CODE_PATTERN = r"^[A-Za-z0-9-]{1,32}$"
PIN_PATTERN = r"^[0-9]{6}$"


async def _limit(request: Request) -> None:
    """Every look-up counts, found or not: guessing codes or PINs is what this stops."""
    limiter = request.app.state.public_limits
    key = client_address(request)
    wait = await limiter.check(key)
    if wait:
        raise Problem(
            429,
            f"Too many look-ups. Try again in {wait} seconds.",
            slug="too-many-requests",
            headers={"Retry-After": str(wait)},
        )
    await limiter.count(key)


@router.get(
    "/api/v1/public/cases/{code}",
    response_model=PublicCasePublic,
    summary="Track a case by its code and PIN (no login)",
    description="Status in words (Vietnamese, or English by `Accept-Language`), dates, the responsible "
    "organisation, the current due date and public milestones; never personal data. A wrong "
    "code or PIN is the same 404. Rate-limited per client address.",
    responses=problem_responses(404, 422, 429),
)
async def track_case(
    request: Request,
    session: DbSession,
    today: Today,
    code: Annotated[str, Path(pattern=CODE_PATTERN, description="the tracking code: HN-26K-7F3K9Q")],
    pin: Annotated[str, Query(pattern=PIN_PATTERN, description="the 6-digit PIN given at intake")],
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> PublicCasePublic:
    await _limit(request)
    return await service.track(session, code, pin, today=today, lang=preferred_language(accept_language))


# ---- the page ------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fff;
line-height:1.5;font-size:1.05rem}
header{background:#8b0000;color:#fff;padding:1rem}header h1{margin:0;font-size:1.3rem}
main{max-width:36rem;margin:0 auto;padding:1rem}
label{display:block;font-weight:600;margin-top:1rem}
input{display:block;width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;border:2px solid #444;
border-radius:4px;margin-top:.3rem}
input:focus,button:focus,a:focus{outline:3px solid #1f5fbf;outline-offset:2px}
button{margin-top:1.2rem;font-size:1.1rem;padding:.7rem 1.4rem;background:#1f5fbf;color:#fff;border:0;
border-radius:4px;cursor:pointer}
.hint{color:#444;font-size:.95rem;margin:.2rem 0 0}
.error{border-left:6px solid #b00020;background:#fdecee;padding:.8rem;margin-top:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}
ol{padding-left:1.2rem}.overdue{color:#b00020;font-weight:700}
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body><header><h1>Tra cứu tình trạng giải quyết đơn</h1></header><main>{body}</main></body></html>"""
    return HTMLResponse(
        doc,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        },
    )


def _form(code: str = "", error: str | None = None) -> str:
    alert = f'<div class="error" role="alert" id="loi">{html.escape(error)}</div>' if error else ""
    described = ' aria-describedby="loi"' if error else ""
    return f"""{alert}
<p>Nhập mã tra cứu và mã PIN được cấp khi nộp đơn.</p>
<form method="post" action="/track">
<label for="code">Mã tra cứu</label>
<input id="code" name="code" type="text" required maxlength="32" autocomplete="off" autocapitalize="characters"
 value="{html.escape(code)}" aria-describedby="code-hint"{described}>
<p class="hint" id="code-hint">Ví dụ: HN-26K-7F3K9Q</p>
<label for="pin">Mã PIN</label>
<input id="pin" name="pin" type="password" required inputmode="numeric" pattern="[0-9]{{6}}" maxlength="6"
 autocomplete="off" aria-describedby="pin-hint"{described}>
<p class="hint" id="pin-hint">6 chữ số</p>
<button type="submit">Tra cứu</button>
</form>"""


def _result(case: PublicCasePublic) -> str:
    def row(term: str, value: str | None) -> str:
        return f"<dt>{html.escape(term)}</dt><dd>{html.escape(value or '—')}</dd>"

    due = case.due.strftime("%d/%m/%Y") if case.due else None
    due_term = f"Hạn {case.stage_label}" if case.stage_label else "Hạn"
    if case.overdue and due:
        due_cell = f'<dt>{html.escape(due_term)}</dt><dd class="overdue">{html.escape(due)} (đã quá hạn)</dd>'
    else:
        due_cell = row(due_term, due)
    steps = "".join(
        f'<li><time datetime="{m.on.isoformat()}">{m.on:%d/%m/%Y}</time>: {html.escape(m.label)}</li>'
        for m in case.milestones
    )
    return f"""<h2>Đơn {html.escape(case.code)}</h2>
<dl>{row("Loại đơn", case.kind_label)}{row("Tình trạng", case.status_label)}
{row("Ngày tiếp nhận", case.received_on.strftime("%d/%m/%Y"))}
{row("Ngày thụ lý", case.accepted_on.strftime("%d/%m/%Y") if case.accepted_on else None)}
{row("Cơ quan đang giải quyết", case.responsible_org.name if case.responsible_org else None)}{due_cell}</dl>
<h3>Các bước đã thực hiện</h3><ol>{steps}</ol>
<p><a href="/track">Tra cứu đơn khác</a></p>"""


@router.get("/track", response_class=HTMLResponse, include_in_schema=False)
async def track_page() -> HTMLResponse:
    return _page("Tra cứu đơn", _form())


@router.post("/track", response_class=HTMLResponse, include_in_schema=False)
async def track_submit(
    request: Request,
    session: DbSession,
    today: Today,
    code: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    code = code.strip()
    limiter = request.app.state.public_limits
    wait = await limiter.check(client_address(request))
    if wait:
        return _page(
            "Tra cứu đơn", _form(code, f"Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau {wait} giây."), 429
        )
    await limiter.count(client_address(request))
    try:
        case = await service.track(session, code, pin.strip(), today=today, lang="vi")
    except NotFound:
        return _page(
            "Không tìm thấy đơn",
            _form(code, "Không tìm thấy đơn với mã tra cứu và mã PIN này. Vui lòng kiểm tra lại."),
            404,
        )
    return _page(f"Đơn {case.code}", _result(case))
