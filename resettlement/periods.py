"""Statutory periods: calendar days and working days on the Chinese public-holiday calendar.

One module counts days for every period the system keeps (publication periods, objection
windows, answer deadlines, the gates that wait for them). Working days follow the State
Council's yearly holiday arrangement as published in the `chinese-calendar` package: public
holidays are not working days, and the make-up working days (调休, a Saturday or Sunday worked
in exchange) are. For a year the package does not yet cover, weekends are the only days off;
`calendar_known` tells a page when that is the case so it can say so.

A period is a pair of dates, both included (a publication from 12-01 to 12-30 is 30 days). The
day of a deadline is the date in Asia/Shanghai (`today()`), whatever the server's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """The date in Asia/Shanghai now: the day every deadline is counted on."""
    return timezone.now().astimezone(SHANGHAI).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of a stored moment."""
    return moment.astimezone(SHANGHAI).date()


def calendar_known(day: dt.date) -> bool:
    """Whether the official holiday arrangement of `day`'s year is known to the calendar."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    """A working day: not a public holiday, not a weekend unless it is a make-up working day."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_calendar_days(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` calendar days that begins on `start` (included)."""
    if days < 1:
        raise ValueError("a period lasts at least one day")
    return start + dt.timedelta(days=days - 1)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (`start` itself not counted).

    An objection filed on a Friday with five working days to answer is due the next Friday; one
    filed on the eve of Spring Festival is due five working days after the holiday.
    """
    if days < 1:
        raise ValueError("a period lasts at least one day")
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when `end` <= `start`)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


@dataclass(frozen=True)
class DaysLeft:
    """How a deadline stands on a given day: `days` left (0 on the last day), or overdue."""

    deadline: dt.date
    days: int  # calendar days from today to the deadline; negative once it has passed
    working: bool = False

    @property
    def overdue(self) -> bool:
        return self.days < 0

    @property
    def ended(self) -> bool:
        """The period is over: its last day has passed."""
        return self.days < 0

    def __str__(self) -> str:
        if self.days < 0:
            return ngettext("已逾期 %(n)d 天", "已逾期 %(n)d 天", -self.days) % {"n": -self.days}
        if self.days == 0:
            return _("今天截止")
        if self.working:
            return ngettext("剩余 %(n)d 个工作日", "剩余 %(n)d 个工作日", self.days) % {
                "n": self.days
            }
        return ngettext("剩余 %(n)d 天", "剩余 %(n)d 天", self.days) % {"n": self.days}


def days_left(deadline: dt.date, *, on: dt.date | None = None) -> DaysLeft:
    """Calendar days from `on` (today in Shanghai) to `deadline`, the deadline included."""
    on = on or today()
    return DaysLeft(deadline=deadline, days=(deadline - on).days)


def working_days_left(deadline: dt.date, *, on: dt.date | None = None) -> DaysLeft:
    """Working days left before a working-day deadline; overdue counts calendar days."""
    on = on or today()
    if deadline < on:
        return DaysLeft(deadline=deadline, days=(deadline - on).days, working=True)
    return DaysLeft(deadline=deadline, days=working_days_between(on, deadline), working=True)
