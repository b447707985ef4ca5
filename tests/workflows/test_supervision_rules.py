"""Pure supervision rules: the recommendation lifecycle table, its overdue rule, due-soon and the
folding of a place into a child unit."""

from __future__ import annotations

from datetime import date

from app.workflows import recommendations as rl
from app.workflows.calendar import WorkCalendar
from app.workflows.recommendations import Party, RecStatus
from app.workflows.roles import Role
from app.workflows.supervision import child_path, due_soon_horizon, is_due_soon, overdue_alert_day

FRI = date(2026, 11, 27)


def test_recommendation_lifecycle_table():
    assert rl.find("answer", RecStatus.open).to_status == RecStatus.answered
    assert rl.find("close", RecStatus.answered).to_status == RecStatus.closed
    assert rl.find("reopen", RecStatus.answered).to_status == RecStatus.open
    assert rl.find("close", RecStatus.open) is None and rl.find("answer", RecStatus.closed) is None
    assert rl.allowed(RecStatus.closed) == []
    assert rl.allowed(RecStatus.open, Role.handler, frozenset({Party.target})) == ["answer"]
    assert rl.allowed(RecStatus.open, Role.supervisor, frozenset({Party.issuer})) == []
    assert rl.allowed(RecStatus.answered, Role.supervisor, frozenset({Party.issuer})) == ["close", "reopen"]
    assert rl.allowed(RecStatus.answered, Role.supervisor, frozenset()) == []
    assert "reopen" in rl.markdown_table()


def test_recommendation_overdue_is_open_and_after_the_due_date():
    assert rl.is_overdue("open", FRI, date(2026, 11, 28))
    assert not rl.is_overdue("open", FRI, FRI)  # on the due date it is still on time
    assert not rl.is_overdue("answered", FRI, date(2026, 12, 28))
    assert not rl.is_overdue("closed", FRI, date(2026, 12, 28))


def test_due_soon_counts_working_days_and_running_clocks_only():
    cal = WorkCalendar()
    horizon = due_soon_horizon(cal, FRI)
    assert horizon == date(2026, 12, 4)  # Mon..Fri of the next week
    assert is_due_soon("accepted", "resolution", FRI, FRI, horizon)
    assert is_due_soon("received", "processing", horizon, FRI, horizon)
    assert not is_due_soon("received", "processing", date(2026, 12, 5), FRI, horizon)
    assert not is_due_soon("received", "processing", date(2026, 11, 26), FRI, horizon)  # overdue, not due soon
    assert not is_due_soon("suspended", "resolution", FRI, FRI, horizon)
    assert not is_due_soon("decided", None, None, FRI, horizon)
    # a holiday week pushes the horizon: 5 working days from 2027-02-05 skip Tết
    assert due_soon_horizon(cal, date(2027, 2, 5)) > date(2027, 2, 12)


def test_child_path_folds_a_place_into_the_child_it_lies_in():
    assert child_path("01/00070/", "01/") == "01/00070/"
    assert child_path("01/00070/TDP1/", "01/") == "01/00070/"
    assert child_path("01/", "01/") is None
    assert child_path("79/00001/", "01/") is None
    assert child_path("01/00070/TDP1/", "01/00070/") == "01/00070/TDP1/"


def test_an_overdue_alert_happens_the_day_after_the_due_date():
    assert overdue_alert_day(date(2026, 12, 31)) == date(2027, 1, 1)
