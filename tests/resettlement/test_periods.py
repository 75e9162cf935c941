"""Statutory periods count working days on the Chinese public-holiday calendar."""

import datetime as dt

from resettlement import periods

D = dt.date


def test_spring_festival_days_are_not_working_days():
    # 2026: Spring Festival holiday 02-15 to 02-23.
    assert not periods.is_working_day(D(2026, 2, 17))
    assert not periods.is_working_day(D(2026, 2, 23))


def test_a_make_up_saturday_is_a_working_day():
    # Saturday 2026-02-14 is worked in exchange for the holiday (调休).
    assert D(2026, 2, 14).weekday() == 5
    assert periods.is_working_day(D(2026, 2, 14))


def test_five_working_days_from_the_eve_of_spring_festival_end_after_the_holiday():
    # Filed Friday 02-13: 02-14 (make-up Saturday) is the first working day, then 02-24..02-27.
    assert periods.add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)


def test_five_working_days_from_an_ordinary_friday_end_the_next_friday():
    assert periods.add_working_days(D(2026, 11, 6), 5) == D(2026, 11, 13)


def test_a_year_the_calendar_does_not_cover_counts_weekends_only():
    assert not periods.calendar_known(D(2099, 1, 1))
    assert periods.is_working_day(D(2099, 1, 2))  # a Friday
    assert not periods.is_working_day(D(2099, 1, 3))  # a Saturday


def test_a_thirty_day_period_includes_its_first_and_last_day():
    assert periods.add_calendar_days(D(2026, 12, 1), 30) == D(2026, 12, 30)


def test_days_left_says_how_many_days_remain_or_how_long_overdue():
    assert str(periods.days_left(D(2026, 12, 10), on=D(2026, 12, 6))) == "剩余 4 天"
    assert str(periods.days_left(D(2026, 12, 6), on=D(2026, 12, 6))) == "今天截止"
    left = periods.days_left(D(2026, 12, 1), on=D(2026, 12, 6))
    assert left.overdue and str(left) == "已逾期 5 天"


def test_working_days_left_skips_the_weekend():
    # Friday 12-04 to Tuesday 12-08: Monday and Tuesday remain.
    assert periods.working_days_left(D(2026, 12, 8), on=D(2026, 12, 4)).days == 2
