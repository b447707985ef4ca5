"""The life of a supervision recommendation (kiến nghị giám sát), as one table like the case
lifecycle (app/workflows/lifecycle.py):

    open ──answer──▶ answered ──close──▶ closed
      ▲                 │
      └────reopen───────┘

The organisation the recommendation is addressed to answers (its handlers); the supervisors of
the issuing organisation accept the answer and close it, or reopen it (with a reason and,
optionally, a new due date). A recommendation is overdue while it is open and today is after its
response due date; the SQL form is app/models/supervision.recommendation_overdue_clause.

Pure and I/O-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.workflows.actions import legal, legal_now
from app.workflows.roles import Role


class RecStatus(StrEnum):
    open = "open"  # chờ trả lời
    answered = "answered"  # đã trả lời
    closed = "closed"  # đã kết thúc


class Party(StrEnum):
    """Who may take an action: the target organisation's officers, or the issuing supervisors."""

    target = "target"
    issuer = "issuer"


@dataclass(frozen=True)
class RecAction:
    name: str
    label: str
    from_statuses: frozenset[RecStatus]
    to_status: RecStatus
    roles: frozenset[Role]
    party: Party
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


REC_ACTIONS: tuple[RecAction, ...] = (
    RecAction(
        "answer",
        "Trả lời kiến nghị",
        frozenset({RecStatus.open}),
        RecStatus.answered,
        frozenset({Role.handler}),
        Party.target,
        required=("response",),
    ),
    RecAction(
        "close",
        "Chấp nhận trả lời, kết thúc",
        frozenset({RecStatus.answered}),
        RecStatus.closed,
        frozenset({Role.supervisor}),
        Party.issuer,
        optional=("reason",),
    ),
    RecAction(
        "reopen",
        "Yêu cầu trả lời lại",
        frozenset({RecStatus.answered}),
        RecStatus.open,
        frozenset({Role.supervisor}),
        Party.issuer,
        required=("reason",),
        optional=("response_due",),
    ),
)
REC_ACTION_NAMES: tuple[str, ...] = tuple(a.name for a in REC_ACTIONS)


def find(name: str, status: RecStatus) -> RecAction | None:
    """The declaration of `name` if it is legal in `status`, else None."""
    return legal(REC_ACTIONS, name, status)


def allowed(status: RecStatus, role: Role | None = None, parties: frozenset[Party] | None = None) -> list[str]:
    """Actions legal now (for this role and these parties, if given), in table order."""
    return [
        a.name
        for a in legal_now(REC_ACTIONS, status)
        if (role is None or role in a.roles) and (parties is None or a.party in parties)
    ]


def is_overdue(status: str, response_due: date, today: date) -> bool:
    """Open, and today after the response due date (on the due date itself it is still on time)."""
    return status == RecStatus.open and today > response_due


def markdown_table() -> str:
    lines = ["| action | from | to | roles | who | required |", "|---|---|---|---|---|---|"]
    for a in REC_ACTIONS:
        lines.append(
            f"| `{a.name}` — {a.label} | {', '.join(sorted(s.value for s in a.from_statuses))} | "
            f"{a.to_status.value} | {', '.join(sorted(r.value for r in a.roles))} | {a.party.value} | "
            f"{', '.join(a.required) or '—'} |"
        )
    return "\n".join(lines)
