"""Publication periods: how long each kind of publication runs, per project.

The period of a new publication is, in this order: the project's own setting for the kind
(`PublicityPeriod`, set here by a leader), `settings.PUBLICITY_DAYS[kind]`, the kind's
default (30 days for the entitlement roster, a compensation and resettlement plan; 7
otherwise). Days are calendar days, both ends included (`resettlement.periods`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Project
from publicity.models import PublicityPeriod
from resettlement import periods, publicity_kinds
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission

# A publication runs at least this long, and not more than a year.
MIN_DAYS, MAX_DAYS = 5, 366


def project_periods(project: Project | None, kinds: list[str] | None = None) -> dict[str, int]:
    """The project's own periods (`PublicityPeriod`), by kind code: one query."""
    if project is None:
        return {}
    own = PublicityPeriod.objects.filter(project=project)
    if kinds is not None:
        own = own.filter(kind__in=kinds)
    return dict(own.values_list("kind", "days"))


def period_days(
    kind_code: str, project: Project | None = None, *, own: dict[str, int] | None = None
) -> int:
    """How many days a publication of this kind runs in this project (`own`: the project's
    periods when already read, project_periods)."""
    own = project_periods(project, [kind_code]) if own is None else own
    return own.get(kind_code) or settings.PUBLICITY_DAYS.get(
        kind_code, publicity_kinds.get(kind_code).default_days
    )


def default_period(
    kind_code: str, starts_on: dt.date, project: Project | None = None
) -> tuple[dt.date, dt.date]:
    """The period a publication starting on `starts_on` runs by default."""
    return starts_on, periods.add_calendar_days(starts_on, period_days(kind_code, project))


@transaction.atomic
def publicity_period_set(*, actor, project: Project, kind: str, days: int) -> PublicityPeriod:
    """Set how many calendar days a kind of publication runs in a project (leaders)."""
    require_permission(actor, "publicity.add_publication")
    require_project_access(actor, project)
    try:
        publicity_kinds.get(kind)
    except KeyError:
        raise RuleViolation(
            "unknown_kind",
            _("未知的公示类型:%(k)s") % {"k": kind},
            details=[{"field": "kind", "message": _("未知的公示类型:%(k)s") % {"k": kind}}],
        ) from None
    if not MIN_DAYS <= int(days) <= MAX_DAYS:
        message = _("公示天数应在 %(low)d 到 %(high)d 天之间。") % {
            "low": MIN_DAYS,
            "high": MAX_DAYS,
        }
        raise RuleViolation("bad_days", message, details=[{"field": "days", "message": message}])
    period, _created = PublicityPeriod.objects.select_for_update().get_or_create(
        project=project, kind=kind, defaults={"days": days, "changed_by": actor}
    )
    before = None if _created else period.days
    period.days = int(days)
    period.changed_by = actor
    period.save()
    audit_record(
        actor=actor,
        action="publicity_period.set",
        obj=period,
        payload={"project": project.code, "kind": kind, "days": period.days, "before": before},
    )
    return period
