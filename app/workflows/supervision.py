"""Supervision rules that are not the case lifecycle's: which cases are due soon, which child unit
a case's place belongs to, when an overdue case's alert happens. Pure and I/O-free; the SQL forms
are in app/models/supervision.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.workflows.calendar import WorkCalendar
from app.workflows.overdue import RUNNING_STATUSES

DUE_SOON_WORKING_DAYS = 5


def due_soon_horizon(calendar: WorkCalendar, today: date, days: int = DUE_SOON_WORKING_DAYS) -> date:
    """The last day of "due within `days` working days": today + `days` working days."""
    return calendar.add_working_days(today, days)


def is_due_soon(status: str, stage: str | None, due: date | None, today: date, horizon: date) -> bool:
    """A running clock, not overdue, due from today up to the horizon (inclusive)."""
    return stage is not None and due is not None and status in RUNNING_STATUSES and today <= due <= horizon


def child_path(path: str, parent_path: str) -> str | None:
    """The path of `parent_path`'s child that `path` lies in ("01/00070/x/" under "01/" →
    "01/00070/"); None when `path` is the parent itself or outside it."""
    if not path.startswith(parent_path) or path == parent_path:
        return None
    rest = path[len(parent_path) :]
    head = rest.split("/", 1)[0]
    return f"{parent_path}{head}/"


def overdue_alert_day(due: date) -> date:
    """An overdue case's alert happens on the first day it is overdue: the day after its due date."""
    return due + timedelta(days=1)
