"""Domain errors: what went wrong, in the domain's words, with no HTTP in them.

Services, workflows' callers and the CLI raise these; each edge maps them to its own format
(app/problems.py: RFC 9457 problem+json for the API; Open311 will map them to its error list; the
CLI prints the message and exits non-zero). The same service then serves every edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """Base class. `extra` carries machine-readable members an edge may pass on (for example
    the allowed actions of an illegal transition)."""

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # a more specific machine-readable kind than the class, if any
        self.extra = extra


class NotFound(DomainError):
    """No such record, or one outside the caller's jurisdiction: the two are never told apart."""


class Forbidden(DomainError):
    """The caller's role or organisation may not do this."""


class Conflict(DomainError):
    """The request conflicts with the record's current state (a duplicate code, a rule that
    blocks the change)."""


class IllegalAction(Conflict):
    """An action the lifecycle does not allow now; `allowed_actions` lists what is."""

    def __init__(self, message: str, *, status_now: str, allowed_actions: Sequence[str], **extra: Any) -> None:
        super().__init__(message, status_now=status_now, allowed_actions=list(allowed_actions), **extra)


class PreconditionRequired(DomainError):
    """A conditional write came without the version the caller read (`If-Match`)."""


class Stale(DomainError):
    """The record changed since the caller read it."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message, current_version=current_version)


# The `type` of an error a rule refuses: input the OpenAPI document calls valid, refused for a
# reason no schema can express. A client (or a fuzzer) can tell these from a broken request, whose
# errors carry pydantic's types (`string_too_short`, `missing`, ...) or `nul_character`.
RULE = "rule"  # a business rule: a date in the future, a field an action requires, a kind-specific value
UNKNOWN_REFERENCE = "unknown_reference"  # a code or id that names no record you can see
CURSOR = "cursor"  # a pagination cursor this service did not issue (or issued for another list)
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # an Idempotency-Key already used with another request
RULE_TYPES = (RULE, UNKNOWN_REFERENCE, CURSOR, IDEMPOTENCY_KEY_REUSED)


class Invalid(DomainError):
    """Bad input, naming each bad field (`body.petitioners`, `query.unit`); `kind` is each error's
    `type`, one of RULE_TYPES: services check what the request's schema has already let through."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        more: Sequence[tuple[str, str]] = (),
        detail: str | None = None,
        code: str | None = None,
        kind: str = RULE,
        **extra: Any,
    ) -> None:
        assert kind in RULE_TYPES, kind
        self.errors = [{"field": f, "message": m, "type": kind} for f, m in [(field, message), *more]]
        text = detail or (
            f"{field}: {message}" if not more else "Invalid input in: " + ", ".join(e["field"] for e in self.errors)
        )
        super().__init__(text, code=code, **extra)


class Unavailable(DomainError):
    """A moment's overload or contention: nothing changed, retry shortly."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def field_error(field: str, message: str, **extra: Any) -> Invalid:
    """A 422 naming one bad field (kept as a function: `raise field_error(...)` reads as before)."""
    return Invalid(field, message, **extra)


def required_fields(action: str, missing: Sequence[str]) -> Invalid:
    """A 422 naming each field an action of a table requires and the request left out or blank."""
    return Invalid(
        f"body.{missing[0]}",
        "required for this action",
        more=[(f"body.{f}", "required for this action") for f in missing[1:]],
        detail=f"'{action}' requires: {', '.join(missing)}.",
    )


def unknown_reference(field: str, message: str) -> Invalid:
    """A 422: the code or id in `field` names no record the caller can see."""
    return Invalid(field, message, kind=UNKNOWN_REFERENCE)
