"""Jurisdiction scoping shared by every query a screen depends on."""
from __future__ import annotations

from sqlalchemy import Select

from app.models.audit import AuditEvent
from app.models.users import Role
from app.security import Principal


def audit_scope(stmt: Select, principal: Principal) -> Select:
    """Admins read the whole trail. Supervisors read the events of cases in their jurisdiction
    (wired to the case table by the case module); events about users and reference data are
    the operator's business."""
    if principal.role == Role.admin:
        return stmt
    from app.services.cases_scope import case_ids_in_jurisdiction  # late: the case module builds on this one

    return stmt.where(AuditEvent.case_id.in_(case_ids_in_jurisdiction(principal)))
