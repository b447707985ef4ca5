"""Jurisdiction scoping shared by every query a screen depends on.

The audit trail is scoped for every role, admins included (docs/decisions/0015-audit-scope.md):
- an event about a case: whoever may see the case (its location, receiving or holding
  organisation's unit is in their jurisdiction), as for the case itself;
- an event about a user, an organisation or a unit: admins whose jurisdiction contains that
  organisation's unit (a user's: their organisation's);
- the service's own configuration (calendar, deadline rules, routing rules, the reference seed):
  admins of the city's root unit, whose jurisdiction is everything.
"""
from __future__ import annotations

from sqlalchemy import Select, String, and_, cast, or_, select

from app.models.audit import AuditEvent
from app.models.reference import AdminUnit, Organization
from app.models.users import Role, User
from app.security import Principal


def is_city_wide(principal: Principal) -> bool:
    """The caller's jurisdiction is the root unit (Hanoi): every unit is under it."""
    return principal.unit.parent_code is None


def audit_scope(stmt: Select, principal: Principal) -> Select:
    """`stmt` (over AuditEvent) narrowed to the events the caller may read."""
    from app.services.cases_scope import (  # late: the case module builds on this one
        case_ids_in_jurisdiction,
        relocated_from_clause,
    )

    if principal.role == Role.admin and is_city_wide(principal):
        return stmt
    # a case in the jurisdiction; or the event that moved a case out of it (its old ward's supervisors
    # keep seeing that it left, and where to: decision 0022)
    about_a_case = or_(AuditEvent.case_id.in_(case_ids_in_jurisdiction(principal)), relocated_from_clause(principal))
    if principal.role != Role.admin:
        return stmt.where(about_a_case)
    under = AdminUnit.path.startswith(principal.jurisdiction_path, autoescape=True)
    units = select(AdminUnit.code).where(under)
    orgs = (select(cast(Organization.id, String)).join(AdminUnit, AdminUnit.code == Organization.unit_code)
            .where(under))
    users = (select(cast(User.id, String)).join(Organization, Organization.id == User.organization_id)
             .join(AdminUnit, AdminUnit.code == Organization.unit_code).where(under))
    return stmt.where(or_(
        about_a_case,
        and_(AuditEvent.case_id.is_(None), AuditEvent.entity == "unit", AuditEvent.entity_id.in_(units)),
        and_(AuditEvent.case_id.is_(None), AuditEvent.entity == "organization", AuditEvent.entity_id.in_(orgs)),
        and_(AuditEvent.case_id.is_(None), AuditEvent.entity == "user", AuditEvent.entity_id.in_(users)),
    ))
