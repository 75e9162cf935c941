"""Answer deadlines of objections (异议) and reports (举报投诉): each is to be answered within
`settings.ANSWER_WORKING_DAYS` working days of the day it was filed (Asia/Shanghai date,
Chinese public-holiday calendar: `resettlement.periods`); unanswered after that it is overdue.

For one item: `answer_due(item)` (the last day to answer) and `answer_time_left(item)`
("剩余 3 个工作日", "今天截止", "已逾期 2 天"; None once answered). For lists and counts in
one query: `overdue_filed_before(on)` is the moment before which an item still open is
overdue, so `with_answer_overdue(queryset)` annotates `answer_overdue` and
`overdue_objections()` / `overdue_complaints()` filter, whatever their number.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from publicity.models import Complaint, ComplaintStatus, Objection, ObjectionStatus
from resettlement import periods

# The statuses in which an item still waits for its answer.
OPEN_OBJECTION = (ObjectionStatus.OPEN,)
OPEN_COMPLAINT = (ComplaintStatus.RECEIVED, ComplaintStatus.HANDLING)


def answer_days() -> int:
    return settings.ANSWER_WORKING_DAYS


def answer_due(item: Objection | Complaint) -> dt.date:
    """The last day to answer an objection or report: N working days after its filing day."""
    return periods.add_working_days(periods.local_date(item.filed_at), answer_days())


def is_waiting(item: Objection | Complaint) -> bool:
    open_statuses = OPEN_OBJECTION if isinstance(item, Objection) else OPEN_COMPLAINT
    return item.status in open_statuses


def answer_time_left(
    item: Objection | Complaint, *, on: dt.date | None = None
) -> periods.DaysLeft | None:
    """How the answer deadline stands (working days left, or days overdue); None once
    answered."""
    if not is_waiting(item):
        return None
    return periods.working_days_left(answer_due(item), on=on)


def overdue_filed_before(on: dt.date | None = None) -> dt.datetime:
    """The moment before which an item filed and still unanswered is overdue on `on`: the
    start (Asia/Shanghai) of the day after the last filing day whose deadline has passed."""
    on = on or periods.today()
    day = on - dt.timedelta(days=1)
    while periods.add_working_days(day, answer_days()) >= on:
        day -= dt.timedelta(days=1)
    after = day + dt.timedelta(days=1)
    return dt.datetime.combine(after, dt.time.min, tzinfo=periods.SHANGHAI)


def _overdue_q(open_statuses, on: dt.date | None) -> Q:
    return Q(status__in=list(open_statuses), filed_at__lt=overdue_filed_before(on))


def with_answer_overdue(queryset: QuerySet, *, on: dt.date | None = None) -> QuerySet:
    """The queryset (of objections or complaints) with `answer_overdue` annotated."""
    open_statuses = OPEN_OBJECTION if queryset.model is Objection else OPEN_COMPLAINT
    return queryset.annotate(
        answer_overdue=Case(
            When(_overdue_q(open_statuses, on), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def overdue_objections(queryset: QuerySet | None = None, *, on: dt.date | None = None) -> QuerySet:
    """Objections still unanswered after their deadline (of `queryset`, or all)."""
    queryset = Objection.objects.all() if queryset is None else queryset
    return queryset.filter(_overdue_q(OPEN_OBJECTION, on))


def overdue_complaints(queryset: QuerySet | None = None, *, on: dt.date | None = None) -> QuerySet:
    """Reports to the supervising office still unanswered after their deadline."""
    queryset = Complaint.objects.all() if queryset is None else queryset
    return queryset.filter(_overdue_q(OPEN_COMPLAINT, on))
