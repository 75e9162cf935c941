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
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household, Project
from oversight.arrears import RUN, STATEMENT, MonthPayment, ledger_figures
from oversight.models import (
    LedgerEntry,
    LedgerMonth,
    LedgerRun,
    ReturnPlan,
    ReturnTarget,
)
from resettlement.audit import audit_record
from resettlement.errors import field_error, invalid_input
from resettlement.roles import require_permission
from settlement import calculation
from settlement.models import (
    Handover,
    PriceRules,
    StatementLine,
    StatementStatus,
    SubsidyBasis,
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidySchedule,
    Transition,
    TransitionPolicy,
)
from settlement.selectors.subsidy_runs import period_of

SUBSIDY_RULE = "transition_subsidy"  # settlement.calculation's rule code for the subsidy line


DEFAULT_GRACE_DAYS = 30
MONTHS_PER_QUERY = 5000


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


def _monthly_subsidy(rules: PriceRules | None, household: Household) -> Decimal | None:
    """The household's subsidy for one month at the current rate, as a run or its statement
    would compute it."""
    if rules is None:
        return None
    if rules.subsidy_basis == SubsidyBasis.AREA:
        return rules.subsidy_rate * calculation.area(household.demolished_area)
    return rules.subsidy_rate * (household.resettlement_population or 0)


def _run_payments(
    household_ids: list[int],
) -> tuple[dict[int, dict[dt.date, MonthPayment]], dict[int, Decimal]]:
    """Per household: the months runs hold (paid, or in a batch the bank has not answered —
    a failed row has released its months) with each month's share of its line, the day the
    bank paid it and the run; and the amounts of the paid lines. One query."""
    months: dict[int, dict[dt.date, MonthPayment]] = defaultdict(dict)
    paid_lines: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = SubsidyMonth.objects.filter(household_id__in=household_ids).values_list(
        "household_id",
        "month",
        "overdue",
        "line_id",
        "line__status",
        "line__rate",
        "line__quantity",
        "line__multiplier",
        "line__amount",
        "line__paid_on",
        "line__run_id",
    )
    for household, month, overdue, line, status, rate, quantity, times, amount, on, run in rows:
        paid = status == SubsidyLineStatus.PAID
        months[household][month] = MonthPayment(
            amount=rate * quantity * (times if overdue else 1),
            paid_on=on if paid else None,
            source=RUN,
            run_id=run,
        )
        if paid:
            paid_lines[household][line] = amount
    totals = {h: sum(lines.values(), Decimal("0")) for h, lines in paid_lines.items()}
    return months, totals


def _statement_payments(
    household_ids: list[int],
) -> tuple[dict[int, dict[dt.date, MonthPayment]], dict[int, Decimal]]:
    """Per household: the months the subsidy line of its settled statement counts
    (`settlement.calculation.statement_subsidy_starts`, the months no run held when it was
    computed), each paid on the day the statement was settled — a statement is paid or
    collected as a whole (settlement.services.payments) — and the lines' amounts. One
    query."""
    months: dict[int, dict[dt.date, MonthPayment]] = defaultdict(dict)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    lines = StatementLine.objects.filter(
        rule=SUBSIDY_RULE,
        statement__status=StatementStatus.SETTLED,
        statement__household_id__in=household_ids,
    ).values_list(
        "statement__household_id", "amount", "inputs", "statement__inputs", "statement__settled_at"
    )
    for household_id, amount, inputs, record, settled_at in lines:
        inputs, record = inputs or {}, record or {}
        totals[household_id] += amount
        quantity = Decimal(str(inputs.get("persons", inputs.get("area", "0"))))
        rate = Decimal(str(inputs.get("rate", "0")))
        overdue_from = record.get("overdue_from")
        multiplier = Decimal(str(record.get("overdue_multiplier", "1")))
        settled_on = timezone.localtime(settled_at).date() if settled_at else None
        for start in calculation.statement_subsidy_starts(record):
            _n, _o, factor = calculation.subsidy_factor(
                [start],
                dt.date.fromisoformat(overdue_from) if overdue_from else None,
                multiplier,
            )
            months[household_id][calculation.month_of(start)] = MonthPayment(
                amount=rate * quantity * factor, paid_on=settled_on, source=STATEMENT
            )
    return months, dict(totals)


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
    first raised, kept while it stays raised); and its months (`LedgerMonth`). Entries of
    households that got their keys are removed. A fixed number of queries whatever the
    number of households (the months are written 5,000 rows a query). The run is recorded
    (`LedgerRun`, its counts those of the households refreshed)."""
    started = timezone.now()
    today = today or timezone.localdate()
    transitions = Transition.objects.filter(moved_out_on__lte=today)
    entries_in_scope = LedgerEntry.objects.all()
    months_in_scope = LedgerMonth.objects.all()
    if project is not None:
        transitions = transitions.filter(household__project=project)
        entries_in_scope = entries_in_scope.filter(project=project)
        months_in_scope = months_in_scope.filter(entry__project=project)
    transitions = list(
        transitions.exclude(household__in=Handover.objects.values("household")).select_related(
            "household"
        )
    )
    households = [t.household_id for t in transitions]
    rules = {r.project_id: r for r in PriceRules.objects.all()}
    policies = {p.project_id: p for p in TransitionPolicy.objects.all()}
    grace = dict(ReturnPlan.objects.values_list("project_id", "subsidy_grace_days"))
    run_months, run_paid = _run_payments(households)
    statement_months, statement_paid = _statement_payments(households)
    existing = {e.household_id: e for e in entries_in_scope.select_for_update()}

    creating, updating, months = [], [], []
    for transition in transitions:
        household = transition.household
        policy = policies.get(household.project_id)
        # Without a policy no month is multiplied (as the statement computes); with one, the
        # runs' rule: the recorded promised date, else moving out + the policy's months.
        promised_by, overdue_from = transition.promised_by, None
        if policy is not None:
            promised_by = overdue_from = calculation.promised_return(
                transition.moved_out_on, transition.promised_by, policy.transition_months
            )
        payments = statement_months.get(household.pk, {}) | run_months.get(household.pk, {})
        figures = ledger_figures(
            moved_out_on=transition.moved_out_on,
            promised_by=promised_by,
            today=today,
            monthly_subsidy=_monthly_subsidy(rules.get(household.project_id), household),
            overdue_from=overdue_from,
            multiplier=policy.overdue_multiplier if policy is not None else Decimal("1"),
            payments=payments,
            paid_total=run_paid.get(household.pk, Decimal("0"))
            + statement_paid.get(household.pk, Decimal("0")),
            grace_days=grace.get(household.project_id, DEFAULT_GRACE_DAYS),
        )
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
            entry = LedgerEntry(household_id=household.pk, **values)
            creating.append(entry)
        else:
            for name, value in values.items():
                setattr(entry, name, value)
            updating.append(entry)
        schedule = policy.schedule if policy is not None else SubsidySchedule.QUARTERLY
        months += [(entry, m, period_of(schedule, m.month)[0]) for m in figures.months]
    LedgerEntry.objects.filter(pk__in=[e.pk for e in existing.values()]).delete()
    months_in_scope.delete()
    LedgerEntry.objects.bulk_create(creating, batch_size=1000)
    LedgerEntry.objects.bulk_update(updating, ENTRY_FIELDS, batch_size=1000)
    LedgerMonth.objects.bulk_create(
        (
            LedgerMonth(
                entry_id=entry.pk,
                month=m.month,
                period_start=period_start,
                starts_on=m.starts_on,
                deadline=m.deadline,
                due=m.due,
                overdue=m.overdue,
                factor=m.factor,
                owed=m.owed,
                paid=m.paid,
                status=m.status,
                paid_on=m.paid_on,
                source=m.source,
                run_id=m.run_id,
                days_late=m.days_late,
            )
            for entry, m, period_start in months
        ),
        batch_size=MONTHS_PER_QUERY,
    )
    entries = creating + updating
    return LedgerRun.objects.create(
        as_of=today,
        started_at=started,
        finished_at=timezone.now(),
        households=len(entries),
        overdue=sum(1 for e in entries if e.months_overdue > 0),
        late=sum(1 for e in entries if e.subsidy_late),
    )


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
