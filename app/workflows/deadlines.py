"""Deadline rules (thời hạn) for petitions, complaints and denunciations, as data.

Pure and I/O-free. The rule table ``DEFAULT_RULES`` holds only limits whose source is tagged
[P] (primary text) or [S] (secondary) in ``shared/product/legal-rules.md`` §1; limits the law
does not set are seeded as clearly labelled local defaults (``local_default=True``) that an
admin may change. Unverified [U] rules (e.g. the 7-working-day acceptance of complaints from
1 Jul 2026, ND 155/2026) are deliberately left out.

Unqualified "ngày" in the laws is counted in calendar days with the Civil Code rules (first day
not counted, Art 147; a period ending on a non-working day ends on the next working day,
Art 148(5)); "ngày làm việc" is counted in working days. See ``app.workflows.calendar``.

``python -m app.workflows.deadlines --markdown`` prints ``docs/deadlines.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal, get_args

from app.workflows.calendar import CountingMode, WorkCalendar

__all__ = [
    "APPEAL_WINDOW_DAYS",
    "APPEAL_WINDOW_REMOTE_DAYS",
    "APPEAL_WINDOW_SOURCE",
    "COMPLAINT_FILING_LIMIT_DAYS",
    "COMPLAINT_FILING_LIMIT_SOURCE",
    "DEFAULT_RULES",
    "KINDS",
    "Complexity",
    "DeadlineRule",
    "UNVERIFIED",
    "Unverified",
    "ExtensionNotAllowed",
    "Stage",
    "extension_due",
    "extension_length",
    "filing_deadline",
    "filing_late",
    "period_end",
    "find_rule",
    "main",
    "render_markdown",
    "stage_due",
]

KINDS: tuple[str, ...] = ("complaint", "denunciation", "petition", "reflection")
"""khiếu nại, tố cáo, kiến nghị, phản ánh."""

Complexity = Literal["complex", "particularly_complex"]
"""vụ việc phức tạp / đặc biệt phức tạp (denunciations: Luật Tố cáo Art 30; ND 31/2019 Art 3)."""

# Luật Tố cáo 25/2018 Art 30: a complex case may be extended once, a particularly complex one
# twice, each time by at most 30 days.
_DENUNCIATION_EXTENSIONS_ALLOWED: dict[str, int] = {"complex": 1, "particularly_complex": 2}

# Appeal window (thời hạn khiếu nại lần hai): 30 days from the day the complainant received the
# first-time decision, or from the expiry of the Art 28 limit without a decision; 45 days in remote areas.
APPEAL_WINDOW_DAYS = 30
APPEAL_WINDOW_REMOTE_DAYS = 45
APPEAL_WINDOW_SOURCE = "Luật Khiếu nại 02/2011 Art 33(1)"

# Complaint filing limit (thời hiệu khiếu nại): 90 days from receiving or learning of the
# administrative decision or act; time lost to illness, disaster, travel etc. is excluded.
COMPLAINT_FILING_LIMIT_DAYS = 90
COMPLAINT_FILING_LIMIT_SOURCE = "Luật Khiếu nại 02/2011 Art 9"

# Dates the laws took effect.
_COMPLAINT_LAW_EFFECTIVE = date(2012, 7, 1)  # Luật Khiếu nại 02/2011/QH13
_RECEPTION_LAW_EFFECTIVE = date(2014, 7, 1)  # Luật Tiếp công dân 42/2013/QH13
_DENUNCIATION_LAW_EFFECTIVE = date(2019, 1, 1)  # Luật Tố cáo 25/2018/QH14
# Local defaults are not tied to a law; they start with the reception law so that every
# petition/reflection date the product can meet has a rule.
_LOCAL_DEFAULT_EFFECTIVE = _RECEPTION_LAW_EFFECTIVE


class Stage(StrEnum):
    """The clocked stages of a case."""

    processing = "processing"
    """Xử lý đơn: classify the petition and tell the citizen what happens to it."""
    acceptance = "acceptance"
    """Thụ lý: accept or refuse to handle a complaint or denunciation."""
    resolution = "resolution"
    """Giải quyết: resolve the accepted case."""


class ExtensionNotAllowed(ValueError):
    """The requested extension (gia hạn) is not allowed by the rule or has been used up."""


@dataclass(frozen=True)
class DeadlineRule:
    """One versioned time limit.

    The limit for a case is ``days``; the variants are "up to" limits that apply when the case
    is complex (``complex_days``), in a remote area (vùng sâu, vùng xa đi lại khó khăn,
    ``remote_days``) or both (``remote_complex_days``). Denunciations instead get
    ``extension_days`` per extension (gia hạn), at most ``max_extensions`` times.
    """

    key: str
    kind: str
    round: int | None
    stage: Stage
    days: int
    mode: CountingMode
    complex_days: int | None
    remote_days: int | None
    remote_complex_days: int | None
    extension_days: int | None
    max_extensions: int
    effective_from: date
    source: str
    local_default: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: unknown kind {self.kind!r}")
        if self.round not in (None, 1, 2):
            raise ValueError(f"{self.key}: round must be None, 1 or 2")
        if self.mode not in get_args(CountingMode):
            raise ValueError(f"{self.key}: unknown mode {self.mode!r}")
        if not isinstance(self.stage, Stage):
            raise TypeError(f"{self.key}: stage must be a Stage")
        if self.days <= 0:
            raise ValueError(f"{self.key}: days must be positive")
        for name in ("complex_days", "remote_days", "remote_complex_days"):
            variant = getattr(self, name)
            if variant is not None and variant < self.days:
                raise ValueError(f"{self.key}: {name} is shorter than days")
        if self.max_extensions < 0:
            raise ValueError(f"{self.key}: max_extensions must be >= 0")
        if self.max_extensions and not self.extension_days:
            raise ValueError(f"{self.key}: max_extensions needs extension_days")
        if not self.source:
            raise ValueError(f"{self.key}: a rule needs a source")

    def limit_days(self, *, complex: bool = False, remote: bool = False) -> int:
        """The number of days that applies: the longest variant the case qualifies for.

        Variants the rule does not define fall back to the shorter ones (ultimately ``days``).
        """
        candidates = [self.days]
        if complex and self.complex_days is not None:
            candidates.append(self.complex_days)
        if remote and self.remote_days is not None:
            candidates.append(self.remote_days)
        if complex and remote and self.remote_complex_days is not None:
            candidates.append(self.remote_complex_days)
        return max(candidates)


def _rule(
    key: str,
    kind: str,
    round: int | None,
    stage: Stage,
    days: int,
    mode: CountingMode,
    *,
    effective_from: date,
    source: str,
    complex_days: int | None = None,
    remote_days: int | None = None,
    remote_complex_days: int | None = None,
    extension_days: int | None = None,
    max_extensions: int = 0,
    local_default: bool = False,
    note: str = "",
) -> DeadlineRule:
    return DeadlineRule(
        key=key,
        kind=kind,
        round=round,
        stage=stage,
        days=days,
        mode=mode,
        complex_days=complex_days,
        remote_days=remote_days,
        remote_complex_days=remote_complex_days,
        extension_days=extension_days,
        max_extensions=max_extensions,
        effective_from=effective_from,
        source=source,
        local_default=local_default,
        note=note,
    )


_RECEPTION_28_1 = "Luật Tiếp công dân 42/2013 Art 28(1)"
_PROCESSING_NOTE = (
    "10 working days from receipt to tell the citizen the outcome (accepted, needs more time, "
    "refused, forwarded). The national procedure entry for written petitions (TT 05/2021) "
    "gives 10 d; its exact article was not found."
)
_LOCAL_NOTE = "The law sets no limit for kiến nghị/phản ánh; this is a local default that an admin can change."

DEFAULT_RULES: tuple[DeadlineRule, ...] = (
    # --- processing (xử lý đơn) -------------------------------------------------------------
    _rule(
        "complaint.processing",
        "complaint",
        None,
        Stage.processing,
        10,
        "working",
        effective_from=_RECEPTION_LAW_EFFECTIVE,
        source=_RECEPTION_28_1,
        note=_PROCESSING_NOTE,
    ),
    _rule(
        "petition.processing",
        "petition",
        None,
        Stage.processing,
        10,
        "working",
        effective_from=_RECEPTION_LAW_EFFECTIVE,
        source=_RECEPTION_28_1,
        note=_PROCESSING_NOTE,
    ),
    _rule(
        "reflection.processing",
        "reflection",
        None,
        Stage.processing,
        10,
        "working",
        effective_from=_RECEPTION_LAW_EFFECTIVE,
        source=_RECEPTION_28_1,
        note=_PROCESSING_NOTE,
    ),
    _rule(
        "denunciation.processing",
        "denunciation",
        None,
        Stage.processing,
        7,
        "working",
        effective_from=_DENUNCIATION_LAW_EFFECTIVE,
        source="Luật Tố cáo 25/2018 Art 24(1)",
        note="Log, classify, check the denouncer and the acceptance conditions: 7 working days "
        "from receipt. The law's \"up to 10 when several locations must be checked or checks are "
        'delegated" is not applied: nothing records that condition, so the clock keeps the '
        "7-day limit and a longer check shows as overdue (decision 0034).",
    ),
    # --- acceptance (thụ lý) ---------------------------------------------------------------
    _rule(
        "complaint.r1.acceptance",
        "complaint",
        1,
        Stage.acceptance,
        10,
        "calendar",
        effective_from=_COMPLAINT_LAW_EFFECTIVE,
        source="Luật Khiếu nại 02/2011 Art 27",
        note="10 d from receipt. Implementing rules say 10 working days (TT 07/2013 Art 5, "
        "superseded; ND 124/2020 per a secondary source); the law's shorter calendar "
        "count is used.",
    ),
    _rule(
        "complaint.r2.acceptance",
        "complaint",
        2,
        Stage.acceptance,
        10,
        "calendar",
        effective_from=_COMPLAINT_LAW_EFFECTIVE,
        source="Luật Khiếu nại 02/2011 Art 36(1)",
        note="10 d from receipt of the second-time complaint.",
    ),
    _rule(
        "denunciation.acceptance",
        "denunciation",
        None,
        Stage.acceptance,
        7,
        "working",
        effective_from=_DENUNCIATION_LAW_EFFECTIVE,
        source="Luật Tố cáo 25/2018 Art 24(1)",
        note="The acceptance decision falls in the same window as processing, counted from "
        "receipt of the denunciation (start the clock on the receipt date).",
    ),
    _rule(
        "petition.acceptance",
        "petition",
        None,
        Stage.acceptance,
        10,
        "working",
        effective_from=_LOCAL_DEFAULT_EFFECTIVE,
        source="Local default (no statutory limit)",
        local_default=True,
        note=_LOCAL_NOTE,
    ),
    _rule(
        "reflection.acceptance",
        "reflection",
        None,
        Stage.acceptance,
        10,
        "working",
        effective_from=_LOCAL_DEFAULT_EFFECTIVE,
        source="Local default (no statutory limit)",
        local_default=True,
        note=_LOCAL_NOTE,
    ),
    # --- resolution (giải quyết) -----------------------------------------------------------
    _rule(
        "complaint.r1.resolution",
        "complaint",
        1,
        Stage.resolution,
        30,
        "calendar",
        complex_days=45,
        remote_days=45,
        remote_complex_days=60,
        effective_from=_COMPLAINT_LAW_EFFECTIVE,
        source="Luật Khiếu nại 02/2011 Art 28",
        note="Counted from acceptance (thụ lý).",
    ),
    _rule(
        "complaint.r2.resolution",
        "complaint",
        2,
        Stage.resolution,
        45,
        "calendar",
        complex_days=60,
        remote_days=60,
        remote_complex_days=70,
        effective_from=_COMPLAINT_LAW_EFFECTIVE,
        source="Luật Khiếu nại 02/2011 Art 37",
        note="Counted from acceptance (thụ lý).",
    ),
    _rule(
        "denunciation.resolution",
        "denunciation",
        None,
        Stage.resolution,
        30,
        "calendar",
        extension_days=30,
        max_extensions=2,
        effective_from=_DENUNCIATION_LAW_EFFECTIVE,
        source="Luật Tố cáo 25/2018 Art 30",
        note="Counted from acceptance. Complex: one extension of up to 30 d; particularly "
        "complex: two, up to 30 d each (max 90 d in all). Each by written decision, notified.",
    ),
    _rule(
        "petition.resolution",
        "petition",
        None,
        Stage.resolution,
        30,
        "calendar",
        effective_from=_LOCAL_DEFAULT_EFFECTIVE,
        source="Local default (no statutory limit)",
        local_default=True,
        note=_LOCAL_NOTE,
    ),
    _rule(
        "reflection.resolution",
        "reflection",
        None,
        Stage.resolution,
        30,
        "calendar",
        effective_from=_LOCAL_DEFAULT_EFFECTIVE,
        source="Local default (no statutory limit)",
        local_default=True,
        note=_LOCAL_NOTE,
    ),
)


@dataclass(frozen=True)
class Unverified:
    """A limit a later text is said to set, not applied until it is read in the primary text."""

    what: str
    effective_from: date
    source: str
    why: str


_CODIFICATION = (
    "not in the Law Codification mirror (diepxuan/diepxuan.github.io van-ban/khieu-nai-to-cao/), "
    "which has not integrated the 2025–2026 texts"
)
UNVERIFIED: tuple[Unverified, ...] = (
    Unverified(
        "Complaint acceptance (first and second time) in 7 working days instead of 10 days",
        date(2026, 7, 1),
        "ND 124/2020 Art 16(1) as amended by ND 155/2026/NĐ-CP Art 10",
        f"only an auto-crawled copy (van-ban/tu-phap/nghi-dinh-155-2026-...md, legal-rules.md [U]); {_CODIFICATION}",
    ),
    Unverified(
        "Send a complaint suspension or termination decision, and notify resumption",
        date(2026, 7, 1),
        "ND 124/2020 Art 28b as added by ND 155/2026/NĐ-CP",
        f"auto-crawled copy only; the mirror says 'ban hành ngay', legal-rules.md says 3 WD [U]; {_CODIFICATION}",
    ),
    Unverified(
        "Complaint dialogue notice at least 5 days ahead",
        date(2026, 7, 1),
        "ND 124/2020 Art 28(1) as amended by ND 155/2026/NĐ-CP",
        f"[U]; {_CODIFICATION}",
    ),
    Unverified(
        "Denunciation procedure changes",
        date(2026, 7, 1),
        "ND 31/2019 as amended by ND 156/2026/NĐ-CP",
        f"[U]: the transcription calls the law '23/2018/QH14' and reuses ND 155's docid; {_CODIFICATION}",
    ),
    Unverified(
        "Suspension and termination of complaint resolution (Luật Khiếu nại Art 11a)",
        date(2026, 7, 1),
        "Law 136/2025/QH15",
        f"[S] secondary sources only; {_CODIFICATION}. Applied only as the date before which the "
        f"complaint `suspend`, `resume` and `terminate` actions are refused (decision 0035)",
    ),
)


def find_rule(
    rules: Iterable[DeadlineRule],
    *,
    kind: str,
    stage: Stage | str,
    round: int | None = None,
    on: date,
) -> DeadlineRule | None:
    """The rule in force on ``on`` for ``kind``/``stage``/``round``, or None.

    A rule with ``round=None`` applies to any round; a rule with a specific round applies only
    when that round is asked for (so complaint acceptance/resolution need ``round=1`` or ``2``).
    Among matching rules the latest ``effective_from <= on`` wins; on a tie, a round-specific
    rule beats a round-agnostic one.
    """
    stage = Stage(stage)
    matches = [
        r
        for r in rules
        if r.kind == kind and r.stage == stage and (r.round is None or r.round == round) and r.effective_from <= on
    ]
    if not matches:
        return None
    return max(matches, key=lambda r: (r.effective_from, r.round is not None))


def stage_due(
    rule: DeadlineRule,
    start: date,
    cal: WorkCalendar,
    *,
    complex: bool = False,
    remote: bool = False,
) -> date:
    """Due date of a stage that starts on ``start`` (the start day itself is not counted).

    ``complex``/``remote`` select the longest variant the rule defines for the case (see
    ``DeadlineRule.limit_days``); a rule without that variant uses its base ``days``.
    """
    return cal.due_date(start, rule.limit_days(complex=complex, remote=remote), rule.mode)


def period_end(rule: DeadlineRule, start: date, *, complex: bool = False, remote: bool = False) -> date | None:
    """The last day of a calendar-day period before the roll past non-working days (Civil Code
    Art 147: start + n), or None for a working-day period (its due date is already a working day)."""
    if rule.mode != "calendar":
        return None
    return start + timedelta(days=rule.limit_days(complex=complex, remote=remote))


def extension_length(rule: DeadlineRule, *, days: int | None = None) -> int:
    """The days one extension of a denunciation adds: ``days`` (the handler's choice), at most
    ``rule.extension_days`` (Luật Tố cáo 25/2018 Art 30(2)-(3): "không quá 30 ngày"); default the
    maximum."""
    if not rule.extension_days:
        raise ExtensionNotAllowed(f"{rule.key}: the rule allows no extension")
    n = rule.extension_days if days is None else days
    if not 1 <= n <= rule.extension_days:
        raise ExtensionNotAllowed(
            f"{rule.key}: an extension is 1 to {rule.extension_days} days ({rule.source}); {n} asked"
        )
    return n


def extension_due(
    rule: DeadlineRule,
    current_end: date,
    cal: WorkCalendar,
    *,
    extensions_used: int,
    complexity: Complexity,
    accepted_on: date,
    remote: bool = False,
    days: int | None = None,
) -> date:
    """The new due date after one more extension (gia hạn) of a resolution stage.

    * Denunciation (Luật Tố cáo Art 30): ``current_end`` is the end of the period so far
      *before* any roll past a non-working day (acceptance + 30 + earlier extensions + suspended
      days); the extension adds ``days`` (at most ``extension_days``, default the maximum) to it
      and the roll forward (BLDS Art 148(5)) applies once, to the end of the whole period. A
      complex case may be extended once, a particularly complex one twice.
    * Complaint (Luật Khiếu nại Art 28/37): the complex-case limit (remote-aware) counted from
      ``accepted_on``; only once, and only if it moves the due date later; it takes no ``days``.
    * Petition/reflection, or any non-resolution stage: never.

    Raises ``ExtensionNotAllowed`` when the extension is not allowed.
    """
    if complexity not in get_args(Complexity):
        raise ValueError(f"unknown complexity {complexity!r}")
    if extensions_used < 0:
        raise ValueError("extensions_used must be >= 0")
    if rule.stage is not Stage.resolution:
        raise ExtensionNotAllowed(f"{rule.key}: only the resolution stage can be extended")

    if rule.kind == "denunciation":
        if not rule.extension_days or not rule.max_extensions:
            raise ExtensionNotAllowed(f"{rule.key}: the rule allows no extension")
        allowed = min(_DENUNCIATION_EXTENSIONS_ALLOWED[complexity], rule.max_extensions)
        if extensions_used >= allowed:
            raise ExtensionNotAllowed(
                f"{rule.key}: a {complexity.replace('_', ' ')} denunciation may be extended "
                f"at most {allowed} time(s) ({rule.source}); {extensions_used} already used"
            )
        return cal.add_calendar_days(current_end, extension_length(rule, days=days))

    if rule.kind == "complaint":
        if days is not None:
            raise ExtensionNotAllowed(
                f"{rule.key}: a complaint's extension is the complex-case limit "
                f"({rule.source}); it takes no number of days"
            )
        if rule.complex_days is None:
            raise ExtensionNotAllowed(f"{rule.key}: the rule has no complex-case limit")
        if extensions_used >= 1:
            raise ExtensionNotAllowed(
                f"{rule.key}: a complaint can move to the complex-case limit only once ({rule.source})"
            )
        new_due = stage_due(rule, accepted_on, cal, complex=True, remote=remote)
        if new_due <= current_end:
            raise ExtensionNotAllowed(
                f"{rule.key}: the complex-case limit ({new_due}) is not later than the current due date ({current_end})"
            )
        return new_due

    raise ExtensionNotAllowed(f"{rule.key}: {rule.kind} deadlines cannot be extended")


# --- documentation ------------------------------------------------------------------------


def filing_deadline(calendar: WorkCalendar, learned_on: date, obstacle_days: int = 0) -> date:
    """Last day to file a first complaint (thời hiệu, Luật Khiếu nại 02/2011 Art 9): 90 days from
    the day the complainant received or learned of the decision or act, not counting the days an
    obstacle of Art 9 (illness, natural disaster, war, work or study far away, another objective
    obstacle) kept them from it; a window ending on a weekend or holiday rolls to the next working
    day (BLDS Art 148(5); decision 0033)."""
    if obstacle_days < 0:
        raise ValueError("obstacle_days must be >= 0")
    return calendar.citizen_window_end(learned_on + timedelta(days=obstacle_days), COMPLAINT_FILING_LIMIT_DAYS)


def filing_late(calendar: WorkCalendar, *, learned_on: date | None, received_on: date, obstacle_days: int = 0) -> bool:
    """Filed after the Art 9 limit (a flag: whether the reason is valid is the resolver's call,
    refusal ground kn11_6)."""
    return learned_on is not None and received_on > filing_deadline(calendar, learned_on, obstacle_days)


def appeal_refusal(
    calendar: WorkCalendar,
    *,
    on: date,
    decided_on: date | None,
    first_due: date | None,
    remote: bool,
    decision_received_on: date | None = None,
) -> str | None:
    """Why a second-time complaint filed `on` is out of time (Luật Khiếu nại Art 33(1)), or None
    when it is within the window: 30 days (45 in remote areas) from the day the complainant
    received the first decision ("kể từ ngày nhận được quyết định", default the decision's date),
    or, with no decision, from the expiry of the first resolver's limit (and not before it)."""
    window = APPEAL_WINDOW_REMOTE_DAYS if remote else APPEAL_WINDOW_DAYS
    if decided_on is not None:
        received = decision_received_on or decided_on
        last_day = calendar.citizen_window_end(received, window)
        if on > last_day:
            return (
                f"The appeal window closed on {last_day.isoformat()}: {window} days from {received.isoformat()}, "
                f"when the complainant received the first decision ({APPEAL_WINDOW_SOURCE})."
            )
        return None
    if first_due is None or on <= first_due:
        return (
            "No first decision yet and the first resolver's deadline "
            f"({first_due.isoformat() if first_due else 'none'}) has not passed ({APPEAL_WINDOW_SOURCE})."
        )
    last_day = calendar.citizen_window_end(first_due, window)
    if on > last_day:
        return (
            f"The appeal window closed on {last_day.isoformat()}: {window} days after the first resolver's "
            f"deadline ({APPEAL_WINDOW_SOURCE})."
        )
    return None


def _fmt_days(n: int | None, mode: CountingMode) -> str:
    if n is None:
        return "–"
    return f"{n} WD" if mode == "working" else f"{n} d"


def render_markdown(rules: Sequence[DeadlineRule] = DEFAULT_RULES) -> str:
    """The text of ``docs/deadlines.md``: the rule table and the counting rules."""
    lines = [
        "# Deadlines (thời hạn)",
        "",
        "<!-- Generated by `python -m app.workflows.deadlines --markdown > docs/deadlines.md`;",
        "     do not edit by hand (a test checks that this file matches the code). -->",
        "",
        "The time limits the product applies, from `app/workflows/deadlines.py` "
        "(`DEFAULT_RULES`). Sources are in `shared/product/legal-rules.md` §1–2; only limits "
        "tagged [P] (primary text) or [S] (secondary source) there are used. "
        "**[local default]** marks a limit the law does not set: it is a local choice an "
        "admin can change.",
        "",
        '"WD" = working days (ngày làm việc); "d" = calendar days (unqualified "ngày").',
        'Variant columns are "up to" limits: complex case, remote area (vùng sâu, vùng xa), both.',
        "",
        "| Key | Kind | Round | Stage | Limit | Complex | Remote | Remote + complex "
        "| Extensions | Effective from | Source |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        ext = f"{r.max_extensions} × {_fmt_days(r.extension_days, 'calendar')}" if r.max_extensions else "–"
        source = f"{r.source} **[local default]**" if r.local_default else r.source
        lines.append(
            f"| `{r.key}` | {r.kind} | {r.round if r.round is not None else 'any'} "
            f"| {r.stage.value} | {_fmt_days(r.days, r.mode)} "
            f"| {_fmt_days(r.complex_days, r.mode)} | {_fmt_days(r.remote_days, r.mode)} "
            f"| {_fmt_days(r.remote_complex_days, r.mode)} | {ext} "
            f"| {r.effective_from.isoformat()} | {source} |"
        )
    lines += ["", "Notes:", ""]
    keys_by_note: dict[str, list[str]] = {}
    for r in rules:
        if r.note:
            keys_by_note.setdefault(r.note, []).append(f"`{r.key}`")
    lines += [f"- {', '.join(keys)}: {note}" for note, keys in keys_by_note.items()]
    lines += [
        "",
        "## Other limits",
        "",
        f"- Second-time complaint (appeal) window: {APPEAL_WINDOW_DAYS} d from the day the "
        f"complainant received the first-time decision (`appeal` takes `decision_received_on`, "
        f"default the decision's date), or from the expiry of the resolution limit without a "
        f"decision; {APPEAL_WINDOW_REMOTE_DAYS} d in remote areas ({APPEAL_WINDOW_SOURCE}).",
        f"- Complaint filing limit (thời hiệu): {COMPLAINT_FILING_LIMIT_DAYS} d from the day the "
        f"complainant received or learned of the decision or act (`decision_received_on`, default "
        f"`decision_date`), rolled past non-working days (BLDS Art 148(5)); the days lost to an "
        f"obstacle Art 9 lists (illness, disaster, war, work or study far away, other objective "
        f"obstacles) are not counted (`filing_obstacle`) ({COMPLAINT_FILING_LIMIT_SOURCE}). A late "
        f"filing is a flag for refusal ground `kn11_6_time_barred`, not an automatic refusal.",
        "- The citizen's own windows (filing limit, appeal window) that end on a Saturday or "
        "Sunday roll to the next working day even if that Saturday is a make-up working day "
        "(ngày làm bù) for officials (decision 0033); the officials' own limits count make-up "
        "Saturdays as working days.",
        "",
        "## Not applied (unverified)",
        "",
        "Read only in secondary or auto-crawled copies, not in the primary text: listed here, not "
        "applied to any due date.",
        "",
        "| From | What | Text | Why not applied |",
        "|---|---|---|---|",
        *[f"| {u.effective_from.isoformat()} | {u.what} | {u.source} | {u.why} |" for u in UNVERIFIED],
        "",
        "A new version of a rule is a new row with its own key and `effective_from`; a test keeps "
        "the table ordered and unambiguous (one rule per kind, round and stage on any date).",
        "",
        "## How days are counted",
        "",
        "- **First day not counted** (Bộ luật Dân sự 91/2015 Art 147): a period of n days "
        "starting on day S ends on S + n; n working days end on the n-th working day after S.",
        "- **Roll-forward** (Art 148(5)): a calendar-day period that ends on a weekend or "
        "public holiday ends at the end of the next working day.",
        '- **Unqualified "ngày" = calendar days**, "ngày làm việc" = working days '
        "(inference from BLDS Art 145(1); the petition laws define neither).",
        "- **Working day**: Monday–Friday, minus Vietnamese public holidays, substitute "
        "(nghỉ bù) and decreed swapped days known to the `holidays` package "
        "(`holidays.Vietnam`), plus the make-up Saturdays (ngày làm bù) it records for those "
        "swaps; then an admin override table wins over everything (a date marked working or "
        "off). The package only knows swaps that were hard-coded when it was released, so "
        "later Government decisions must be entered as overrides.",
        '- **Time zone**: "today" is the date in Asia/Ho_Chi_Minh. A case is overdue from '
        "the day after its due date; days overdue are calendar days.",
        "- **Suspension** (tạm đình chỉ) stops the clock. On resumption the due date moves "
        "forward by the suspended time: calendar-day limits by (resumed − suspended) days "
        "added to the period's unrolled end, then rolled forward to a working day once; "
        "working-day limits by the number of working days in (suspended, resumed].",
        "- **Extensions** (gia hạn) are recorded actions with a reason:",
        "  - denunciations (Luật Tố cáo 25/2018 Art 30): each extension adds the days the "
        "handler decides, at most 30 d (`extend` takes `days`, 1–30, default 30); the periods "
        "add up from acceptance and the roll past a non-working day applies once, to the end of "
        "the whole period (an earlier roll is not counted twice); complex cases once, "
        "particularly complex cases twice;",
        "  - an extension must be decided on or before the current due date: afterwards it "
        "is refused (409 naming the due date), and the case stays overdue in its history;",
        "  - complaints (Luật Khiếu nại 02/2011 Art 28, 37): the complex-case limit, counted from acceptance, once;",
        "  - petitions and reflections: none.",
        "",
    ]
    from app.workflows.obligations import markdown_section  # (imports the calendar only: no cycle)

    lines += markdown_section()
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m app.workflows.deadlines --markdown``."""
    parser = argparse.ArgumentParser(prog="python -m app.workflows.deadlines")
    parser.add_argument("--markdown", action="store_true", help="print docs/deadlines.md")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_help()
        return 2
    sys.stdout.buffer.write(render_markdown().encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
