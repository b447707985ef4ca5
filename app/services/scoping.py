"""Jurisdiction scoping shared by every query a screen depends on.

The audit trail is scoped for every role, admins included (docs/decisions/0015-audit-scope.md):
- an event about a case: whoever may see the case (its location, receiving or holding
  organisation's unit is in their jurisdiction), as for the case itself;
- an event about a dialogue, commitment, recommendation, reception session, voter meeting or report
  snapshot:
  whoever may see that record by its own rule (its unit's or its organisation's path), whether or
  not the event names a case;
- an event about a user, an organisation or a unit: admins whose jurisdiction contains that
  organisation's unit (a user's: their organisation's);
- the service's own configuration (calendar, deadline rules, routing rules, the reference seed):
  admins of the city's root unit, whose jurisdiction is everything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, String, and_, cast, or_, select
from sqlmodel import col

from app.models.audit import AuditEvent
from app.models.reference import AdminUnit, Organization
from app.models.users import Role, User
from app.security import Principal


def is_city_wide(principal: Principal) -> bool:
    """The caller's jurisdiction is the root unit (Hanoi): every unit is under it."""
    return principal.unit.parent_code is None


def supervised_records_clauses(principal: Principal) -> list[ColumnElement[bool]]:
    """Events about a dialogue, commitment, recommendation, reception session or voter meeting that
    the caller may read (with or without a case_id): the record is in the jurisdiction by the same
    rule as its own endpoints (its unit's or its organisation's path). One `entity_id IN (subquery)`
    per entity, so the whole scope stays one SQL statement (decision 0068)."""
    from app.models.dialogues import Commitment, Dialogue, ReceptionSession, VoterMeeting
    from app.models.reports import ReportSnapshot
    from app.models.supervision import Recommendation
    from app.services import dialogues, reception, recommendations, reports, voter_meetings

    records = (
        ("dialogue", Dialogue.id, dialogues.visible_clause(principal)),
        ("commitment", Commitment.id, dialogues.commitment_visible_clause(principal)),
        ("recommendation", Recommendation.id, recommendations.visible_clause_rec(principal)),
        ("reception_session", ReceptionSession.id, reception.visible_clause(principal)),
        ("voter_meeting", VoterMeeting.id, voter_meetings.visible_clause(principal)),
        ("report_snapshot", ReportSnapshot.id, reports.snapshot_visible_clause(principal)),
    )
    return [
        and_(col(AuditEvent.entity) == entity, col(AuditEvent.entity_id).in_(select(cast(pk, String)).where(visible)))
        for entity, pk, visible in records
    ]


def audit_scope(stmt: Select, principal: Principal) -> Select:
    """`stmt` (over AuditEvent) narrowed to the events the caller may read."""
    from app.services.cases_scope import (  # late: the case module builds on this one
        case_ids_in_jurisdiction,
        relocated_from_clause,
    )

    if principal.role == Role.admin and is_city_wide(principal):
        return stmt
    # a case in the jurisdiction; or the event that moved a case out of it (its old ward's supervisors
    # keep seeing that it left, and where to: decision 0022); or a supervision record in it
    about_a_case = or_(
        col(AuditEvent.case_id).in_(case_ids_in_jurisdiction(principal)),
        relocated_from_clause(principal),
        *supervised_records_clauses(principal),
    )
    if principal.role != Role.admin:
        return stmt.where(about_a_case)
    under = col(AdminUnit.path).startswith(principal.jurisdiction_path, autoescape=True)
    units = select(col(AdminUnit.code)).where(under)
    orgs = (
        select(cast(col(Organization.id), String))
        .join(AdminUnit, col(AdminUnit.code) == col(Organization.unit_code))
        .where(under)
    )
    users = (
        select(cast(col(User.id), String))
        .join(Organization, col(Organization.id) == col(User.organization_id))
        .join(AdminUnit, col(AdminUnit.code) == col(Organization.unit_code))
        .where(under)
    )
    return stmt.where(
        or_(
            about_a_case,
            and_(
                col(AuditEvent.case_id).is_(None),
                col(AuditEvent.entity) == "unit",
                col(AuditEvent.entity_id).in_(units),
            ),
            and_(
                col(AuditEvent.case_id).is_(None),
                col(AuditEvent.entity) == "organization",
                col(AuditEvent.entity_id).in_(orgs),
            ),
            and_(
                col(AuditEvent.case_id).is_(None),
                col(AuditEvent.entity) == "user",
                col(AuditEvent.entity_id).in_(users),
            ),
        )
    )
