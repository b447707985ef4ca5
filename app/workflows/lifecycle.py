"""The life of a case, as one table (cf. Request Tracker's %Lifecycles).

Every action a case can take is declared once, below, in ACTIONS: from which statuses, to which
status, for which kinds (and complaint rounds), by which roles, with which required fields and
legal grounds, and what it does to the statutory clock. The service that applies an action
(app/services/cases.py) never changes when the lifecycle does; `GET /cases/{id}/actions` and
docs/lifecycle.md are read from the same table (`python -m app.workflows.lifecycle --markdown`).

Pure and I/O-free.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from app.workflows.actions import legal
from app.workflows.deadlines import Stage
from app.workflows.roles import Role

__all__ = ["ACTIONS", "Action", "Clock", "Ground", "Kind", "Role", "Stage", "Status"]


class Kind(StrEnum):
    complaint = "complaint"  # khiếu nại — Luật Khiếu nại 02/2011
    denunciation = "denunciation"  # tố cáo — Luật Tố cáo 25/2018
    petition = "petition"  # kiến nghị — Luật Tiếp công dân 42/2013, TT 05/2021
    reflection = "reflection"  # phản ánh — same


class Status(StrEnum):
    received = "received"  # đã tiếp nhận
    forwarded = "forwarded"  # đã chuyển đơn
    accepted = "accepted"  # đã thụ lý
    verifying = "verifying"  # đang xác minh
    suspended = "suspended"  # tạm đình chỉ
    decided = "decided"  # đã có quyết định / kết luận / trả lời
    closed = "closed"  # kết thúc
    appealed = "appealed"  # đã khiếu nại lần hai
    rejected = "rejected"  # không thụ lý
    guided = "guided"  # đã hướng dẫn
    archived = "archived"  # lưu đơn
    withdrawn = "withdrawn"  # đã rút
    terminated = "terminated"  # đình chỉ giải quyết


class Clock(StrEnum):
    """What an action does to the statutory clock."""

    none = "none"
    start_processing = "start_processing"  # due = the intake stage's limit (intake_stage) from the received date
    start_acceptance = "start_acceptance"  # due = acceptance limit from the action's date
    start_resolution = "start_resolution"  # due = resolution limit from the acceptance date
    pause = "pause"  # suspension stops the clock
    resume = "resume"  # due moves by the suspended time
    extend = "extend"  # the law's extension (complex cases)
    stop = "stop"  # no running stage any more
    stop_if_ended = "stop_if_ended"  # stop only if the action ends the case (a withdrawal by everyone of everything)


OPEN_STATUSES = frozenset(
    {Status.received, Status.forwarded, Status.accepted, Status.verifying, Status.suspended, Status.decided}
)
FINAL_STATUSES = frozenset(Status) - OPEN_STATUSES
ALL_KINDS = frozenset(Kind)
DESK = frozenset({Role.reception, Role.handler})
HANDLER = frozenset({Role.handler})


@dataclass(frozen=True)
class Ground:
    code: str
    label: str
    source: str


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    from_statuses: frozenset[Status]
    to_status: Status | None  # None: computed (resume goes back to the status before suspension)
    roles: frozenset[Role]
    clock: Clock = Clock.none
    kinds: frozenset[Kind] = ALL_KINDS
    rounds: frozenset[int] | None = None  # complaint rounds this applies to; None = any
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    grounds: Mapping[Kind, tuple[Ground, ...]] = field(default_factory=dict)
    outcomes: Mapping[Kind, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    to_note: str = ""  # docs: what a computed target status is
    ends_in: Status | None = None  # a computed target's final status, when the action ends the case
    records_only: bool = False  # never changes the status (a notice sent): allowed in final statuses too
    by_receiver: bool = False  # the receiving organisation may take it too (an obligation it owes)
    # kinds for which only an organisation that may resolve (Organization.may_resolve) takes it
    resolver_only: frozenset[Kind] = frozenset()
    # the day the law that introduced the action took effect: refused for earlier dates
    effective_from: date | None = None

    def not_yet_in_force(self, on: date) -> str | None:
        """Why the action cannot be taken with this date, or None."""
        if self.effective_from is not None and on < self.effective_from:
            return (
                f"'{self.name}' of a {'/'.join(sorted(k.value for k in self.kinds))} exists only from "
                f"{self.effective_from.isoformat()} ({self.source}); the action's date is {on.isoformat()}."
            )
        return None

    def open_to(self, kind: Kind, may_resolve: bool) -> bool:
        """Whether an organisation (that may or may not resolve) takes this action on this kind."""
        return may_resolve or kind not in self.resolver_only

    def applies_to(self, kind: Kind, complaint_round: int | None) -> bool:
        if kind not in self.kinds:
            return False
        return not (self.rounds is not None and kind == Kind.complaint and (complaint_round or 1) not in self.rounds)

    def grounds_for(self, kind: Kind) -> tuple[Ground, ...]:
        return self.grounds.get(kind, ())


# ---- legal grounds ---------------------------------------------------------------------------

COMPLAINT_REFUSAL = (  # Luật Khiếu nại 02/2011 Art 11: complaints that are not accepted
    Ground(
        "kn11_1_not_subject",
        "Internal, directive, normative or state-secret act (defence, security, foreign affairs)",
        "Luật Khiếu nại Art 11(1)",
    ),
    Ground(
        "kn11_2_no_direct_interest",
        "No direct link to the complainant's rights and interests",
        "Luật Khiếu nại Art 11(2)",
    ),
    Ground(
        "kn11_3_no_capacity",
        "Complainant lacks full civil capacity and has no legal representative",
        "Luật Khiếu nại Art 11(3)",
    ),
    Ground("kn11_4_unlawful_representative", "The representative is not lawful", "Luật Khiếu nại Art 11(4)"),
    Ground("kn11_5_unsigned", "The petition has no signature or fingerprint", "Luật Khiếu nại Art 11(5)"),
    Ground(
        "kn11_6_time_barred",
        "The time limits (thời hiệu, thời hạn) have passed with no valid reason: the 90-day "
        "filing limit (Art 9) or the appeal window (Art 33(1))",
        "Luật Khiếu nại Art 11(6)",
    ),
    Ground("kn11_7_second_decision_exists", "A second-time decision already exists", "Luật Khiếu nại Art 11(7)"),
    Ground(
        "kn11_8_not_continued", "Termination notice issued and not continued within 30 days", "Luật Khiếu nại Art 11(8)"
    ),
    Ground(
        "kn11_9_court",
        "A court has accepted the matter or settled it by judgment or decision, except a court's "
        "decision to stop (đình chỉ) the administrative case",
        "Luật Khiếu nại Art 11(9)",
    ),
)
DENUNCIATION_REFUSAL = (  # Luật Tố cáo 25/2018 Art 29(1): a condition for acceptance is not met
    Ground("tc29_form", "The denunciation does not follow the form of Art 23", "Luật Tố cáo Art 29(1)(a)"),
    Ground("tc29_capacity", "The denouncer has no civil capacity and no representative", "Luật Tố cáo Art 29(1)(b)"),
    Ground("tc29_competence", "The matter is not within this body's competence", "Luật Tố cáo Art 29(1)(c)"),
    Ground("tc29_no_violation", "The content does not identify a violator and a violation", "Luật Tố cáo Art 29(1)(d)"),
    Ground(
        "tc29_resolved_complaint",
        "Grows out of a lawfully resolved complaint with no evidence the resolver broke the law",
        "Luật Tố cáo Art 29(1)",
    ),
)
_TT05 = "TT 05/2021/TT-TTCP Art 6, 28"
ARCHIVE_GROUNDS = (  # lưu đơn: not processable, duplicate, anonymous without substance
    Ground(
        "not_processable",
        "Not processable: not in Vietnamese, undated, no name/address, unsigned, or no content",
        _TT05,
    ),
    Ground(
        "duplicate",
        "Duplicate of an open case (same petitioner, same content): attached to it",
        "TT 05/2021/TT-TTCP (duplicate petitions)",
    ),
    Ground(
        "anonymous", "Anonymous, impostor or unclear sender without concrete, verifiable content", "Luật Tố cáo Art 25"
    ),
    Ground("final_decision", "Complaint already has a final decision not qualifying for review", _TT05),
    Ground(
        "concluded_no_new_evidence",
        "Denunciation already concluded; no new evidence",
        "Luật Tố cáo Art 37(2)(a); " + _TT05,
    ),
    Ground(
        "sent_to_competent_body",
        "Outside competence and also sent to the competent body (or sent again after "
        "the denouncer was guided to it): not processed",
        "Luật Tố cáo Art 24(3)",
    ),
)
OUTCOMES: Mapping[Kind, tuple[str, ...]] = {
    Kind.complaint: ("upheld", "partly_upheld", "rejected"),  # đúng / đúng một phần / sai
    Kind.denunciation: ("true", "partly_true", "false"),  # đúng / đúng một phần / sai
    Kind.petition: ("answered",),
    Kind.reflection: ("answered",),
}
COMPLEXITIES = ("complex", "particularly_complex")

_ACTIVE = frozenset({Status.accepted, Status.verifying})
_WITHDRAWABLE = frozenset({Status.received, Status.forwarded, Status.accepted, Status.verifying, Status.suspended})
_CK_DN = frozenset({Kind.complaint, Kind.denunciation})
_CK = frozenset({Kind.complaint})
_DN = frozenset({Kind.denunciation})
# Law 136/2025/QH15 amending the laws on citizen reception, complaints and denunciations (passed
# 10 Dec 2025): in force 1 Jul 2026. It added Luật Khiếu nại Art 11a (suspension and termination
# of complaint resolution). Secondary sources only (legal-rules.md §0, §3): the Law Codification
# mirror has not integrated it; applied only to refuse the actions before that date. Decision 0035.
LAW_136_2025_EFFECTIVE = date(2026, 7, 1)

ACTIONS: tuple[Action, ...] = (
    Action(
        "reclassify",
        "Phân loại lại (by content, not title)",
        frozenset({Status.received}),
        Status.received,
        DESK,
        Clock.start_processing,
        required=("kind",),
        optional=("reason", "complaint_round"),
        source="TT 05/2021/TT-TTCP Art 6",
    ),
    Action(
        "forward",
        "Chuyển đơn",
        frozenset({Status.received, Status.forwarded}),
        Status.forwarded,
        DESK,
        Clock.start_acceptance,
        required=("to_org",),
        optional=("reason",),
        source="Luật Tiếp công dân Art 26; Luật Tố cáo Art 24(2); Quy chế 2387 Art 15.5",
    ),
    Action(
        "accept",
        "Thụ lý",
        frozenset({Status.received, Status.forwarded}),
        Status.accepted,
        DESK,
        Clock.start_resolution,
        optional=("reason", "remote_area"),
        resolver_only=_CK_DN,
        source="Luật Khiếu nại Art 27, 36; Luật Tố cáo Art 29",
    ),
    Action(
        "reject",
        "Không thụ lý",
        frozenset({Status.received, Status.forwarded}),
        Status.rejected,
        HANDLER,
        Clock.stop,
        kinds=_CK_DN,
        required=("ground",),
        optional=("reason",),
        grounds={Kind.complaint: COMPLAINT_REFUSAL, Kind.denunciation: DENUNCIATION_REFUSAL},
        resolver_only=_CK_DN,
        source="Luật Khiếu nại Art 11, 27; Luật Tố cáo Art 29(1)",
    ),
    Action(
        "return",
        "Trả lại đơn cho nơi chuyển",
        frozenset({Status.forwarded}),
        Status.received,
        DESK,
        Clock.start_processing,
        required=("reason",),
        source="TT 05/2021 (return with reasons to the sender when outside competence)",
    ),
    Action(
        "guide",
        "Hướng dẫn",
        frozenset({Status.received, Status.forwarded}),
        Status.guided,
        DESK,
        Clock.stop,
        required=("reason",),
        optional=("guided_to",),
        source="Luật Tiếp công dân Art 26",
    ),
    Action(
        "archive",
        "Lưu đơn",
        frozenset({Status.received, Status.forwarded}),
        Status.archived,
        DESK,
        Clock.stop,
        required=("ground",),
        optional=("reason", "duplicate_of"),
        grounds={k: ARCHIVE_GROUNDS for k in Kind},
        source=_TT05,
    ),
    Action(
        "start_verification",
        "Xác minh",
        frozenset({Status.accepted}),
        Status.verifying,
        HANDLER,
        kinds=_CK_DN,
        optional=("reason",),
        source="Luật Khiếu nại Art 29; Luật Tố cáo Art 31",
    ),
    Action(
        "suspend",
        "Tạm đình chỉ",
        _ACTIVE,
        Status.suspended,
        HANDLER,
        Clock.pause,
        kinds=_DN,
        required=("reason",),
        source="Luật Tố cáo Art 34",
    ),
    Action(
        "suspend",
        "Tạm đình chỉ",
        _ACTIVE,
        Status.suspended,
        HANDLER,
        Clock.pause,
        kinds=_CK,
        required=("reason",),
        effective_from=LAW_136_2025_EFFECTIVE,
        source="Luật Khiếu nại Art 11a, added by Law 136/2025/QH15",
    ),
    Action(
        "resume",
        "Tiếp tục giải quyết",
        frozenset({Status.suspended}),
        None,
        HANDLER,
        Clock.resume,
        kinds=_DN,
        optional=("reason",),
        source="Luật Tố cáo Art 34",
    ),
    Action(
        "resume",
        "Tiếp tục giải quyết",
        frozenset({Status.suspended}),
        None,
        HANDLER,
        Clock.resume,
        kinds=_CK,
        optional=("reason",),
        effective_from=LAW_136_2025_EFFECTIVE,
        source="Luật Khiếu nại Art 11a, added by Law 136/2025/QH15",
    ),
    Action(
        "extend",
        "Gia hạn",
        _ACTIVE,
        None,
        HANDLER,
        Clock.extend,
        kinds=_CK_DN,
        required=("complexity", "reason"),
        source="Luật Khiếu nại Art 28, 37; Luật Tố cáo Art 30",
    ),
    Action(
        "decide",
        "Quyết định / Kết luận / Trả lời",
        frozenset({Status.verifying}),
        Status.decided,
        HANDLER,
        Clock.stop,
        kinds=_CK_DN,
        required=("outcome", "summary"),
        optional=("verification_differs",),
        outcomes=OUTCOMES,
        source="Luật Khiếu nại Art 30, 31, 39, 40; Luật Tố cáo Art 35 (complaints: a held dialogue first in "
        "round 2, and in round 1 when the verification differs from the request)",
    ),
    Action(
        "decide",
        "Trả lời kiến nghị, phản ánh",
        frozenset({Status.accepted}),
        Status.decided,
        HANDLER,
        Clock.stop,
        kinds=frozenset({Kind.petition, Kind.reflection}),
        required=("outcome", "summary"),
        outcomes=OUTCOMES,
        source="Luật Tiếp công dân Art 28; TT 05/2021",
    ),
    Action(
        "close",
        "Kết thúc hồ sơ",
        frozenset({Status.decided}),
        Status.closed,
        DESK,
        Clock.stop,
        optional=("reason",),
        source="Luật Khiếu nại Art 44",
    ),
    Action(
        "appeal",
        "Khiếu nại lần hai",
        frozenset({Status.decided, Status.closed, Status.accepted, Status.verifying}),
        Status.appealed,
        DESK,
        Clock.stop,
        kinds=frozenset({Kind.complaint}),
        rounds=frozenset({1}),
        optional=("reason", "remote_area"),
        source="Luật Khiếu nại Art 33",
    ),
    Action(
        "withdraw",
        "Rút đơn (toàn bộ / một phần, một / nhiều người)",
        _WITHDRAWABLE,
        None,
        DESK,
        Clock.stop_if_ended,
        required=("reason",),
        optional=("petitioner_ids", "partial", "continue_resolution"),
        to_note="withdrawn when every petitioner withdraws everything (and no `continue_resolution`); else unchanged",
        ends_in=Status.withdrawn,
        source="Luật Khiếu nại Art 10; Luật Tố cáo Art 33",
    ),
    Action(
        "terminate",
        "Đình chỉ giải quyết",
        _ACTIVE | {Status.suspended},
        Status.terminated,
        HANDLER,
        Clock.stop,
        kinds=_DN,
        required=("reason",),
        source="Luật Tố cáo Art 34",
    ),
    Action(
        "terminate",
        "Đình chỉ giải quyết",
        _ACTIVE | {Status.suspended},
        Status.terminated,
        HANDLER,
        Clock.stop,
        kinds=_CK,
        required=("reason",),
        effective_from=LAW_136_2025_EFFECTIVE,
        source="Luật Khiếu nại Art 11a, added by Law 136/2025/QH15 (before it: only after withdrawal, Art 10)",
    ),
    Action(
        "relocate",
        "Chuyển địa bàn (sửa đơn vị hành chính của vụ việc)",
        OPEN_STATUSES,
        None,
        DESK,
        required=("location_unit_code", "reason"),
        source="Quy chế 2387; Luật Tiếp công dân Art 26 (no clock effect: the stage runs on)",
    ),
    Action(
        "notify",
        "Ghi nhận đã gửi thông báo / quyết định",
        frozenset(Status),
        None,
        DESK,
        required=("obligation",),
        optional=("reason",),
        by_receiver=True,
        records_only=True,
        to_note="(unchanged): fulfils the open obligation named (docs/deadlines.md, Obligations)",
        source="Luật Tố cáo Art 29(3), 34(4); Luật Tiếp công dân Art 28(2)",
    ),
    # urgent alerts (app/services/alerts.py); the status and the clock stay as they are
    Action(
        "flag_urgent",
        "Báo cáo khẩn (tình huống phức tạp)",
        OPEN_STATUSES,
        None,
        DESK,
        required=("urgent_reason", "reason"),
        source="Quy chế 2387-QĐ/TU Art 23, 24.4",
    ),
)

ACTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(a.name for a in ACTIONS))
TRANSITION_ROLES = frozenset({Role.reception, Role.handler})


def candidates(name: str, kind: Kind, complaint_round: int | None) -> list[Action]:
    return [a for a in ACTIONS if a.name == name and a.applies_to(kind, complaint_round)]


def find(name: str, kind: Kind, complaint_round: int | None, status: Status) -> Action | None:
    """The declaration of `name` for a case of this kind in this status, or None if illegal."""
    return legal(candidates(name, kind, complaint_round), name, status)


def allowed(
    kind: Kind, complaint_round: int | None, status: Status, role: Role | None = None, may_resolve: bool = True
) -> list[Action]:
    """Actions legal now for this case (and, if given, this role and an organisation that may or
    may not resolve), in table order."""
    out = []
    for a in ACTIONS:
        if (
            status in a.from_statuses
            and a.applies_to(kind, complaint_round)
            and (role is None or role in a.roles)
            and a.open_to(kind, may_resolve)
        ):
            out.append(a)
    return out


def intake_stage(kind: Kind, complaint_round: int | None, may_resolve: bool = False) -> Stage:
    """The stage a case starts in at receipt, and restarts in (`start_processing`).

    A complaint or denunciation held by an organisation that may resolve it is in acceptance
    from receipt: the competent body accepts a complaint within 10 days of receiving it (Luật
    Khiếu nại Art 27, 36(1)) and decides on a denunciation within 7 working days (Luật Tố cáo
    Art 24(1)). A second-time complaint always opens at its resolver. Anything else is first
    processed: 10 working days to tell the citizen what happens to it (Luật Tiếp công dân
    Art 28(1)). Decision 0030."""
    if kind == Kind.complaint and complaint_round == 2:
        return Stage.acceptance
    if may_resolve and kind in _CK_DN:
        return Stage.acceptance
    return Stage.processing


# ---- docs/lifecycle.md -----------------------------------------------------------------------


def _names(items: Iterable[StrEnum]) -> str:
    return ", ".join(sorted(i.value for i in items))


def markdown() -> str:
    lines = [
        "# Case lifecycle",
        "",
        "Generated from `app/workflows/lifecycle.py` by `python -m app.workflows.lifecycle --markdown`;",
        "a test fails if this file and the code disagree.",
        "",
        f"Open statuses: {', '.join(s.value for s in Status if s in OPEN_STATUSES)}. ",
        f"Final statuses: {', '.join(s.value for s in Status if s in FINAL_STATUSES)}.",
        "",
        "Only the organisation holding the case (the assigned organisation, else the receiving one) acts on it;",
        "supervisors and admins never transition cases. Only an organisation that may resolve (`may_resolve`:",
        "People's Committees, inspectorates, departments, police, courts, procuracies) accepts or refuses",
        "(thụ lý / không thụ lý) a complaint or a denunciation: "
        + ", ".join(f"`{a.name}`" for a in ACTIONS if a.resolver_only)
        + " (resolver only).",
        "",
        "An action with an *in force from* date was introduced by a later law: it is refused (409) for earlier dates.",
        "",
        "| action | from | to | kinds | roles | required | clock | in force from | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in ACTIONS:
        kinds = "all" if a.kinds == ALL_KINDS else _names(a.kinds)
        if a.rounds:
            kinds += f" (round {', '.join(str(r) for r in sorted(a.rounds))})"
        computed = "(status before suspension)" if a.clock == Clock.resume else "(unchanged)"
        to = a.to_status.value if a.to_status else (a.to_note or computed)
        req = ", ".join(a.required) or "—"
        lines.append(
            f"| `{a.name}` — {a.label} | {_names(a.from_statuses)} | {to} | {kinds} | {_names(a.roles)} | "
            f"{req} | {a.clock.value} | {a.effective_from.isoformat() if a.effective_from else '—'} | "
            f"{a.source} |"
        )
    lines += ["", "## Grounds", ""]
    seen: set[str] = set()
    for a in ACTIONS:
        for _kind, grounds in a.grounds.items():
            key = f"{a.name}:{','.join(g.code for g in grounds)}"
            if key in seen:
                continue
            seen.add(key)
            ground_kinds = [k.value for k, gs in a.grounds.items() if gs == grounds]
            lines += [
                f"### `{a.name}` ({', '.join(ground_kinds)})",
                "",
                "| ground | meaning | source |",
                "|---|---|---|",
            ]
            lines += [f"| `{g.code}` | {g.label} | {g.source} |" for g in grounds]
            lines.append("")
    lines += ["## Outcomes of `decide`", "", "| kind | outcomes |", "|---|---|"]
    lines += [f"| {k.value} | {', '.join(v)} |" for k, v in OUTCOMES.items()]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    if "--markdown" in sys.argv:
        sys.stdout.write(markdown())
