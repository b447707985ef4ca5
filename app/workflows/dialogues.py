"""Dialogues (đối thoại), their commitments, and leaders' reception duty (tiếp công dân): the
pure rules. No I/O: the services load, apply these, and write.

- The dialogue's small lifecycle, as one table (like app/workflows/lifecycle.py):
  scheduled → held | postponed | cancelled, postponed → held | postponed | cancelled.
- The notice rule: a dialogue notified fewer than 5 days ahead is flagged.
- When a complaint may not be decided before a dialogue has been held (Luật Khiếu nại Art 30, 39).
- When a commitment is overdue (the SQL twin is `app.models.dialogues.commitment_overdue_clause`).
- How often heads must receive citizens in person, as data with effective dates and sources,
  and the compliance of a month's sessions against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.workflows.actions import legal, legal_now
from app.workflows.roles import Role

# ---- dialogues ------------------------------------------------------------------------------


class DialogueKind(StrEnum):
    complaint_resolution = "complaint_resolution"  # đối thoại trong giải quyết khiếu nại (Luật KN Art 30, 39)
    direct_dialogue = "direct_dialogue"  # đối thoại trực tiếp với nhân dân (Quy chế 2387 Art 8.3, 10.4, 14.3)


class DialogueStatus(StrEnum):
    scheduled = "scheduled"  # đã lên lịch, đã thông báo
    held = "held"  # đã tổ chức, có biên bản
    postponed = "postponed"  # hoãn, có thời gian mới
    cancelled = "cancelled"  # hủy


class DialogueActionName(StrEnum):
    hold = "hold"
    postpone = "postpone"
    cancel = "cancel"


@dataclass(frozen=True)
class DialogueAction:
    name: DialogueActionName
    label: str
    from_statuses: frozenset[DialogueStatus]
    to_status: DialogueStatus
    required: tuple[str, ...]
    source: str


_PENDING = frozenset({DialogueStatus.scheduled, DialogueStatus.postponed})
DIALOGUE_ROLES = frozenset({Role.handler, Role.reception})  # of the host organisation; supervisors read

DIALOGUE_ACTIONS: dict[DialogueActionName, DialogueAction] = {
    a.name: a
    for a in (
        DialogueAction(
            DialogueActionName.hold,
            "Hold the dialogue: minutes and attendance (absentees recorded)",
            _PENDING,
            DialogueStatus.held,
            ("minutes",),
            "Luật Khiếu nại 02/2011 Art 30(3)-(4): minutes with each participant's opinion and the result",
        ),
        DialogueAction(
            DialogueActionName.postpone,
            "Postpone to a new time (a new notice)",
            _PENDING,
            DialogueStatus.postponed,
            ("scheduled_at",),
            "Luật Khiếu nại Art 30(2): written notice of time, place and content",
        ),
        DialogueAction(DialogueActionName.cancel, "Cancel", _PENDING, DialogueStatus.cancelled, ("reason",), ""),
    )
}


def dialogue_action(name: str, status: str) -> DialogueAction | None:
    """The action if it is allowed from this status, else None."""
    return legal(DIALOGUE_ACTIONS.values(), name, DialogueStatus(status))


def allowed_dialogue_actions(status: str) -> list[str]:
    return [a.name.value for a in legal_now(DIALOGUE_ACTIONS.values(), DialogueStatus(status))]


# Notice of a complaint dialogue at least 5 days ahead: ND 124/2020 Art 28(1) as amended by
# ND 155/2026 (legal-rules.md §1 #12, an unverified transcription [U]). Flagged, not refused:
# the law's consequence of short notice is not stated, and a direct dialogue has no fixed notice.
MIN_NOTICE_DAYS = 5
NOTICE_SOURCE = "ND 124/2020/NĐ-CP Art 28(1) as amended by ND 155/2026/NĐ-CP (unverified transcription)"


def short_notice(notice_on: date, dialogue_on: date, min_days: int = MIN_NOTICE_DAYS) -> bool:
    """True when the dialogue's day is fewer than `min_days` calendar days after the notice."""
    return (dialogue_on - notice_on).days < min_days


# ---- a complaint's decision needs a held dialogue -------------------------------------------


def dialogue_required_before_decision(
    kind: str, complaint_round: int | None, verification_differs: bool | None
) -> str | None:
    """The legal source when a complaint may not be decided before a dialogue on it has been
    held, else None.

    - Round 2: always (Luật Khiếu nại 02/2011 Art 39, "tiến hành đối thoại").
    - Round 1: when the complainant's request and the verification result still differ
      (Art 30(1)); the resolver says so with `verification_differs` on `decide`.
    """
    if kind != "complaint":
        return None
    if (complaint_round or 1) == 2:
        return "Luật Khiếu nại 02/2011 Art 39"
    if verification_differs:
        return "Luật Khiếu nại 02/2011 Art 30(1)"
    return None


# ---- commitments ----------------------------------------------------------------------------


class CommitmentStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


def commitment_overdue(status: str, due_on: date | None, today: date) -> bool:
    """A commitment is overdue when it is still open and today (the business date in
    Asia/Ho_Chi_Minh) is after its due date. Decided by date, not to the second.
    SQL twin: app.models.dialogues.commitment_overdue_clause."""
    return status == CommitmentStatus.open and due_on is not None and today > due_on


# ---- leaders' reception duty ----------------------------------------------------------------


class Per(StrEnum):
    week = "week"
    month = "month"


@dataclass(frozen=True)
class ReceptionRule:
    """How often the head of an organisation must receive citizens in person."""

    key: str
    head: str  # who, in the law's words
    org_kinds: frozenset[str]
    unit_levels: frozenset[str]  # the level of the organisation's unit (city, district, commune)
    min_days: int
    per: Per
    effective_from: date
    effective_to: date | None  # last day in force; None: in force
    source: str
    evidence: str  # "primary": the article read; "secondary": a page quoting it

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @property
    def frequency(self) -> str:
        return f"at least {self.min_days} day{'s' if self.min_days > 1 else ''} per {self.per.value}"


_LUAT_TCD = date(2014, 7, 1)  # Luật Tiếp công dân 42/2013/QH13 in force
_LAW_136 = date(2026, 7, 1)  # Law 136/2025/QH15 amending it in force
_NO_DISTRICTS = date(2025, 7, 1)  # two-tier local government
_ADMIN_AGENCIES = frozenset({"department", "inspectorate"})

# Read from the primary text (Bộ pháp điển, mirrored in diepxuan/diepxuan.github.io,
# van-ban/khieu-nai-to-cao/tiep-cong-dan.md, Điều 18.4.LQ.12/13/15/18) unless marked secondary.
RECEPTION_RULES: tuple[ReceptionRule, ...] = (
    ReceptionRule(
        "tcd.province_chairman",
        "Chủ tịch Ủy ban nhân dân cấp tỉnh",
        frozenset({"people_committee"}),
        frozenset({"city"}),
        1,
        Per.month,
        _LUAT_TCD,
        None,
        'Luật Tiếp công dân 42/2013 Art 12(5) ("ít nhất 01 ngày trong 01 tháng"); the frequency '
        "after Law 136/2025 was not found, so this one is kept",
        "primary",
    ),
    ReceptionRule(
        "tcd.district_chairman",
        "Chủ tịch Ủy ban nhân dân cấp huyện",
        frozenset({"people_committee"}),
        frozenset({"district"}),
        2,
        Per.month,
        _LUAT_TCD,
        _NO_DISTRICTS - timedelta(days=1),
        'Luật Tiếp công dân 42/2013 Art 13(5) ("ít nhất 02 ngày trong 01 tháng"); the district level '
        "was abolished on 1 Jul 2025",
        "primary",
    ),
    ReceptionRule(
        "tcd.commune_chairman",
        "Chủ tịch Ủy ban nhân dân cấp xã",
        frozenset({"people_committee"}),
        frozenset({"commune"}),
        1,
        Per.week,
        _LUAT_TCD,
        _LAW_136 - timedelta(days=1),
        'Luật Tiếp công dân 42/2013 Art 15(2)(d) ("ít nhất 01 ngày trong 01 tuần")',
        "primary",
    ),
    ReceptionRule(
        "tcd.commune_chairman.2026",
        "Chủ tịch Ủy ban nhân dân cấp xã",
        frozenset({"people_committee"}),
        frozenset({"commune"}),
        2,
        Per.month,
        _LAW_136,
        None,
        "Luật Tiếp công dân as amended by Law 136/2025/QH15 (from 1 Jul 2026), per the Government "
        "Inspectorate's reply (news.laodong.vn); the amended text itself was not read",
        "secondary",
    ),
    ReceptionRule(
        "tcd.agency_head",
        "Người đứng đầu cơ quan hành chính nhà nước",
        _ADMIN_AGENCIES,
        frozenset({"city", "district", "commune"}),
        1,
        Per.month,
        _LUAT_TCD,
        None,
        'Luật Tiếp công dân 42/2013 Art 18(2) ("ít nhất 01 ngày trong 01 tháng")',
        "primary",
    ),
)


def reception_rule(
    org_kind: str, unit_level: str, on: date, rules: Iterable[ReceptionRule] = RECEPTION_RULES
) -> ReceptionRule | None:
    """The rule in force on `on` for the head of an organisation of this kind at this level."""
    for rule in rules:
        if org_kind in rule.org_kinds and unit_level in rule.unit_levels and rule.in_force(on):
            return rule
    return None


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def weeks_of_month(year: int, month: int) -> list[date]:
    """The Mondays of the weeks (Mon–Sun) that belong to the month: as ISO 8601 counts them, a
    week belongs to the month that holds its Thursday, so that no week is counted twice."""
    first, last = month_bounds(year, month)
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        if monday + timedelta(days=3) >= first and (monday + timedelta(days=3)).month == month:
            out.append(monday)
        monday += timedelta(days=7)
    return out


@dataclass(frozen=True)
class Compliance:
    measure: str  # "days" (distinct days with a session in the month) or "weeks" (weeks with one)
    required: int
    met: int
    compliant: bool
    weeks_missed: tuple[date, ...] = ()


def reception_compliance(rule: ReceptionRule, year: int, month: int, head_days: Iterable[date]) -> Compliance:
    """The month's sessions led by the head, against the rule. For a weekly rule each week of the
    month (weeks_of_month) needs a session on one of its days, which may fall in the next or the
    previous month; a monthly rule counts distinct days within the month."""
    days = set(head_days)
    if rule.per == Per.week:
        weeks = weeks_of_month(year, month)
        missed = tuple(w for w in weeks if not any(w + timedelta(days=i) in days for i in range(7)))
        required = len(weeks) * rule.min_days
        met = len(weeks) - len(missed)
        return Compliance("weeks", required, met, not missed, missed)
    first, last = month_bounds(year, month)
    held = len({d for d in days if first <= d <= last})
    return Compliance("days", rule.min_days, held, held >= rule.min_days)
