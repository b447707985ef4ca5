"""Jurisdiction scoping shared by every query a screen depends on."""
from __future__ import annotations

from sqlalchemy import Select, or_

from app.models.audit import AuditEvent
from app.models.users import Role
from app.security import Principal


def audit_scope(stmt: Select, principal: Principal) -> Select:
    """Admins read the whole trail. Supervisors read the events of cases in their jurisdiction
    (wired to the case table by the case module); events about users and reference data are
    the operator's business."""
    if principal.role == Role.admin:
        return stmt
    from app.services.cases_scope import (  # late: the case module builds on this one
        case_ids_in_jurisdiction,
        relocated_from_clause,
    )

    return stmt.where(or_(AuditEvent.case_id.in_(case_ids_in_jurisdiction(principal)),
                          relocated_from_clause(principal)))
