"""Reporting periods (Quy chế 2387 Art 24: monthly, three-monthly, six-monthly, nine-monthly and
yearly reports; TT 06/2025/TT-TTCP's data periods). Pure and I/O-free.

`bounds(kind, year, index, basis)` gives the first and last day of a period, both included:

- `calendar`: the calendar month, quarter, half-year, first nine months or year;
- `inspectorate`: the inspectorate's data period, from the 15th of the last month of the previous
  period to the 14th of the last month of this one (legal-rules.md §8): e.g. the year 2026 is
  15 Dec 2025 .. 14 Dec 2026, its first quarter 15 Dec 2025 .. 14 Mar 2026. Nine months and the
  half-year start where the year does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    month = "month"
    quarter = "quarter"
    half_year = "half_year"
    nine_months = "nine_months"
    year = "year"


class Basis(StrEnum):
    calendar = "calendar"
    inspectorate = "inspectorate"


# how many periods of a kind a year has, and the months each covers (first month, number of months)
_COUNT = {
    PeriodKind.month: 12,
    PeriodKind.quarter: 4,
    PeriodKind.half_year: 2,
    PeriodKind.nine_months: 1,
    PeriodKind.year: 1,
}


class PeriodError(ValueError):
    """A period that does not exist; `field` names the input that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    index: int
    basis: Basis
    start: date
    end: date

    @property
    def label(self) -> str:
        """How a Vietnamese report names it, e.g. "Quý 1 năm 2026", "6 tháng đầu năm 2026"."""
        if self.kind == PeriodKind.month:
            text = f"Tháng {self.index} năm {self.year}"
        elif self.kind == PeriodKind.quarter:
            text = f"Quý {self.index} năm {self.year}"
        elif self.kind == PeriodKind.half_year:
            text = f"6 tháng {'đầu' if self.index == 1 else 'cuối'} năm {self.year}"
        elif self.kind == PeriodKind.nine_months:
            text = f"9 tháng năm {self.year}"
        else:
            text = f"Năm {self.year}"
        return text + (" (kỳ số liệu thanh tra)" if self.basis == Basis.inspectorate else "")


def index_range(kind: PeriodKind) -> range:
    return range(1, _COUNT[kind] + 1)


def _months(kind: PeriodKind, index: int) -> tuple[int, int]:
    """(first month, last month) of a calendar period."""
    if kind == PeriodKind.month:
        return index, index
    if kind == PeriodKind.quarter:
        return 3 * index - 2, 3 * index
    if kind == PeriodKind.half_year:
        return 6 * index - 5, 6 * index
    if kind == PeriodKind.nine_months:
        return 1, 9
    return 1, 12


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def bounds(kind: PeriodKind, year: int, index: int | None = None, basis: Basis = Basis.calendar) -> Period:
    """The period's first and last day (both included). `index` is the month (1-12), the quarter
    (1-4) or the half (1-2); for nine months and the year it is 1 or left out."""
    kind, basis = PeriodKind(kind), Basis(basis)
    if not 1990 <= year <= 2100:
        raise PeriodError("year", "must be between 1990 and 2100")
    allowed = index_range(kind)
    if index is None:
        if len(allowed) > 1:
            raise PeriodError("index", f"required for a {kind.value}: {allowed.start}..{allowed.stop - 1}")
        index = 1
    if index not in allowed:
        raise PeriodError(
            "index",
            f"a {kind.value} has index {allowed.start}..{allowed.stop - 1}"
            if len(allowed) > 1
            else f"a {kind.value} has only index 1",
        )
    first, last = _months(kind, index)
    if basis == Basis.calendar:
        start, end = date(year, first, 1), _month_end(year, last)
    else:  # from the 15th of the month before the first month to the 14th of the last month
        start = date(year - 1, 12, 15) if first == 1 else date(year, first - 1, 15)
        end = date(year, last, 14)
    return Period(kind=kind, year=year, index=index, basis=basis, start=start, end=end)
