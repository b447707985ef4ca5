"""The law's secondary time limits (nghĩa vụ có thời hạn): obligations a case carries beside the
deadline of its running stage, each with its own due date.

An obligation is started by an event (a case logged, an action taken), fulfilled (`done_on`) by
the events that discharge it, and cancelled (`cancelled_on`) by the events after which it no
longer applies. It is overdue by the same by-date rule as a case (app/workflows/overdue.py):
today (Asia/Ho_Chi_Minh) is after its due date and it is neither done nor cancelled. A
suspension of the case does not stop it: the suspension decision itself is one to send.

The same rule as SQL is `app.models.obligations.obligation_overdue_clause` (lists, supervision and
reports use that one); tests/services/test_obligations.py checks on both databases that the two
agree. Every limit below was checked in the primary text (docs/decisions/0041-obligations.md).

Events are the lifecycle's action names (app/workflows/lifecycle.py), plus `intake` (a case is
logged) and `withdraw_all` (every denouncer withdrew everything: the case ends, Luật Tố cáo
Art 33(2), 34(3)(a)). Pure and I/O-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.workflows.calendar import CountingMode, WorkCalendar

__all__ = [
    "OBLIGATION_RULES",
    "RECEPTION_ONLY_KINDS",
    "RESULT_RELAY_KINDS",
    "ObligationRule",
    "discharges",
    "is_obligation_overdue",
    "markdown_section",
    "rule_for",
    "starts",
]

_DENUNCIATION_LAW = date(2019, 1, 1)  # Luật Tố cáo 25/2018/QH14
_RECEPTION_LAW = date(2014, 7, 1)  # Luật Tiếp công dân 42/2013/QH13


@dataclass(frozen=True)
class ObligationRule:
    """One secondary time limit: `days` counted in `mode` from the day of the starting event
    (the first day not counted, Civil Code Art 147)."""

    key: str
    label: str
    kinds: frozenset[str]
    days: int
    mode: CountingMode
    started_by: frozenset[str]  # events that start it
    discharged_by: frozenset[str]  # events that fulfil it (`notify` names the key)
    owner: str  # who owes it: "holder" (the organisation holding the case) or "receiver" (the reception body)
    effective_from: date
    source: str
    cancelled_by: frozenset[str] = field(default_factory=frozenset)  # events after which it no longer applies
    receiver_kinds: frozenset[str] | None = None  # started only when the receiving body is of these kinds
    only_followup: bool = False  # started only for a follow-up denunciation (tố cáo tiếp, parent case linked)
    only_forwarded: bool = False  # started only when another body resolved a case this one received
    only_accepted: bool = False  # started only when the case had been accepted (a decision must issue)
    note: str = ""

    def __post_init__(self) -> None:
        if self.days <= 0:
            raise ValueError(f"{self.key}: days must be positive")
        if self.owner not in ("holder", "receiver"):
            raise ValueError(f"{self.key}: owner must be holder or receiver")
        if not self.source or not self.started_by or not self.discharged_by:
            raise ValueError(f"{self.key}: a rule needs a source, starting and discharging events")

    def due(self, start: date, calendar: WorkCalendar) -> date:
        return calendar.due_date(start, self.days, self.mode)


_DN = frozenset({"denunciation"})
# Organisation kinds (app/models/reference.OrgKind) that receive, guide and forward but never
# resolve (thụ lý) a denunciation: for them every denunciation is "outside competence".
RECEPTION_ONLY_KINDS = frozenset(
    {"people_council", "fatherland_front", "citizen_reception_board", "mass_mobilization_board", "mass_organization"}
)
# The bodies Luật Tiếp công dân Art 28(2) names: National Assembly bodies and deputies, People's
# Council deputies, citizen reception boards.
RESULT_RELAY_KINDS = frozenset({"people_council", "citizen_reception_board"})
_ALL = frozenset({"complaint", "denunciation", "petition", "reflection"})
# A follow-up denunciation is "dealt with" by any of the decisions Art 37(2)(a)-(c) lists.
_FOLLOWUP_DECISIONS = frozenset({"accept", "reject", "archive", "forward", "guide"})

OBLIGATION_RULES: tuple[ObligationRule, ...] = (
    ObligationRule(
        "tc24_forward",
        "Chuyển tố cáo không thuộc thẩm quyền đến nơi có thẩm quyền (và báo người tố cáo)",
        _DN,
        5,
        "working",
        started_by=frozenset({"intake"}),
        discharged_by=frozenset({"forward", "guide"}),
        cancelled_by=frozenset({"accept", "reject", "archive", "reclassify", "withdraw_all"}),
        owner="holder",
        receiver_kinds=RECEPTION_ONLY_KINDS,
        effective_from=_DENUNCIATION_LAW,
        source="Luật Tố cáo 25/2018 Art 24(2)",
        note="5 working days from receipt of the written denunciation. Started for a denunciation logged "
        "by a body that never resolves denunciations (People's Council, Fatherland Front, reception "
        "boards, Party and mass organisations: `RECEPTION_ONLY_KINDS`); fulfilled by `forward` (or "
        "`guide`, for one made in person); cancelled when the matter is settled otherwise (accepted, "
        "refused, archived) or it is no longer a denunciation. A resolving body has 7 working days "
        "(Art 24(1)) to sort out its own competence, which the `processing` stage already tracks.",
    ),
    ObligationRule(
        "tc29_notify_acceptance",
        "Thông báo thụ lý cho người tố cáo và nội dung tố cáo cho người bị tố cáo",
        _DN,
        5,
        "working",
        started_by=frozenset({"accept"}),
        discharged_by=frozenset({"notify"}),
        cancelled_by=frozenset({"withdraw_all"}),
        owner="holder",
        effective_from=_DENUNCIATION_LAW,
        source="Luật Tố cáo 25/2018 Art 29(3)",
        note="5 working days from the acceptance decision; recorded with `notify`.",
    ),
    ObligationRule(
        "tc34_send_suspension",
        "Gửi quyết định tạm đình chỉ giải quyết tố cáo",
        _DN,
        5,
        "working",
        started_by=frozenset({"suspend"}),
        discharged_by=frozenset({"notify"}),
        owner="holder",
        effective_from=_DENUNCIATION_LAW,
        source="Luật Tố cáo 25/2018 Art 34(4)",
        note="5 working days from the decision, to the denouncer and the accused; recorded with `notify`.",
    ),
    ObligationRule(
        "tc34_send_termination",
        "Gửi quyết định đình chỉ giải quyết tố cáo",
        _DN,
        5,
        "working",
        started_by=frozenset({"terminate", "withdraw_all"}),
        discharged_by=frozenset({"notify"}),
        owner="holder",
        only_accepted=True,
        effective_from=_DENUNCIATION_LAW,
        source="Luật Tố cáo 25/2018 Art 34(3)-(4)",
        note="5 working days from the decision, to the denouncer and the accused; also when every "
        "denouncer withdrew everything from an accepted denunciation (Art 34(3)(a)); recorded with `notify`.",
    ),
    ObligationRule(
        "tc37_review_followup",
        "Xem xét hồ sơ vụ việc khi có tố cáo tiếp",
        _DN,
        20,
        "calendar",
        started_by=frozenset({"intake"}),
        discharged_by=_FOLLOWUP_DECISIONS,
        cancelled_by=frozenset({"reclassify", "withdraw_all"}),
        owner="holder",
        only_followup=True,
        effective_from=_DENUNCIATION_LAW,
        source="Luật Tố cáo 25/2018 Art 37(2)",
        note="20 days from receipt of a follow-up denunciation (logged with `parent_case_id` naming the "
        "earlier denunciation): review the earlier file and decide (not re-resolved, resolved anew, "
        "or forwarded).",
    ),
    ObligationRule(
        "tcd28_notify_result",
        "Thông báo kết quả giải quyết cho công dân (nơi đã chuyển đơn)",
        _ALL,
        5,
        "working",
        started_by=frozenset({"decide"}),
        discharged_by=frozenset({"notify"}),
        owner="receiver",
        only_forwarded=True,
        receiver_kinds=RESULT_RELAY_KINDS,
        effective_from=_RECEPTION_LAW,
        source="Luật Tiếp công dân 42/2013 Art 28(2)",
        note="5 working days from receiving the resolver's result notice (the resolver's decision date, "
        "as both use this service), owed by the body that received and forwarded the case when it is one "
        "Art 28(2) names (People's Council, citizen reception board); recorded by that body with `notify`. "
        "The law asks it only where the citizen asked for the result; the service assumes they did.",
    ),
)

_BY_KEY = {r.key: r for r in OBLIGATION_RULES}


def rule_for(key: str) -> ObligationRule | None:
    return _BY_KEY.get(key)


def starts(
    event: str,
    kind: str,
    on: date,
    *,
    followup: bool = False,
    forwarded: bool = False,
    accepted: bool = False,
    receiver_kind: str | None = None,
    rules: Iterable[ObligationRule] = OBLIGATION_RULES,
) -> list[ObligationRule]:
    """The obligations an event on a case of this kind starts on `on` (rules in force that day)."""
    out = []
    for r in rules:
        if event not in r.started_by or kind not in r.kinds or on < r.effective_from:
            continue
        if (
            (r.receiver_kinds is not None and receiver_kind not in r.receiver_kinds)
            or (r.only_followup and not followup)
            or (r.only_forwarded and not forwarded)
            or (r.only_accepted and not accepted)
        ):
            continue
        out.append(r)
    return out


def depends_on_receiver(event: str) -> bool:
    """Whether an obligation this event may start depends on the kind of the receiving body."""
    return any(event in r.started_by and r.receiver_kinds is not None for r in OBLIGATION_RULES)


def discharges(event: str, key: str) -> str | None:
    """What the event does to an open obligation: "done", "cancelled" or None."""
    r = _BY_KEY.get(key)
    if r is None:
        return None
    if event in r.discharged_by and event != "notify":  # `notify` fulfils only the obligation it names
        return "done"
    if event in r.cancelled_by:
        return "cancelled"
    return None


def is_obligation_overdue(due: date, done_on: date | None, cancelled_on: date | None, today: date) -> bool:
    """Missed: neither done nor cancelled, and today is after the due date (the due date itself is on time)."""
    return done_on is None and cancelled_on is None and today > due


def markdown_section() -> list[str]:
    """The obligations section of docs/deadlines.md."""
    lines = [
        "## Obligations (secondary time limits)",
        "",
        "Shown on a case as `obligations` (`app/workflows/obligations.py`). Each starts with an event, "
        "is fulfilled by another (`notify` with the obligation's key where the law asks for a notice or "
        "a decision to be sent), and is overdue when today is after its due date and it is neither done "
        "nor cancelled. A suspension of the case does not stop it.",
        "",
        "| Key | Obligation | Kinds | Limit | Starts on | Fulfilled by | Cancelled by | Owed by "
        "| Effective from | Source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in OBLIGATION_RULES:
        kinds = "all" if r.kinds == _ALL else ", ".join(sorted(r.kinds))
        limit = f"{r.days} WD" if r.mode == "working" else f"{r.days} d"
        owner = "the holder" if r.owner == "holder" else "the receiving (reception) body"
        lines.append(
            f"| `{r.key}` | {r.label} | {kinds} | {limit} | {', '.join(f'`{e}`' for e in sorted(r.started_by))} "
            f"| {', '.join(f'`{e}`' for e in sorted(r.discharged_by))} "
            f"| {', '.join(f'`{e}`' for e in sorted(r.cancelled_by)) or '–'} | {owner} "
            f"| {r.effective_from.isoformat()} | {r.source} |"
        )
    lines += ["", "Notes:", ""]
    lines += [f"- `{r.key}`: {r.note}" for r in OBLIGATION_RULES if r.note]
    lines += [
        "",
        "Not tracked as obligations: the reply to the citizen within 10 WD of reception (Luật Tiếp công "
        "dân Art 28(1)) is the `processing` stage's deadline above; the 3 WD for sending a complaint's "
        "suspension or termination decision (ND 124/2020 Art 28b as amended by ND 155/2026) is unverified "
        "and Luật Khiếu nại Art 10 sets no days for the termination notice after a withdrawal.",
        "",
    ]
    return lines
