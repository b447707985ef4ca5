"""Case use cases, one module per job; this package re-exports what callers use.

- `intake`: tiếp nhận — log a petition, its location, possible duplicates, the suggested organisation.
- `transitions`: edits, lifecycle transitions and splits.
- `queries`: the jurisdiction-scoped list and a case's history.
- `presentation`: response shapes, identity protection, the actions a caller may take.
- `common`: what they share (loading within the jurisdiction, the holder, versions, the clock's stages).

Each function loads what it needs, applies the pure rules of app/workflows, and writes the change
together with its audit event in the caller's transaction (one per request).
"""

from app.services.cases.common import (
    EARLIEST_DATE,
    IntakeResult,
    TransitionResult,
    check_version,
    get_visible,
    holder_org_id,
    load_petitioners,
    new_pin,
    new_tracking_code,
    pin_digest,
    verify_pin,
)
from app.services.cases.intake import find_possible_duplicates, intake, resolve_location, suggest_org
from app.services.cases.obligations import owed_keys
from app.services.cases.presentation import (
    OrgCache,
    actions_for,
    case_detail,
    case_out,
    created_response,
    describe,
    is_overdue,
    may_see_identity,
)
from app.services.cases.queries import CaseFilters, history, list_cases
from app.services.cases.transitions import split, transition, update

__all__ = [
    "EARLIEST_DATE",
    "CaseFilters",
    "IntakeResult",
    "OrgCache",
    "TransitionResult",
    "actions_for",
    "case_detail",
    "case_out",
    "check_version",
    "created_response",
    "describe",
    "find_possible_duplicates",
    "get_visible",
    "history",
    "holder_org_id",
    "intake",
    "is_overdue",
    "list_cases",
    "load_petitioners",
    "may_see_identity",
    "new_pin",
    "new_tracking_code",
    "owed_keys",
    "pin_digest",
    "resolve_location",
    "split",
    "suggest_org",
    "transition",
    "update",
    "verify_pin",
]
