"""Whether a case is overdue: the one definition that lists, supervision and reports share.

A case is overdue when today (the business date in Asia/Ho_Chi_Minh) is after the due date of
its running stage. Only a running clock can be late: a case in a final status has no running
stage, and a suspended case's clock is stopped (Luật Khiếu nại Art 11a, Luật Tố cáo Art 34), so
neither is ever overdue. Overdue is decided by date, not to the second (as Alaveteli does).

The same rule as SQL is `app.models.cases.overdue_clause`, built from `RUNNING_STATUSES` below;
tests/services/test_overdue.py checks on both databases that the two agree case by case.
Pure and I/O-free.
"""

from __future__ import annotations

from datetime import date

from app.workflows.lifecycle import OPEN_STATUSES, Status

# Statuses whose clock runs: open, but not suspended.
RUNNING_STATUSES: frozenset[str] = frozenset(s.value for s in OPEN_STATUSES if s != Status.suspended)


def is_overdue(status: str, stage: str | None, due: date | None, today: date) -> bool:
    """True when the running stage's due date has passed."""
    return stage is not None and due is not None and status in RUNNING_STATUSES and today > due
