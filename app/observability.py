"""Request ids, JSON logs without personal data, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_RID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# PostgreSQL's (and asyncpg's) error text carries the bound values in its DETAIL (`Key
# (id_number)=(001085012345) already exists`, `Failing row contains (…)`), which
# `hide_parameters` does not cover: an exception chain in a log loses everything from a DETAIL,
# HINT or CONTEXT line to the end of that exception's text (a value may span several lines).
_DB_DETAIL = re.compile(
    r"^(DETAIL|HINT|CONTEXT|WHERE):.*?(?=\n\n(?:The above exception|During handling of the above exception"
    r"|Traceback \(most recent call last\))|\Z)",
    re.MULTILINE | re.DOTALL,
)


def scrub_db_detail(text: str) -> str:
    """The text of a log line or a formatted exception without the database's echo of values."""
    if "DETAIL:" not in text and "HINT:" not in text and "CONTEXT:" not in text and "WHERE:" not in text:
        return text
    return _DB_DETAIL.sub(lambda m: f"{m.group(1)}: [hidden: may hold personal data]", text)


class ScrubbingFormatter(logging.Formatter):
    """Plain-text logs (`LOG_JSON=false`), scrubbed as the JSON ones are."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_db_detail(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Only whitelisted `extra` keys are emitted, so that nobody can
    log a citizen's name or address by passing it as an extra field by accident."""

    SAFE_EXTRA = ("method", "path", "route", "status", "duration_ms", "user_id", "case_id", "action", "event_seq")

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub_db_detail(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        for key in self.SAFE_EXTRA:
            if key in record.__dict__:
                doc[key] = record.__dict__[key]
        if record.exc_info:
            doc["exc"] = scrub_db_detail(self.formatException(record.exc_info))
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else ScrubbingFormatter("%(levelname)s %(name)s %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints the raw path with its query string (which may hold a PIN or a
    # search for a person's name): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.audit_events = Counter("audit_events_total", "Audit events written", ["action"], registry=self.registry)
        self.login_failures = Counter("login_failures_total", "Failed logins", registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


access_log = logging.getLogger("app.access")


def _template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/units/{code}`), never the raw path: bounded metric
    labels, and no identifiers or personal data in logs."""
    return getattr(scope.get("route"), "path", None) or "unmatched"


class RequestContextMiddleware:
    """Gives every request an id (X-Request-ID, accepted from the client when well-formed),
    logs one access line (route template, never the query string) and records metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for k, v in scope.get("headers", []):
            if k == b"x-request-id":
                cand = v.decode("latin-1")
                rid = cand if _VALID_RID.match(cand) else None
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            try:
                await self.app(scope, receive, _send)
            except Exception as exc:
                # Answered here rather than by Starlette's outermost error middleware, so that the
                # 500 carries X-Request-ID and its log line the request id (the context is still set).
                if status_holder["started"]:
                    raise
                from starlette.requests import Request

                from app.problems import unexpected_error_response

                response = unexpected_error_response(Request(scope), exc, _template(scope))
                await response(scope, receive, _send)
        finally:
            elapsed = time.perf_counter() - start
            template = _template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status_holder["status"])).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            # a plain id, set at authentication: the ORM user may be expired by a rollback by now
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": template,
                    "status": status_holder["status"],
                    "duration_ms": round(elapsed * 1000, 2),
                    "user_id": scope.get("state", {}).get("user_id"),
                },
            )
            request_id_var.reset(token)
