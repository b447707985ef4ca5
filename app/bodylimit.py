"""Refuse request bodies over `MAX_BODY_BYTES` while they stream in, before anything reads them.

Without a limit a 150 MB unauthenticated POST took 650 MB of memory: FastAPI reads and parses
the whole body before the route's dependencies (authentication among them) run. This pure ASGI
middleware answers 413 problem+json at once when `Content-Length` is over the limit, and
otherwise counts the bytes of the `http.request` messages as the application pulls them,
stopping at the first byte over (a chunked upload has no `Content-Length`).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body passes the limit. An HTTPException, so that FastAPI's
    body parsing passes it on (it turns other errors into a 400) and the problem handler
    answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


def _too_large(scope: Scope, limit: int):
    from app.problems import problem_response

    return problem_response(
        Request(scope), 413, f"The request body is larger than the limit of {limit} bytes.", slug="content-too-large"
    )


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                if declared is not None and declared > limit:
                    await _too_large(scope, limit)(scope, receive, send)
                    return
                break

        received = 0
        started = False

        async def _receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def _send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, _receive, _send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, limit)(scope, receive, send)
