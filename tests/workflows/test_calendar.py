"""WorkCalendar: working days, Civil Code counting, overrides, suspension, "today".

Every expected date was worked out by hand against the real calendar; the reasoning is in the
comment next to it. "WD" = working day. Holidays used (government offices):
  Tết 2025: Sat 25 Jan – Sun 2 Feb 2025 (weekdays 27–31 Jan off).
  Tết 2026: Sat 14 Feb – Sun 22 Feb 2026 (weekdays 16–20 Feb off).
  2025: Hùng Kings Mon 7 Apr; Wed 30 Apr, Thu 1 May, Fri 2 May (swap) off; Sat 26 Apr WORKS;
        Mon 1 + Tue 2 Sep off.
  2026: Hùng Kings Sun 26 Apr → Mon 27 Apr off; Thu 30 Apr, Fri 1 May off;
        Mon 31 Aug (swap) + Tue 1 + Wed 2 Sep off; Sat 22 Aug WORKS; Tue 24 Nov off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.workflows.calendar import WorkCalendar, business_today, days_overdue

CAL = WorkCalendar()


# --- what counts as a working day ------------------------------------------------------------


@pytest.mark.parametrize(
    "d",
    [
        # Tết 2025 weekdays (Mon 27 – Fri 31 Jan) and the weekend around them.
        date(2025, 1, 25),
        date(2025, 1, 26),
        date(2025, 1, 27),
        date(2025, 1, 28),
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 2),
        # Tết 2026: Sat 14 – Sun 22 Feb.
        *(date(2026, 2, 14) + timedelta(days=i) for i in range(9)),
        date(2025, 4, 7),  # Hùng Kings 2025 (Mon)
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 5, 2),  # Fri, swapped for Sat 26 Apr 2025
        date(2025, 9, 1),
        date(2025, 9, 2),
        date(2026, 4, 27),  # Hùng Kings falls on Sun 26 Apr 2026 → nghỉ bù Mon 27 Apr
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),  # Mon, swapped for Sat 22 Aug 2026
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),  # Ngày Văn hóa Việt Nam, from 2026
        date(2026, 8, 29),  # an ordinary Saturday
        date(2026, 8, 30),  # an ordinary Sunday
    ],
)
def test_days_off(d: date) -> None:
    assert not CAL.is_working_day(d)


@pytest.mark.parametrize(
    "d",
    [
        date(2025, 1, 24),  # Fri before Tết 2025
        date(2025, 2, 3),  # Mon after Tết 2025
        date(2026, 2, 13),  # Fri before Tết 2026
        date(2026, 2, 23),  # Mon after Tết 2026
        date(2025, 4, 26),  # Sat, make-up working day (ngày làm bù) for Fri 2 May 2025
        date(2026, 8, 22),  # Sat, make-up working day for Mon 31 Aug 2026
        date(2025, 11, 24),  # Mon: 24/11 is not a holiday before 2026
        date(2026, 9, 3),  # Thu after National Day 2026
    ],
)
def test_working_days(d: date) -> None:
    assert CAL.is_working_day(d)


def test_holiday_name_comes_from_the_library() -> None:
    assert CAL.holiday_name(date(2025, 5, 2)) == "Ngày nghỉ (thay cho ngày 26/04/2025)"
    assert CAL.holiday_name(date(2025, 4, 26)) is None  # a make-up working Saturday


def test_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 2, 23)) == date(2026, 2, 23)  # already working
    # Sat 14 Feb 2026: 14–22 Tết/weekend → Mon 23 Feb.
    assert CAL.next_working_day(date(2026, 2, 14)) == date(2026, 2, 23)
    # Thu 30 Apr 2025: 30, 1, 2 (swap), Sat 3, Sun 4 → Mon 5 May.
    assert CAL.next_working_day(date(2025, 4, 30)) == date(2025, 5, 5)


# --- working-day periods ----------------------------------------------------------------------


def test_add_working_days_zero_is_start() -> None:
    assert CAL.add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 14)


def test_add_working_days_never_counts_start() -> None:
    # Start on a working Mon 2 Mar 2026: 1 WD later is Tue 3 Mar, not Mon itself.
    assert CAL.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)


def test_add_working_days_negative_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 3, 2), -1)


def test_working_days_across_tet_2025() -> None:
    # 10 WD from Thu 2025-01-23: 24 (1), (25 Jan – 2 Feb off), 3, 4, 5, 6, 7 (6),
    # 10, 11, 12, 13 (10) → Thu 2025-02-13.
    assert CAL.add_working_days(date(2025, 1, 23), 10) == date(2025, 2, 13)


def test_working_days_across_tet_2026() -> None:
    # 10 WD from Thu 2026-02-12: 13 (1), (14–22 Tết/weekend), 23, 24, 25, 26, 27 (6),
    # 2, 3, 4, 5 Mar (10) → Thu 2026-03-05.
    assert CAL.add_working_days(date(2026, 2, 12), 10) == date(2026, 3, 5)


def test_make_up_saturday_2025_is_counted() -> None:
    # 5 WD from Thu 2025-04-24: Fri 25 (1), Sat 26 make-up (2), Mon 28 (3), Tue 29 (4),
    # (30 Apr, 1 May, 2 May swap, 3–4 weekend), Mon 5 May (5) → 2025-05-05.
    # Without the make-up Saturday this would be Tue 6 May.
    assert CAL.add_working_days(date(2025, 4, 24), 5) == date(2025, 5, 5)


def test_make_up_saturday_2026_is_counted() -> None:
    # 5 WD from Thu 2026-08-20: Fri 21 (1), Sat 22 make-up (2), Mon 24 (3), 25 (4), 26 (5)
    # → Wed 2026-08-26 (Thu 27 if Sat 22 were not a working day).
    assert CAL.add_working_days(date(2026, 8, 20), 5) == date(2026, 8, 26)


def test_working_days_across_national_day_2026() -> None:
    # 7 WD from Wed 2026-08-26: 27 (1), 28 (2), (29–30 weekend, 31 Aug swap, 1–2 Sep),
    # Thu 3 (3), Fri 4 (4), Mon 7 (5), 8 (6), 9 (7) → Wed 2026-09-09.
    assert CAL.add_working_days(date(2026, 8, 26), 7) == date(2026, 9, 9)


def test_working_days_across_national_day_2025() -> None:
    # 2 WD from Fri 2025-08-29: (30–31 weekend, Mon 1 + Tue 2 Sep off), Wed 3 (1), Thu 4 (2).
    assert CAL.add_working_days(date(2025, 8, 29), 2) == date(2025, 9, 4)


def test_working_days_across_30_4_2026() -> None:
    # 3 WD from Fri 2026-04-24: (25–26 weekend, Mon 27 Hùng Kings nghỉ bù), Tue 28 (1),
    # Wed 29 (2), (Thu 30, Fri 1 May, 2–3 weekend), Mon 4 May (3) → 2026-05-04.
    assert CAL.add_working_days(date(2026, 4, 24), 3) == date(2026, 5, 4)


def test_working_days_across_24_11_2026() -> None:
    # 3 WD from Fri 2026-11-20: Mon 23 (1), (Tue 24 off), Wed 25 (2), Thu 26 (3).
    assert CAL.add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 26)


def test_working_days_between_is_half_open() -> None:
    # (Fri 2026-02-13, Mon 2026-02-23]: 14–22 off, 23 works → 1. Start never counts.
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    # (Thu 2025-04-24, Mon 2025-05-05]: 25, Sat 26, 28, 29, 5 May → 5.
    assert CAL.working_days_between(date(2025, 4, 24), date(2025, 5, 5)) == 5
    assert CAL.working_days_between(date(2025, 5, 5), date(2025, 5, 5)) == 0
    assert CAL.working_days_between(date(2025, 5, 5), date(2025, 4, 24)) == 0


# --- calendar-day periods (Civil Code Art 147, 148(5)) ----------------------------------------


def test_calendar_days_first_day_not_counted() -> None:
    # BLDS Art 147: 10 d from Mon 2025-03-03 → Thu 13 Mar (a working day, no roll).
    assert CAL.add_calendar_days(date(2025, 3, 3), 10) == date(2025, 3, 13)


def test_calendar_days_saturday_rolls_to_monday() -> None:
    # BLDS Art 148(5): 10 d from Wed 2025-03-05 → Sat 15 Mar → Mon 17 Mar.
    assert CAL.add_calendar_days(date(2025, 3, 5), 10) == date(2025, 3, 17)


def test_calendar_days_sunday_rolls_to_monday() -> None:
    # BLDS Art 148(5): 10 d from Thu 2025-03-06 → Sun 16 Mar → Mon 17 Mar.
    assert CAL.add_calendar_days(date(2025, 3, 6), 10) == date(2025, 3, 17)


def test_calendar_days_are_not_stretched_by_holidays_inside() -> None:
    # 30 d from Wed 2025-01-15 → Fri 14 Feb 2025 (Tết in between is simply counted).
    assert CAL.add_calendar_days(date(2025, 1, 15), 30) == date(2025, 2, 14)


def test_calendar_days_ending_in_tet_2025() -> None:
    # 10 d from Fri 2025-01-17 → Mon 27 Jan (Tết) → 28–31, 1–2 Feb off → Mon 3 Feb.
    assert CAL.add_calendar_days(date(2025, 1, 17), 10) == date(2025, 2, 3)


def test_calendar_days_ending_in_tet_2026() -> None:
    # 30 d from Fri 2026-01-16 → Sun 15 Feb → 16–20 Tết, 21–22 weekend → Mon 23 Feb.
    assert CAL.add_calendar_days(date(2026, 1, 16), 30) == date(2026, 2, 23)


def test_calendar_days_ending_on_swapped_day_2025() -> None:
    # 10 d from Tue 2025-04-22 → Fri 2 May (swap, off) → Sat 3, Sun 4 → Mon 5 May.
    assert CAL.add_calendar_days(date(2025, 4, 22), 10) == date(2025, 5, 5)


def test_calendar_days_ending_on_make_up_saturday_do_not_roll() -> None:
    # 10 d from Wed 2025-04-16 → Sat 26 Apr 2025, a working day (ngày làm bù) → no roll.
    assert CAL.add_calendar_days(date(2025, 4, 16), 10) == date(2025, 4, 26)
    # 10 d from Wed 2026-08-12 → Sat 22 Aug 2026, a working day → no roll.
    assert CAL.add_calendar_days(date(2026, 8, 12), 10) == date(2026, 8, 22)


def test_calendar_days_ending_on_30_4_2026() -> None:
    # 10 d from Mon 2026-04-20 → Thu 30 Apr → Fri 1 May, 2–3 weekend → Mon 4 May.
    assert CAL.add_calendar_days(date(2026, 4, 20), 10) == date(2026, 5, 4)


def test_calendar_days_ending_on_national_day_2025() -> None:
    # 30 d from Fri 2025-08-01 → Sun 31 Aug → Mon 1, Tue 2 Sep off → Wed 3 Sep.
    assert CAL.add_calendar_days(date(2025, 8, 1), 30) == date(2025, 9, 3)


def test_calendar_days_ending_on_national_day_swap_2026() -> None:
    # 10 d from Fri 2026-08-21 → Mon 31 Aug (swap) → 1, 2 Sep off → Thu 3 Sep.
    assert CAL.add_calendar_days(date(2026, 8, 21), 10) == date(2026, 9, 3)


def test_calendar_days_ending_on_24_11_2026() -> None:
    # 10 d from Sat 2026-11-14 → Tue 24 Nov (Ngày Văn hóa) → Wed 25 Nov.
    assert CAL.add_calendar_days(date(2026, 11, 14), 10) == date(2026, 11, 25)


def test_due_date_dispatches_on_mode() -> None:
    # Same start and length, different modes: Thu 2026-02-12 + 10.
    # working: see test_working_days_across_tet_2026 → Thu 5 Mar.
    # calendar: → Sun 22 Feb → Mon 23 Feb.
    assert CAL.due_date(date(2026, 2, 12), 10, "working") == date(2026, 3, 5)
    assert CAL.due_date(date(2026, 2, 12), 10, "calendar") == date(2026, 2, 23)
    with pytest.raises(ValueError):
        CAL.due_date(date(2026, 2, 12), 10, "lunar")  # type: ignore[arg-type]


# --- admin overrides --------------------------------------------------------------------------


def test_override_makes_a_saturday_working() -> None:
    # A make-up Saturday the library does not know: Sat 2026-12-12.
    cal = WorkCalendar({date(2026, 12, 12): True})
    assert cal.is_working_day(date(2026, 12, 12))
    # 10 d from Wed 2026-12-02 → Sat 12 Dec: working with the override, so no roll ...
    assert cal.add_calendar_days(date(2026, 12, 2), 10) == date(2026, 12, 12)
    # ... and without it it rolls to Mon 14 Dec.
    assert CAL.add_calendar_days(date(2026, 12, 2), 10) == date(2026, 12, 14)


def test_override_makes_a_weekday_off() -> None:
    # A later-decreed day off: Mon 2026-02-23.
    cal = WorkCalendar({date(2026, 2, 23): False})
    # 10 WD from Thu 2026-02-12: 13 (1), (14–23 off), 24, 25, 26, 27 (5),
    # 2, 3, 4, 5, 6 Mar (10) → Fri 2026-03-06 (Thu 5 Mar without the override).
    assert cal.add_working_days(date(2026, 2, 12), 10) == date(2026, 3, 6)


def test_overrides_win_over_the_library() -> None:
    cal = WorkCalendar({date(2025, 5, 2): True, date(2026, 8, 22): False})
    assert cal.is_working_day(date(2025, 5, 2))  # library: swapped day off
    assert not cal.is_working_day(date(2026, 8, 22))  # library: make-up Saturday
    assert cal.overrides == {date(2025, 5, 2): True, date(2026, 8, 22): False}


def test_overrides_are_snapshotted() -> None:
    source = {date(2026, 12, 12): True}
    cal = WorkCalendar(source)
    source[date(2026, 12, 12)] = False
    assert cal.is_working_day(date(2026, 12, 12))


def test_override_keys_must_be_dates() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({datetime(2026, 12, 12, 8, 0): True})  # type: ignore[dict-item]


# --- suspension (tạm đình chỉ) ----------------------------------------------------------------


def test_suspension_calendar_mode() -> None:
    # Due Mon 2025-03-17; suspended Mon 3 Mar, resumed Mon 10 Mar = 7 days
    # → Mon 24 Mar (working, no roll).
    assert CAL.shift_for_suspension(date(2025, 3, 17), date(2025, 3, 3), date(2025, 3, 10), "calendar") == date(
        2025, 3, 24
    )


def test_suspension_calendar_mode_rolls_forward() -> None:
    # Due Mon 2025-04-21; suspended Wed 2 Apr, resumed Mon 14 Apr = 12 days → Sat 3 May
    # → Sun 4 → Mon 5 May 2025.
    assert CAL.shift_for_suspension(date(2025, 4, 21), date(2025, 4, 2), date(2025, 4, 14), "calendar") == date(
        2025, 5, 5
    )


def test_suspension_working_mode() -> None:
    # Due Thu 2026-02-12 (WD). Suspended Fri 6 Feb, resumed Fri 13 Feb:
    # WD in (6, 13] = 9, 10, 11, 12, 13 = 5. Due + 5 WD: 13 (1), (14–22 Tết),
    # 23, 24, 25, 26 (5) → Thu 2026-02-26.
    assert CAL.shift_for_suspension(date(2026, 2, 12), date(2026, 2, 6), date(2026, 2, 13), "working") == date(
        2026, 2, 26
    )


def test_suspension_over_tet_only_counts_working_days_in_working_mode() -> None:
    # Due Wed 2026-03-04 (WD). Suspended Fri 13 Feb, resumed Mon 23 Feb:
    # WD in (13, 23] = 23 only = 1 → Thu 2026-03-05.
    assert CAL.shift_for_suspension(date(2026, 3, 4), date(2026, 2, 13), date(2026, 2, 23), "working") == date(
        2026, 3, 5
    )


def test_suspension_resumed_before_suspended_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.shift_for_suspension(date(2025, 3, 17), date(2025, 3, 10), date(2025, 3, 3), "calendar")


# --- today and overdue ------------------------------------------------------------------------


def test_business_today_is_hanoi_date() -> None:
    # 18:30 UTC on 16 Feb 2026 is 01:30 on 17 Feb in Hanoi (UTC+7).
    assert business_today(datetime(2026, 2, 16, 18, 30, tzinfo=UTC)) == date(2026, 2, 17)
    # 16:59 UTC is still 23:59 on the same day in Hanoi.
    assert business_today(datetime(2026, 2, 16, 16, 59, tzinfo=UTC)) == date(2026, 2, 16)


def test_business_today_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError):
        business_today(datetime(2026, 2, 16, 18, 30))


def test_business_today_default_is_a_date() -> None:
    today = business_today()
    assert type(today) is date
    utc_today = datetime.now(UTC).date()
    assert abs((today - utc_today).days) <= 1


def test_days_overdue() -> None:
    assert days_overdue(None, date(2026, 2, 23)) == 0
    assert days_overdue(date(2026, 2, 23), date(2026, 2, 23)) == 0  # due today: not overdue
    assert days_overdue(date(2026, 2, 23), date(2026, 2, 20)) == 0
    # Due Fri 13 Feb 2026, today Mon 23 Feb: calendar days, Tết included → 10.
    assert days_overdue(date(2026, 2, 13), date(2026, 2, 23)) == 10
