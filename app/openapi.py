"""The OpenAPI document says exactly what the server accepts (docs/decisions/0050-openapi-exactness.md).

FastAPI writes the document from the models; a few rules hold for every input and are enforced
centrally rather than field by field, so they are stated here, centrally, in the same way:

- no string holds a NUL character (`app/routers/params.py`): every request string without a
  pattern, enum or checked format gets the pattern `^[^\\x00]*$`;
- every request date (`format: date`, the `Day` type) lies in 1900-01-01..2100-12-31: a pattern
  says so (FastAPI would write the bounds as `ge`/`le`, which JSON Schema does not know); every
  request moment (`format: date-time`, the `Moment` type) has a year 1900..2100, as a pattern;
- a `cursor` is the base64url token of `next_cursor` (`app/pagination.py`);
- `If-Match` is the ETag of the record read: without it 428, stale 412;
- a 405 answer carries `Allow` (`app/problems.py`);
- a 422 whose errors carry one of the rule types (`app.errors.RULE_TYPES`) refuses schema-valid
  input for a reason no schema states; each operation's 422 names the types it can answer.

Response schemas are left as FastAPI wrote them, except where a component serves both.
"""

from __future__ import annotations

from typing import Any

from app.errors import CURSOR, IDEMPOTENCY_KEY_REUSED, RULE, UNKNOWN_REFERENCE
from app.models.base import EARLIEST_DAY, LATEST_DAY

NUL_FREE = r"^[^\x00]*$"
# 1900-01-01..2100-12-31 (with `format: date`, which rules out 2023-02-30)
DATE_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# a moment (`format: date-time`) whose year, as written, is 1900..2100 (`Moment`, app/models/base.py)
DATETIME_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"
# `next_cursor`: unpadded base64url of a small JSON array (app/pagination.py)
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
# Formats whose values a generator never fills with NUL characters, and which the server checks itself.
_CHECKED_FORMATS = {"date", "date-time", "email", "uuid", "uri", "binary"}

RULES = f"""
## What the server accepts

The schemas state every constraint the server checks on the shape of a request, so that a
request the document calls valid is never refused as malformed:

- **Strings** never contain a NUL character (U+0000): every request string carries the pattern
  `^[^\\x00]*$` (or a stricter one). A NUL anywhere is a 422 whose error `type` is `nul_character`.
- **Dates** are `YYYY-MM-DD` between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()} (a pattern states it);
  **moments** (`date-time`) carry an offset and a year from {EARLIEST_DAY.year} to {LATEST_DAY.year}.
- **Cursors** are the `next_cursor` of a previous page: unpadded base64url (`[A-Za-z0-9_-]`), opaque.
- **Writes to a case** (`PATCH`, transitions, split) need `If-Match` with the ETag you read:
  without it the answer is 428, with a stale one 412 (reload and retry).
- **Authentication and your role** are checked before the body: a role that may not act gets 403
  whatever the body holds.
- A method a path does not serve is a 405 whose `Allow` header lists the methods it does.

A request that fits the schemas can still be refused by a rule no schema can state. Such a 422
says so in each error's `type`:

- `{RULE}`: a business rule (a date in the future in Hanoi time, a field the chosen action
  requires, a value that depends on the case's kind or state);
- `{UNKNOWN_REFERENCE}`: a code or id that names no record you can see (an unknown unit or
  organisation code, a case outside your jurisdiction);
- `{CURSOR}`: a cursor this service did not issue for this list and sort;
- `{IDEMPOTENCY_KEY_REUSED}`: an `Idempotency-Key` already used with another request.

Any other error `type` (pydantic's `string_too_short`, `missing`, ..., or `nul_character`) means
the request broke its schema.
"""

_RULE_TEXT = {
    RULE: f"`{RULE}` (a business rule refuses a value the schema allows)",
    UNKNOWN_REFERENCE: f"`{UNKNOWN_REFERENCE}` (a code or id names no record you can see)",
    CURSOR: f"`{CURSOR}` (not a cursor this service issued for this list)",
    IDEMPOTENCY_KEY_REUSED: f"`{IDEMPOTENCY_KEY_REUSED}` (the key was used with another request)",
}
_PAGING = {"limit", "cursor"}


def exact_document(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process the generated document (in place) so that it states what the server checks."""
    info = schema.setdefault("info", {})
    info["description"] = (info.get("description") or "").rstrip() + "\n" + RULES
    components = schema.get("components", {}).get("schemas", {})
    refs: set[str] = set()
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                _parameter(parameter, refs)
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                _constrain(media.get("schema", {}), refs)
            _document_422(operation)
    # components a request names (and what they name in turn): constrained once each
    done: set[str] = set()
    while refs - done:
        name = min(refs - done)
        done.add(name)
        if name in components:
            _constrain(components[name], refs)
    return schema


def _parameter(parameter: dict[str, Any], refs: set[str]) -> None:
    schema = parameter.get("schema", {})
    if parameter.get("in") == "query" and parameter.get("name") == "cursor":
        for branch in _string_branches(schema):
            branch["pattern"] = CURSOR_PATTERN
        parameter["description"] = (
            "`next_cursor` of the previous page: an opaque token of base64url characters "
            f"(`[A-Za-z0-9_-]`); one this service did not issue for this list is a 422 "
            f"(`{CURSOR}`)"
        )
        schema["description"] = parameter["description"]
        return
    if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
        parameter["description"] = (
            'the ETag of the record you read (`"3"`; `*` matches any version). Required: '
            "without it the answer is 428, and 412 if the record changed since"
        )
        schema["description"] = parameter["description"]
    _constrain(schema, refs)


def _string_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    branches = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [b for b in branches if isinstance(b, dict) and _is_string(b)]


def _is_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _constrain(schema: Any, refs: set[str]) -> None:
    """Add the NUL and date patterns to every string in `schema`; note the components it names."""
    if isinstance(schema, list):
        for item in schema:
            _constrain(item, refs)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        refs.add(ref.rsplit("/", 1)[1])
    if _is_string(schema):
        fmt = schema.get("format")
        if fmt == "date":
            schema.setdefault("pattern", DATE_PATTERN)
            # FastAPI writes a date Query's bounds as `ge`/`le`: no JSON Schema keyword; the pattern says it
            schema.pop("ge", None)
            schema.pop("le", None)
        elif fmt == "date-time":
            schema.setdefault("pattern", DATETIME_PATTERN)
        elif fmt not in _CHECKED_FORMATS and not {"pattern", "enum", "const"} & schema.keys():
            schema["pattern"] = NUL_FREE
    for key in ("properties", "patternProperties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            _constrain(sub, refs)
    for key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            _constrain(schema[key], refs)
    extra = schema.get("additionalProperties")
    if schema.get("type") == "object" and extra not in (None, False) and "propertyNames" not in schema:
        schema["propertyNames"] = {"pattern": NUL_FREE}


def _document_422(operation: dict[str, Any]) -> None:
    """Name the rule types a 422 of this operation can carry besides the schema's own errors."""
    response = operation["responses"].get("422")
    if response is None:
        return
    params = operation.get("parameters", [])
    names = {p.get("name", "").lower() for p in params}
    kinds = []
    if "requestBody" in operation or any(p.get("in") == "query" and p.get("name") not in _PAGING for p in params):
        kinds += [RULE, UNKNOWN_REFERENCE]
    if "cursor" in names:
        kinds.append(CURSOR)
    if "idempotency-key" in names:
        kinds.append(IDEMPOTENCY_KEY_REUSED)
    text = response.get("description", "").rstrip(".")
    text += (
        ". An error's `type` is the schema's (`string_too_short`, `missing`, `nul_character`, ...) "
        "when the request breaks its schema"
    )
    if kinds:
        text += "; for a request that fits it, one of: " + "; ".join(_RULE_TEXT[k] for k in kinds)
    response["description"] = text + "."
