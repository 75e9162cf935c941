"""The demo's calendar: how its dates lie (also in `seed_demo --help`).

Every act the services record (registering, reviewing, approving, publishing, objecting,
answering, opening, drawing and signing a lottery session, approving a statement, recording
a payment) is stamped by the service with the moment it runs: the seeding. The demo does not
fake those timestamps, but one: an objection carries the day the resident filed it on the
public form (`moment_on`; the form stamps the moment it is sent), so the two left unanswered
are overdue. Where a service takes a date, the demo gives one in the past, in the
order a real project runs over about four months, counted back from the day of seeding (the
Asia/Shanghai date, `resettlement.periods.today`):

- day −120: the registration results, population and entitlement rosters are posted;
  objections come in three days later; corrected versions are posted on day −110 (the
  entitlement roster's 30 days end on day −81);
- (day −75: the lottery day; the session's own timestamps are those of the seeding);
- day −60: agreements signed; day −30: keys handed over; day −25 to −5: families move in;
- day −5: a supplementary entitlement roster for a household approved late (its 30 days
  have not ended: the lottery gate holds it back);
- moving-out dates: up to 300 days back, some in November or December of last year.

So every period a gate asks about has ended, except the one the demo shows refused.
"""

from __future__ import annotations

import datetime as dt

from resettlement import periods

PUBLICITY_STARTS = 120  # days before the seeding
OBJECTIONS_AFTER = 3  # days into the period
CORRECTED_AFTER = 10  # days into the period
AGREEMENTS_SIGNED = 60
KEYS_HANDED_OVER = 30
MOVED_IN = (25, 5)  # from, to (days before the seeding)
SUPPLEMENT_STARTS = 5


def moment_on(day: dt.date) -> dt.datetime:
    """Ten in the morning (Asia/Shanghai) of `day`: when the demo's residents file."""
    return dt.datetime.combine(day, dt.time(10), tzinfo=periods.SHANGHAI)


def days_ago(days: int) -> dt.date:
    """The date `days` calendar days before the day of seeding."""
    return periods.today() - dt.timedelta(days=days)
