"""Which cases a caller may see: their jurisdiction (their organisation's unit subtree) covers
the place the case is about, or the unit of the organisation that received it or holds it."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlmodel import col

from app.models.cases import Case


def visible_clause(principal):
    prefix = principal.jurisdiction_path
    return or_(
        col(Case.location_path).startswith(prefix, autoescape=True),
        col(Case.receiving_path).startswith(prefix, autoescape=True),
        col(Case.assigned_path).startswith(prefix, autoescape=True),
    )


def case_ids_in_jurisdiction(principal):
    return select(col(Case.id)).where(visible_clause(principal))


RELOCATE_ACTION = "case.relocate"


def relocated_from_clause(principal):
    """Audit events a caller sees although the case is no longer theirs: a `relocate` that moved
    a case out of a unit in their jurisdiction (the event keeps the old unit's path in
    `changes.location_path.from`). The old unit's supervisors see that the case moved, and where
    to; not what happens to it afterwards."""
    from app.models.audit import AuditEvent

    old_path = col(AuditEvent.changes)[("location_path", "from")].as_string()
    return and_(
        col(AuditEvent.action) == RELOCATE_ACTION, old_path.startswith(principal.jurisdiction_path, autoescape=True)
    )
