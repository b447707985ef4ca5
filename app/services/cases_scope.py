"""Which cases a caller may see: their jurisdiction (their organisation's unit subtree) covers
the place the case is about, or the unit of the organisation that received it or holds it."""
from __future__ import annotations

from sqlalchemy import or_, select

from app.models.cases import Case


def visible_clause(principal):
    prefix = principal.jurisdiction_path
    return or_(
        Case.location_path.startswith(prefix, autoescape=True),
        Case.receiving_path.startswith(prefix, autoescape=True),
        Case.assigned_path.startswith(prefix, autoescape=True),
    )


def case_ids_in_jurisdiction(principal):
    return select(Case.id).where(visible_clause(principal))
