"""Vietnamese government working-day calendar (lịch làm việc của cơ quan hành chính nhà nước).

Pure and I/O-free: no database, no web framework. The only input besides dates is an optional
mapping of admin overrides, so callers load those from wherever they keep them.

A **working day** (ngày làm việc) is Monday–Friday, minus the public holidays and decreed
swapped days that ``holidays.Vietnam`` knows (Tết and its substitute days, Hùng Kings, 30/4,
1/5, 2/9 plus the adjacent day, observed days / nghỉ bù, 24/11 from 2026, and the swaps it has
hard-coded), plus the **make-up Saturdays** (ngày làm bù) the library records for those swaps in
``weekend_workdays`` (e.g. Sat 26 Apr 2025 for Fri 2 May 2025, Sat 22 Aug 2026 for Mon 31 Aug
2026). Admin overrides win over everything.

Counting rules (Bộ luật Dân sự 91/2015/QH13):

* Art 147: the first day of a period is not counted (start + n).
* Art 148(5): a period that ends on a weekend or public holiday ends at the end of the next
  working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "BUSINESS_TZ",
    "CountingMode",
    "counting_mode",
    "WorkCalendar",
    "business_today",
    "days_overdue",
]

CountingMode = Literal["working", "calendar"]
"""``working``: ngày làm việc. ``calendar``: unqualified "ngày" (Civil Code Art 147/148)."""


def counting_mode(value: str) -> CountingMode:
    """A stored mode (a deadline setting's column) as a CountingMode; ValueError if it is none."""
    if value == "working":
        return "working"
    if value == "calendar":
        return "calendar"
    raise ValueError(f"unknown counting mode {value!r}")


BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""The time zone in which a "day" is counted for Hanoi agencies."""


@lru_cache(maxsize=64)
def _vietnam_holidays(year: int) -> holidays.HolidayBase:
    """The library's Vietnamese public holidays for one year (cached; treated as read-only).

    ``expand=False`` keeps the object pinned to ``year``: it is only ever asked about dates in
    that year. Its ``weekend_workdays`` also lists the make-up Saturdays (ngày làm bù) for
    that year's hard-coded swaps, plus cross-year ones declared in the library's static table.
    """
    return holidays.country_holidays("VN", years=year, expand=False, language="vi")


_LIBRARY_WORKING: dict[date, bool] = {}  # the library's answer per day: pure, at most 73k days (1900..2100)


def _library_working_day(d: date) -> bool:
    """HolidayBase.is_working_day: a weekend day is working only if it is one of the library's
    weekend_workdays (make-up Saturdays); a weekday is working unless a holiday. Remembered per
    day for the process (the library's tables do not change while it runs)."""
    try:
        return _LIBRARY_WORKING[d]
    except KeyError:
        working = bool(_vietnam_holidays(d.year).is_working_day(d))
        if type(d) is date:  # (not a datetime, nor another subclass: one entry per day)
            _LIBRARY_WORKING[d] = working
        return working


class WorkCalendar:
    """Vietnamese government working days: Mon–Fri minus ``holidays.Vietnam`` days, plus admin
    overrides.

    ``overrides`` maps a date to ``True`` ("a working day", e.g. a make-up Saturday / ngày làm
    bù the library does not know) or ``False`` ("a day off", e.g. a holiday or swap decreed
    after the library was released). Overrides win over the library and over the weekday rule.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        snapshot: dict[date, bool] = {}
        for d, working in (overrides or {}).items():
            if isinstance(d, datetime) or not isinstance(d, date):
                raise TypeError(f"override keys must be dates, got {d!r}")
            snapshot[d] = bool(working)
        self._overrides: Mapping[date, bool] = MappingProxyType(snapshot)
        # answers already given (the calendar never changes): (start, n) -> the n-th working day after
        self._after: dict[tuple[date, int], date] = {}

    @property
    def overrides(self) -> Mapping[date, bool]:
        """A read-only view of the admin overrides this calendar was built with."""
        return self._overrides

    # -- single days -------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is a ngày làm việc for government offices."""
        if d in self._overrides:
            return self._overrides[d]
        return _library_working_day(d)

    def holiday_name(self, d: date) -> str | None:
        """The library's name for ``d`` if it is a public holiday or swapped day off, else None.

        Informational only (overrides are not named); ``is_working_day`` is the authority.
        """
        return _vietnam_holidays(d.year).get(d)

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    # -- periods -----------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is never counted).

        ``n == 0`` returns ``start`` unchanged.
        """
        _check_non_negative(n)
        key = (start, n)
        known = self._after.get(key)
        if known is not None:
            return known
        d = start
        remaining = n
        while remaining:
            d += timedelta(days=1)
            if self.is_working_day(d):
                remaining -= 1
        if type(start) is date and len(self._after) < 100_000:
            self._after[key] = d
        return d

    def add_calendar_days(self, start: date, n: int) -> date:
        """End of an ``n``-day period (unqualified "ngày") starting on ``start``.

        Civil Code 91/2015 Art 147: the first day is not counted, so the period ends on
        ``start + n``. Art 148(5): if that is not a working day, it ends on the next working day.
        """
        _check_non_negative(n)
        return self.next_working_day(start + timedelta(days=n))

    def citizen_window_end(self, start: date, n: int) -> date:
        """End of an ``n``-day window the citizen has (the complaint filing limit, the appeal
        window): as ``add_calendar_days``, but a period that ends on a Saturday or Sunday rolls to
        the next working day even when the Government made that day a make-up working day (ngày
        làm bù) for its own staff. Decision 0033."""
        _check_non_negative(n)
        d = start + timedelta(days=n)
        while not self.is_working_day(d) or d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    def due_date(self, start: date, days: int, mode: CountingMode) -> date:
        """Due date of a ``days``-long period starting on ``start``, counted in ``mode``."""
        if mode == "working":
            return self.add_working_days(start, days)
        if mode == "calendar":
            return self.add_calendar_days(start, days)
        raise ValueError(f"unknown counting mode {mode!r}")

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in the half-open interval ``(a, b]`` (0 if ``b <= a``)."""
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def shift_for_suspension(self, due: date, suspended_on: date, resumed_on: date, mode: CountingMode) -> date:
        """Move ``due`` by the time a case was suspended (tạm đình chỉ).

        Suspension stops the clock; on resumption the remaining time continues, so the due date
        moves forward by the suspended time:

        * ``calendar``: ``due + (resumed_on - suspended_on)`` days, then rolled forward to the
          next working day (Civil Code Art 148(5));
        * ``working``: ``due`` moved forward by ``working_days_between(suspended_on,
          resumed_on)`` working days.
        """
        if resumed_on < suspended_on:
            raise ValueError(f"resumed_on {resumed_on} is before suspended_on {suspended_on}")
        if mode == "calendar":
            return self.next_working_day(due + (resumed_on - suspended_on))
        if mode == "working":
            return self.add_working_days(due, self.working_days_between(suspended_on, resumed_on))
        raise ValueError(f"unknown counting mode {mode!r}")


def _check_non_negative(n: int) -> None:
    if n < 0:
        raise ValueError(f"a period length must be >= 0, got {n}")


def business_today(now: datetime | None = None) -> date:
    """Today's date in Hanoi (Asia/Ho_Chi_Minh), whatever the server's time zone.

    ``now`` (an aware datetime) is for tests; by default the current instant is used.
    """
    if now is None:
        return datetime.now(BUSINESS_TZ).date()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(BUSINESS_TZ).date()


def days_overdue(due: date | None, today: date) -> int:
    """Calendar days by which ``today`` is past ``due`` (quá hạn); 0 if not past due or no due.

    A case is overdue only from the day after its due date: on the due date itself it is 0.
    """
    if due is None or today <= due:
        return 0
    return (today - due).days
