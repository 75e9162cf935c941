"""The rules that change a project's return plan and targets, and the daily refresh of the
overdue-return ledger.

Keyword-only, `actor` first where a person acts; `require_permission` holds for every
caller (admin, demo, commands). `ledger_refresh` is the system's own job, run without an actor like
`publicity.services.publications.publications_close_expired`: daily for every project (Celery
beat), and for one project as soon as something that changes its figures commits — a
payment recorded, a statement settled, a handover or a transition saved
(`oversight.receivers`). `ledger_refresh_now` is the same for one project on demand, by a
person, from the ledger page (audited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Project
from oversight.arrears import PAID
from oversight.models import (
    LedgerEntry,
    LedgerPeriod,
    LedgerRun,
    ReturnPlan,
    ReturnTarget,
)
from oversight.selectors.ledger import DEFAULT_GRACE_DAYS, ledger_inputs
from resettlement.audit import audit_record
from resettlement.errors import field_error, invalid_input
from resettlement.roles import require_permission
from settlement import calculation
from settlement.models import Handover, Transition
from settlement.selectors.subsidy_runs import period_of

# -- the return plan ---------------------------------------------------------------------------


def target_problems(targets: Sequence[tuple[int, int]]) -> list[dict]:
    """Targets are (year, cumulative share %): years once each within 2000–2100, shares
    1–100 and, year after year, never falling."""
    problems = []
    seen: set[int] = set()
    previous: tuple[int, int] | None = None
    for number, (year, share) in enumerate(sorted(targets), start=1):
        where = f"targets[{number}]"
        if not 2000 <= year <= 2100:
            problems.append(field_error(where, _("年度 %(y)s 不在 2000–2100 之间") % {"y": year}))
        if year in seen:
            problems.append(field_error(where, _("年度 %(y)s 重复") % {"y": year}, "duplicate"))
        seen.add(year)
        if not 1 <= share <= 100:
            problems.append(
                field_error(
                    where, _("%(y)s 年的比例 %(s)s%% 应在 1–100 之间") % {"y": year, "s": share}
                )
            )
        if previous is not None and share < previous[1]:
            problems.append(
                field_error(
                    where,
                    _("%(y)s 年的累计比例 %(s)s%% 不能低于 %(py)s 年的 %(ps)s%%")
                    % {"y": year, "s": share, "py": previous[0], "ps": previous[1]},
                )
            )
        previous = (year, share)
    return problems


@transaction.atomic
def return_plan_set(
    *,
    actor,
    project: Project,
    department: str,
    person: str,
    phone: str = "",
    subsidy_grace_days: int = DEFAULT_GRACE_DAYS,
    targets: Sequence[tuple[int, int]] = (),
) -> ReturnPlan:
    """Set the project's responsible department and person, the subsidy grace and the
    yearly targets (replacing earlier ones)."""
    require_permission(actor, "oversight.change_returnplan")
    require_project_access(actor, project)
    department, person = (department or "").strip(), (person or "").strip()
    errors = []
    if not department:
        errors.append(field_error("department", _("请填写责任部门")))
    if not person:
        errors.append(field_error("person", _("请填写责任人")))
    if subsidy_grace_days is None or not 0 <= subsidy_grace_days <= 366:
        errors.append(field_error("subsidy_grace_days", _("宽限天数应在 0–366 之间")))
    errors += target_problems(targets)
    if errors:
        raise invalid_input(errors)
    plan, _created = ReturnPlan.objects.update_or_create(
        project=project,
        defaults={
            "department": department,
            "person": person,
            "phone": (phone or "").strip(),
            "subsidy_grace_days": subsidy_grace_days,
            "updated_by": actor,
        },
    )
    plan.targets.all().delete()
    ReturnTarget.objects.bulk_create(
        ReturnTarget(plan=plan, year=year, share=share) for year, share in sorted(targets)
    )
    audit_record(
        actor=actor,
        action="return_plan.set",
        obj=plan,
        payload={
            "project": project.code,
            "department": department,
            "person": person,
            "subsidy_grace_days": subsidy_grace_days,
            "targets": [[year, share] for year, share in sorted(targets)],
        },
    )
    return plan


# -- the overdue-return ledger -----------------------------------------------------------------


ENTRY_FIELDS = [
    "project",
    "moved_out_on",
    "promised_by",
    "months_overdue",
    "months_in_transition",
    "subsidy_owed",
    "subsidy_paid",
    "paid_months",
    "subsidy_arrears",
    "subsidy_late",
    "late_since",
    "paid_late_months",
    "days_late_max",
    "days_late_total",
    "as_of",
]


@transaction.atomic
def ledger_refresh(*, today: dt.date | None = None, project: Project | None = None) -> LedgerRun:
    """Recompute the ledger as of `today` (every project, or only `project`): one entry for
    every household in transition whose keys have not been handed over (overdue or not), with
    months overdue, subsidy owed, paid (by runs the bank confirmed, and by a settled
    statement) and in arrears, days late, and the late-subsidy flag (with the day it was
    first raised, kept while it stays raised); and each project's run periods summed
    (`LedgerPeriod`). Entries of households that got their keys are removed. A fixed number
    of queries whatever the number of households. The run is recorded (`LedgerRun`, its
    counts those of the households refreshed)."""
    started = timezone.now()
    today = today or timezone.localdate()
    transitions = Transition.objects.filter(moved_out_on__lte=today)
    entries_in_scope = LedgerEntry.objects.all()
    periods_in_scope = LedgerPeriod.objects.all()
    if project is not None:
        transitions = transitions.filter(household__project=project)
        entries_in_scope = entries_in_scope.filter(project=project)
        periods_in_scope = periods_in_scope.filter(project=project)
    transitions = list(
        transitions.exclude(household__in=Handover.objects.values("household")).select_related(
            "household"
        )
    )
    inputs = ledger_inputs(transitions)
    existing = {e.household_id: e for e in entries_in_scope.select_for_update()}

    creating, updating = [], []
    periods = PeriodSums()
    for transition in transitions:
        household = transition.household
        figures, promised_by, schedule = inputs.figures(transition, today)
        periods.add(household.project_id, schedule, household.pk, figures.months)
        entry = existing.pop(household.pk, None)
        late_since = None
        if figures.subsidy_late:
            late_since = entry.late_since if entry and entry.subsidy_late else today
        values = {
            "project_id": household.project_id,
            "moved_out_on": transition.moved_out_on,
            "promised_by": promised_by,
            "months_overdue": figures.months_overdue,
            "months_in_transition": figures.months_in_transition,
            "subsidy_owed": figures.subsidy_owed,
            "subsidy_paid": figures.subsidy_paid,
            "paid_months": figures.paid_months,
            "subsidy_arrears": figures.subsidy_arrears,
            "subsidy_late": figures.subsidy_late,
            "late_since": late_since,
            "paid_late_months": figures.paid_late_months,
            "days_late_max": figures.days_late_max,
            "days_late_total": figures.days_late_total,
            "as_of": today,
        }
        if entry is None:
            creating.append(LedgerEntry(household_id=household.pk, **values))
        else:
            for name, value in values.items():
                setattr(entry, name, value)
            updating.append(entry)
    LedgerEntry.objects.filter(pk__in=[e.pk for e in existing.values()]).delete()
    LedgerEntry.objects.bulk_create(creating, batch_size=1000)
    LedgerEntry.objects.bulk_update(updating, ENTRY_FIELDS, batch_size=1000)
    periods_in_scope.delete()
    LedgerPeriod.objects.bulk_create(periods.rows(today), batch_size=1000)
    entries = creating + updating
    return LedgerRun.objects.create(
        as_of=today,
        started_at=started,
        finished_at=timezone.now(),
        households=len(entries),
        overdue=sum(1 for e in entries if e.months_overdue > 0),
        late=sum(1 for e in entries if e.subsidy_late),
    )


class PeriodSums:
    """The months of the ledger's households summed per project and run period."""

    def __init__(self) -> None:
        self.sums: dict[tuple[int, dt.date], dict] = {}

    def add(self, project_id: int, schedule: str, household_id: int, months) -> None:
        for month in months:
            start, end = period_of(schedule, month.month)
            row = self.sums.setdefault(
                (project_id, start),
                {
                    "end": end,
                    "schedule": schedule,
                    "owed": Decimal("0"),
                    "paid": Decimal("0"),
                    "arrears": Decimal("0"),
                    "households": set(),
                    "in_arrears": set(),
                    "paid_late": set(),
                },
            )
            row["households"].add(household_id)
            row["owed"] += month.owed
            row["paid"] += month.paid
            if month.due and month.status != PAID:
                row["arrears"] += month.owed
                if month.owed > 0:
                    row["in_arrears"].add(household_id)
            if month.paid_late:
                row["paid_late"].add(household_id)

    def rows(self, today: dt.date) -> list[LedgerPeriod]:
        return [
            LedgerPeriod(
                project_id=project_id,
                period_start=start,
                period_end=row["end"],
                schedule=row["schedule"],
                households=len(row["households"]),
                owed=calculation.money(row["owed"]),
                paid=calculation.money(row["paid"]),
                arrears=calculation.money(row["arrears"]),
                in_arrears=len(row["in_arrears"]),
                paid_late=len(row["paid_late"]),
                as_of=today,
            )
            for (project_id, start), row in self.sums.items()
        ]


@transaction.atomic
def ledger_refresh_now(*, actor, project: Project) -> LedgerRun:
    """Refresh the project's ledger now, on demand (the ledger page's button): whoever may
    read the ledger may bring it up to date; the refresh is audited."""
    require_permission(actor, "oversight.view_ledger")
    require_project_access(actor, project)
    run = ledger_refresh(project=project)
    audit_record(
        actor=actor,
        action="ledger.refresh",
        obj=project,
        payload={
            "project": project.code,
            "as_of": run.as_of,
            "households": run.households,
            "overdue": run.overdue,
            "late": run.late,
        },
    )
    return run
