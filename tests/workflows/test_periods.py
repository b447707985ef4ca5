"""Reporting periods (app/workflows/periods.py): calendar and the inspectorate's data periods."""

from __future__ import annotations

from datetime import date

import pytest

from app.workflows.periods import Basis, PeriodError, PeriodKind, bounds


@pytest.mark.parametrize(
    ("kind", "index", "start", "end"),
    [
        ("month", 2, date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
        ("month", 12, date(2026, 12, 1), date(2026, 12, 31)),
        ("quarter", 1, date(2026, 1, 1), date(2026, 3, 31)),
        ("quarter", 4, date(2026, 10, 1), date(2026, 12, 31)),
        ("half_year", 2, date(2026, 7, 1), date(2026, 12, 31)),
        ("nine_months", None, date(2026, 1, 1), date(2026, 9, 30)),
        ("year", 1, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_calendar_periods(kind, index, start, end):
    p = bounds(PeriodKind(kind), 2028 if kind == "month" and index == 2 else 2026, index)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    ("kind", "index", "start", "end"),
    [
        ("year", None, date(2025, 12, 15), date(2026, 12, 14)),  # legal-rules.md §8: 15 Dec to 14 Dec
        ("quarter", 1, date(2025, 12, 15), date(2026, 3, 14)),
        ("quarter", 2, date(2026, 3, 15), date(2026, 6, 14)),
        ("half_year", 1, date(2025, 12, 15), date(2026, 6, 14)),
        ("nine_months", 1, date(2025, 12, 15), date(2026, 9, 14)),
        ("month", 1, date(2025, 12, 15), date(2026, 1, 14)),
        ("month", 7, date(2026, 6, 15), date(2026, 7, 14)),
    ],
)
def test_the_inspectorates_data_periods(kind, index, start, end):
    p = bounds(PeriodKind(kind), 2026, index, Basis.inspectorate)
    assert (p.start, p.end) == (start, end)


def test_consecutive_inspectorate_quarters_leave_no_gap():
    quarters = [bounds(PeriodKind.quarter, 2026, i, Basis.inspectorate) for i in range(1, 5)]
    for a, b in zip(quarters, quarters[1:], strict=False):
        assert (b.start - a.end).days == 1
    assert quarters[-1].end == bounds(PeriodKind.year, 2026, None, Basis.inspectorate).end


@pytest.mark.parametrize(
    ("kind", "index", "field"),
    [
        ("month", None, "index"),
        ("month", 13, "index"),
        ("quarter", 0, "index"),
        ("quarter", 5, "index"),
        ("half_year", 3, "index"),
        ("nine_months", 2, "index"),
        ("year", 2, "index"),
    ],
)
def test_an_index_the_kind_does_not_have_names_the_field(kind, index, field):
    with pytest.raises(PeriodError) as err:
        bounds(PeriodKind(kind), 2026, index)
    assert err.value.field == field


def test_labels_read_as_a_vietnamese_report_names_the_period():
    assert bounds(PeriodKind.quarter, 2026, 3).label == "Quý 3 năm 2026"
    assert bounds(PeriodKind.half_year, 2026, 1).label == "6 tháng đầu năm 2026"
    assert bounds(PeriodKind.nine_months, 2026).label == "9 tháng năm 2026"
    assert bounds(PeriodKind.year, 2026, basis=Basis.inspectorate).label == "Năm 2026 (kỳ số liệu thanh tra)"
