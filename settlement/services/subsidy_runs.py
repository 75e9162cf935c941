"""Transition-subsidy runs (临时安置补助费发放) and the project's transition policy.

The policy (`transition_policy_set`, a leader) says how often the subsidy is paid (monthly,
quarterly, half-yearly), the transition months, the overdue multiplier and the months paid
after handover. A run (`subsidy_run_compute`, finance) pays every household of the project
in transition its months of the period that no run holds yet, plus arrears (earlier months
never paid: before the first run, or released by a failed bank row), at the price rules'
rate × persons (or × demolished area), months starting on or after the promised return
day times the multiplier, rounded once per line. Each month a line pays is a `SubsidyMonth`
row, unique per household and month: a month is paid at most once, whoever computes at the
same time. A household without a confirmed bank account is listed as blocked.

The run goes through the steps of the project's approval chain that apply to payments
(`subsidy_run_approve`; the creator approves no step, nobody takes two), then finance makes
the bank batch file (`subsidy_run_send`: the bank details are written on the lines as they
are then) and imports the bank's result file (`subsidy_run_import_result`, all or nothing):
paid rows are paid; failed rows release their months for the next run. The run closes when
no row waits. The household's final statement counts only the months no run holds
(`settlement.selectors.statements.statement_inputs`). Rules and a worked example:
docs/settlement.md, "Transition-subsidy runs".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household, Project
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.periods import today
from resettlement.roles import ROLE_BY_CODE, require_permission
from settlement import bank, calculation
from settlement.calculation import add_months, month_of, month_starts, subsidy_factor
from settlement.models import (
    ApprovalStep,
    CashValuationDay,
    Handover,
    PriceRules,
    Statement,
    StatementStatus,
    StepDirection,
    SubsidyBasis,
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunApproval,
    SubsidyRunLine,
    SubsidyRunStatus,
    SubsidySchedule,
    Transition,
    TransitionPolicy,
)
from settlement.selectors.bank_accounts import confirmed_accounts
from settlement.selectors.subsidy_runs import is_period, period_label
from settlement.services.approvals import (
    APPROVAL_COMMENT_MAX,
    approval_chain,
    approval_chain_fix,
    holds_role,
    step_applies,
)
from settlement.services.statements import FROZEN, _decimal, statement_refresh
from settlement.wording import step_label

MAX_MULTIPLIER = Decimal("10.00")
MAX_TRANSITION_MONTHS = 120
MAX_MONTHS_AFTER_HANDOVER = 24

# -- the transition policy ------------------------------------------------------------------


@transaction.atomic
def transition_policy_set(
    *,
    actor,
    project: Project,
    schedule: str,
    transition_months: Any,
    overdue_multiplier: Any,
    months_after_handover: Any = 0,
    overdue_cash_option: bool = False,
    cash_valuation_day: str = CashValuationDay.SWITCH_DAY,
) -> TransitionPolicy:
    """Set the project's transition policy (a leader, like the prices) and recompute its draft
    statements (the overdue multiplier reaches their subsidy line)."""
    require_permission(actor, "settlement.change_pricerules")
    require_project_access(actor, project)
    errors: list[dict] = []
    if schedule not in SubsidySchedule.values:
        errors.append(field_error("schedule", _("发放周期只能是按月、按季度或按半年")))
    months = _whole(
        transition_months, "transition_months", _("过渡期(月)"), 1, MAX_TRANSITION_MONTHS, errors
    )
    after = _whole(
        months_after_handover,
        "months_after_handover",
        _("交房后继续发放(月)"),
        0,
        MAX_MONTHS_AFTER_HANDOVER,
        errors,
    )
    multiplier, problems = _decimal(overdue_multiplier, "overdue_multiplier", _("超期过渡费倍数"))
    errors += problems
    if multiplier is not None and not (1 <= multiplier <= MAX_MULTIPLIER):
        errors.append(
            field_error(
                "overdue_multiplier",
                _("超期过渡费倍数应在 1 到 %(m)s 之间") % {"m": MAX_MULTIPLIER},
            )
        )
    if cash_valuation_day not in CashValuationDay.values:
        errors.append(field_error("cash_valuation_day", _("估价日只能是申请之日或承诺回迁之日")))
    if errors:
        raise invalid_input(errors, "bad_transition_policy")
    Project.objects.select_for_update().get(pk=project.pk)
    policy, _created = TransitionPolicy.objects.update_or_create(
        project=project,
        defaults={
            "schedule": schedule,
            "transition_months": months,
            "overdue_multiplier": multiplier,
            "months_after_handover": after,
            "overdue_cash_option": bool(overdue_cash_option),
            "cash_valuation_day": cash_valuation_day,
            "updated_by": actor,
        },
    )
    drafts = Household.objects.filter(
        statement__project=project, statement__status=StatementStatus.DRAFT
    )
    for household in drafts:
        statement_refresh(household)
    audit_record(
        actor=actor,
        action="transition_policy.set",
        obj=policy,
        payload={
            "project": project.code,
            "schedule": schedule,
            "transition_months": months,
            "overdue_multiplier": multiplier,
            "months_after_handover": after,
            "overdue_cash_option": bool(overdue_cash_option),
            "cash_valuation_day": cash_valuation_day,
            "drafts_recomputed": len(drafts),
        },
    )
    return policy


def _whole(value: Any, field: str, label: str, low: int, high: int, errors: list) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not (low <= number <= high):
        errors.append(
            field_error(
                field,
                _("%(l)s应为 %(a)d 到 %(b)d 之间的整数") % {"l": label, "a": low, "b": high},
            )
        )
        return None
    return number


# -- computing a run ------------------------------------------------------------------------------


def _statement_months(statement: Statement | None) -> set[dt.date]:
    """The months a frozen (approving, approved, settled) statement counts in its subsidy
    line, from the inputs written on it: a run never pays them again."""
    if statement is None or statement.status not in FROZEN:
        return set()
    return {month_of(s) for s in calculation.statement_subsidy_starts(statement.inputs or {})}


def _eligible_starts(
    transition: Transition, handover: Handover | None, policy: TransitionPolicy, period_end
) -> list[dt.date]:
    """The first days of the household's subsidy months up to the end of the period: from
    moving out, while in transition (before the handover day + the months after handover)."""
    moved = transition.moved_out_on
    if moved > period_end:
        return []
    limit = month_of(period_end)
    stop = (
        add_months(handover.handed_over_on, policy.months_after_handover)
        if handover is not None
        else None
    )
    count = calculation.subsidy_months(moved, period_end + dt.timedelta(days=1))
    return [
        s for s in month_starts(moved, count) if month_of(s) <= limit and (stop is None or s < stop)
    ]


def _run_refusal(project: Project) -> tuple[TransitionPolicy, PriceRules]:
    policy = TransitionPolicy.objects.filter(project=project).first()
    if policy is None:
        raise RuleViolation(
            "no_transition_policy",
            _("项目 %(p)s 尚未设置过渡安置政策。") % {"p": project},
            details=[field_error("transition_policy", _("尚未设置过渡安置政策"), "missing")],
        )
    rules = PriceRules.objects.filter(project=project).first()
    if rules is None or rules.subsidy_rate <= 0:
        raise RuleViolation(
            "no_subsidy_rate",
            _("项目 %(p)s 尚未设置过渡费标准。") % {"p": project},
            details=[field_error("subsidy_rate", _("尚未设置过渡费标准"), "missing")],
        )
    return policy, rules


def subsidy_run_compute(
    *, actor, project: Project, period_start: dt.date, period_end: dt.date
) -> SubsidyRun:
    """Compute the run of the period (one of the policy's schedule) for the project: a new
    draft, or the period's draft recomputed. Refused once its approval has started.

    Every household in transition (moved out, not handed over, or handed over less than the
    policy's months after handover ago) gets a line for its months not held by any run and
    not counted by a frozen statement, up to the period's end (earlier ones are arrears);
    without a confirmed bank account it is listed as blocked. Queries: a fixed number,
    whatever the number of households."""
    return _compute_run(
        actor=actor, project=project, period_start=period_start, period_end=period_end
    )


def _stored_text(make) -> str:
    """A text stored on a row (a run's label, a blocked line's reason): in the system's
    language whoever acts, as statement lines are."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(make())


@transaction.atomic
def _compute_run(*, actor, project: Project, period_start: dt.date, period_end: dt.date):
    require_permission(actor, "settlement.compute_statement")
    require_project_access(actor, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    # The project's statements too: one freezing now (its first approval) either counted its
    # months before this run reads it, or waits and finds its draft recomputed without them.
    list(Statement.objects.select_for_update().filter(project=project).values_list("pk"))
    policy, rules = _run_refusal(project)
    if not is_period(policy.schedule, period_start, period_end):
        raise invalid_input(
            [
                field_error(
                    "period_start",
                    _("发放期须为发放周期(%(s)s)中的一期,如一个完整的季度。")
                    % {"s": policy.get_schedule_display()},
                )
            ],
            "bad_period",
        )
    run = SubsidyRun.objects.filter(project=project, period_start=period_start).first()
    now = timezone.now()
    if run is not None:
        if run.status != SubsidyRunStatus.DRAFT or run.approvals.exists():
            raise RuleViolation(
                "run_frozen",
                _("“%(r)s”已进入审批(%(s)s),不能重新计算。")
                % {"r": run.label, "s": run.get_status_display()},
                details=[field_error("status", _("批次已进入审批"), "frozen")],
            )
        run.lines.all().delete()  # their months go with them
        run.computed_at = now
        run.created_by = actor
        run.save(update_fields=["computed_at", "created_by"])
    else:
        number = (
            SubsidyRun.objects.filter(project=project)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        ) + 1
        run = SubsidyRun.objects.create(
            project=project,
            number=number,
            label=_stored_text(
                lambda: (
                    _("%(p)s临时安置补助费") % {"p": period_label(policy.schedule, period_start)}
                )
            ),
            period_start=period_start,
            period_end=period_end,
            created_by=actor,
            computed_at=now,
        )
    lines, held = _lines(run, policy, rules, project)
    SubsidyRunLine.objects.bulk_create(lines)
    months = [
        SubsidyMonth(household_id=line.household_id, month=month, line_id=line.pk, overdue=over)
        for line, line_months in held
        for month, over in line_months
    ]
    try:
        with transaction.atomic():
            SubsidyMonth.objects.bulk_create(months)
    except IntegrityError as exc:  # the project lock makes this unreachable; the backstop
        raise RuleViolation("month_paid_twice", _("有月份已被其他批次发放,请重新计算。")) from exc
    payable = [line for line in lines if line.status == SubsidyLineStatus.PENDING]
    _refresh_drafts(line.household_id for line in payable)
    audit_record(
        actor=actor,
        action="subsidy_run.compute",
        obj=run,
        payload={
            "project": project.code,
            "run": run.number,
            "period": [period_start, period_end],
            "lines": len(payable),
            "blocked": len(lines) - len(payable),
            "total": sum((line.amount for line in payable), Decimal("0.00")),
        },
    )
    return run


def _lines(
    run: SubsidyRun, policy: TransitionPolicy, rules: PriceRules, project: Project
) -> tuple[list[SubsidyRunLine], list[tuple[SubsidyRunLine, list[tuple[dt.date, bool]]]]]:
    """The run's lines (unsaved) and, for each payable one, its months (first day, overdue)."""
    transitions = list(
        Transition.objects.filter(
            household__project=project, moved_out_on__lte=run.period_end
        ).select_related("household", "household__handover", "household__statement")
    )
    ids = [t.household_id for t in transitions]
    held: dict[int, set[dt.date]] = {}
    for household_id, month in SubsidyMonth.objects.filter(household_id__in=ids).values_list(
        "household_id", "month"
    ):
        held.setdefault(household_id, set()).add(month)
    accounts = confirmed_accounts(ids)
    by_area = rules.subsidy_basis == SubsidyBasis.AREA
    lines: list[SubsidyRunLine] = []
    months: list[tuple[SubsidyRunLine, list[tuple[dt.date, bool]]]] = []
    for transition in sorted(transitions, key=lambda t: t.household.code):
        household = transition.household
        handover = getattr(household, "handover", None)
        statement = getattr(household, "statement", None)
        taken = held.get(household.pk, set()) | _statement_months(statement)
        starts = [
            s
            for s in _eligible_starts(transition, handover, policy, run.period_end)
            if month_of(s) not in taken
        ]
        quantity = (
            calculation.area(household.demolished_area)
            if by_area
            else Decimal(household.resettlement_population or 0)
        )
        if not starts or quantity <= 0:
            continue
        overdue_from = calculation.promised_return(
            transition.moved_out_on, transition.promised_by, policy.transition_months
        )
        count, overdue, factor = subsidy_factor(starts, overdue_from, policy.overdue_multiplier)
        arrears = [s for s in starts if month_of(s) < run.period_start]
        _a, _o, arrears_factor = subsidy_factor(arrears, overdue_from, policy.overdue_multiplier)
        account = accounts.get(household.pk)
        line = SubsidyRunLine(
            run=run,
            household=household,
            first_month=month_of(starts[0]),
            last_month=month_of(starts[-1]),
            months=count,
            arrears_months=len(arrears),
            overdue_months=overdue,
            basis=rules.subsidy_basis,
            quantity=quantity,
            rate=rules.subsidy_rate,
            multiplier=policy.overdue_multiplier,
            amount=calculation.money(rules.subsidy_rate * quantity * factor),
            arrears_amount=calculation.money(rules.subsidy_rate * quantity * arrears_factor),
            reference=f"SR{run.pk}-{len(lines) + 1:05d}",
        )
        if account is None:
            line.status = SubsidyLineStatus.BLOCKED
            line.blocked_reason = _stored_text(lambda: _("没有已复核的银行账户"))
        else:
            line.holder_name = account.holder_name
            line.bank_name = account.bank_name
            line.account_number = account.account_number
            months.append((line, [(month_of(s), s >= overdue_from) for s in starts]))
        lines.append(line)
    return lines, months


def _refresh_drafts(household_ids) -> None:
    """Recompute the draft statements of these households (a run now holds, or a failed row
    released, some of their months): one query when none has a draft."""
    drafts = Household.objects.filter(
        pk__in=list(household_ids), statement__status=StatementStatus.DRAFT
    )
    for household in drafts:
        statement_refresh(household)


# -- approval ----------------------------------------------------------------------------------


def run_chain(project: Project) -> list[ApprovalStep]:
    """The steps of the project's chain a payment goes through, in order."""
    return [
        step
        for step in approval_chain(project)
        if step_applies(step, None, way=StepDirection.PAY)  # type: ignore[arg-type]
    ]


def _taken(run: SubsidyRun) -> list[SubsidyRunApproval]:
    return [a for a in run.approvals.all() if a.round == run.approval_round and not a.sent_back]


def run_next_step(run: SubsidyRun) -> ApprovalStep | None:
    """The step the run waits for (draft or approving), or None."""
    if run.status not in (SubsidyRunStatus.DRAFT, SubsidyRunStatus.APPROVING):
        return None
    taken = {a.position for a in _taken(run)}
    return next((s for s in run_chain(run.project) if s.position not in taken), None)


def run_approval_refusal(actor, run: SubsidyRun, step: ApprovalStep | None):
    """Why `actor` may not take (or send back at) `step` of `run` now, or None: the step's
    role, four eyes (the person who computed the run takes no step), one step per person."""
    if step is None:
        return RuleViolation(
            "not_approvable",
            _("“%(r)s”当前状态为“%(s)s”,没有待审批的步骤。")
            % {"r": run.label, "s": run.get_status_display()},
        )
    try:
        require_permission(actor, "settlement.approve_statement")
    except NotAllowed as exc:
        return exc
    if actor.pk == run.created_by_id:
        return NotAllowed(
            "four_eyes",
            _("“%(step)s”:您编制了本批次,不能审批它(须由另一人审批)。")
            % {"step": step_label(step.label)},
        )
    if not holds_role(actor, step.role):
        role = ROLE_BY_CODE.get(step.role)
        return NotAllowed(
            "wrong_role",
            _("“%(step)s”须由%(role)s审批,您不是%(role)s。")
            % {"step": step_label(step.label), "role": role.label if role else step.role},
        )
    earlier = next((a for a in _taken(run) if a.actor_id == actor.pk), None)
    if earlier is not None:
        return NotAllowed(
            "separation_of_duties",
            _("您已审批过本批次的“%(step)s”,同一人不能审批两个步骤。")
            % {"step": step_label(earlier.label)},
        )
    return None


def _locked_run(run: SubsidyRun) -> SubsidyRun:
    return SubsidyRun.objects.select_for_update().select_related("project").get(pk=run.pk)


@transaction.atomic
def subsidy_run_approve(
    *, actor, run: SubsidyRun, expected_position: int, comment: str = ""
) -> SubsidyRunApproval:
    """Take the step the run waits for (`expected_position`: the one the approver saw). The
    first step freezes the draft (→ approving), the last approves it (→ approved)."""
    require_permission(actor, "settlement.approve_statement")
    run = _locked_run(run)
    require_project_access(actor, run.project)
    approval_chain_fix(run.project)
    step = run_next_step(run)
    if step is not None and step.position != expected_position:
        message = _(
            "您审批的是第 %(e)s 步,但“%(r)s”现在等待第 %(p)d 步“%(label)s”:审批已有变化,"
            "本次未作任何审批。请刷新页面核对后再审批。"
        ) % {
            "e": expected_position,
            "r": run.label,
            "p": step.position,
            "label": step_label(step.label),
        }
        raise RuleViolation(
            "approval_step_changed",
            message,
            details=[field_error("expected_position", message, "stale")],
        )
    refusal = run_approval_refusal(actor, run, step)
    if refusal is not None:
        raise refusal
    assert step is not None
    comment = (comment or "").strip()
    if len(comment) > APPROVAL_COMMENT_MAX:
        raise invalid_input([field_error("comment", _("审批意见过长。"), "too_long")])
    if not run.lines.filter(status=SubsidyLineStatus.PENDING).exists():
        raise RuleViolation(
            "nothing_to_pay",
            _("“%(r)s”没有可发放的户(都缺少已复核的银行账户),不能审批。") % {"r": run.label},
        )
    approval = SubsidyRunApproval.objects.create(
        run=run,
        round=run.approval_round,
        position=step.position,
        code=step.code,
        label=step.label,
        actor=actor,
        comment=comment,
    )
    run.status = SubsidyRunStatus.APPROVING
    fields = ["status"]
    if run_next_step(run) is None:
        run.status = SubsidyRunStatus.APPROVED
        run.approved_at = timezone.now()
        fields.append("approved_at")
    run.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="subsidy_run.approve",
        obj=run,
        payload={
            "run": run.pk,
            "project": run.project.code,
            "round": approval.round,
            "step": approval.position,
            "step_label": approval.label,
            "comment": comment,
            "status": run.status,
        },
    )
    return approval


@transaction.atomic
def subsidy_run_send_back(*, actor, run: SubsidyRun, reason: str) -> SubsidyRunApproval:
    """Send the run back to draft with a reason (whoever may take the step it waits for):
    the round's approvals stay on record, the chain starts again, the draft may be
    recomputed."""
    run = _locked_run(run)
    require_project_access(actor, run.project)
    step = run_next_step(run)
    if run.status != SubsidyRunStatus.APPROVING:
        step = None
    refusal = run_approval_refusal(actor, run, step)
    if refusal is not None:
        raise refusal
    assert step is not None
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input([field_error("reason", _("请填写退回原因"), "required")])
    if len(reason) > APPROVAL_COMMENT_MAX:
        raise invalid_input([field_error("reason", _("退回原因过长。"), "too_long")])
    back = SubsidyRunApproval.objects.create(
        run=run,
        round=run.approval_round,
        position=step.position,
        code=step.code,
        label=step.label,
        actor=actor,
        comment=reason,
        sent_back=True,
    )
    run.status = SubsidyRunStatus.DRAFT
    run.approval_round += 1
    run.save(update_fields=["status", "approval_round"])
    audit_record(
        actor=actor,
        action="subsidy_run.send_back",
        obj=run,
        payload={
            "run": run.pk,
            "project": run.project.code,
            "round": back.round,
            "step": back.position,
            "step_label": back.label,
            "reason": reason,
        },
    )
    return back


# -- the bank ----------------------------------------------------------------------------------


def may_handle_bank_files(user) -> bool:
    """Finance: makes and downloads batch files (full account numbers), imports results."""
    return bool(user and user.is_active and user.has_perm("settlement.record_payment"))


@transaction.atomic
def subsidy_run_send(*, actor, run: SubsidyRun) -> SubsidyRun:
    """Make the approved run's bank batch (→ sent): each payable line gets the household's
    confirmed account as it is now (a household whose account was withdrawn meanwhile is
    blocked and its months released). Finance only."""
    require_permission(actor, "settlement.record_payment")
    run = _locked_run(run)
    require_project_access(actor, run.project)
    if run.status != SubsidyRunStatus.APPROVED:
        raise RuleViolation(
            "run_not_approved",
            _("“%(r)s”当前状态为“%(s)s”,审批通过后才能生成代发文件。")
            % {"r": run.label, "s": run.get_status_display()},
        )
    lines = list(run.lines.filter(status=SubsidyLineStatus.PENDING))
    accounts = confirmed_accounts(line.household_id for line in lines)
    blocked = []
    for line in lines:
        account = accounts.get(line.household_id)
        if account is None:
            line.status = SubsidyLineStatus.BLOCKED
            line.blocked_reason = _stored_text(lambda: _("没有已复核的银行账户"))
            line.holder_name = line.bank_name = line.account_number = ""
            blocked.append(line.pk)
        else:
            line.holder_name = account.holder_name
            line.bank_name = account.bank_name
            line.account_number = account.account_number
    SubsidyRunLine.objects.bulk_update(
        lines, ["status", "blocked_reason", "holder_name", "bank_name", "account_number"]
    )
    SubsidyMonth.objects.filter(line_id__in=blocked).delete()
    _refresh_drafts(line.household_id for line in lines if line.pk in blocked)
    now = timezone.now()
    run.status = SubsidyRunStatus.SENT
    run.sent_by = actor
    run.sent_at = now
    fields = ["status", "sent_by", "sent_at"]
    if len(blocked) == len(lines):
        run.status = SubsidyRunStatus.CLOSED
        run.closed_at = now
        fields.append("closed_at")
    run.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="subsidy_run.send",
        obj=run,
        payload={
            "run": run.pk,
            "project": run.project.code,
            "rows": len(lines) - len(blocked),
            "blocked": len(blocked),
            "total": sum(
                (line.amount for line in lines if line.pk not in blocked), Decimal("0.00")
            ),
        },
    )
    return run


@transaction.atomic
def subsidy_run_import_result(
    *, actor, run: SubsidyRun, data: bytes, name: str, paid_on: dt.date | None = None
) -> dict[str, int]:
    """Read the bank's result file for the sent run, all or nothing (`settlement.bank.
    read_result`: any wrong row refuses the whole file, naming it). Paid rows are paid (with
    the bank's serial, on `paid_on`, today by default); failed rows are failed with the
    bank's reason and their months released, so the next run pays them as arrears. Rows
    the file does not mention keep waiting; the run closes when none waits. Finance only."""
    require_permission(actor, "settlement.record_payment")
    run = _locked_run(run)
    require_project_access(actor, run.project)
    if run.status != SubsidyRunStatus.SENT:
        raise RuleViolation(
            "run_not_sent",
            _("“%(r)s”当前状态为“%(s)s”,没有等待回盘的代发记录。")
            % {"r": run.label, "s": run.get_status_display()},
        )
    day = paid_on or today()
    waiting = {
        line.reference: line
        for line in run.lines.select_for_update().filter(status=SubsidyLineStatus.PENDING)
    }
    rows = bank.read_result(data, name=name, expected=_amounts(waiting))
    failed = []
    for row in rows:
        line = waiting[row.reference]
        if row.paid:
            line.status = SubsidyLineStatus.PAID
            line.bank_serial = row.bank_serial[:64]
            line.paid_on = day
        else:
            line.status = SubsidyLineStatus.FAILED
            line.failure_reason = row.reason[:200]
            failed.append(line.pk)
    changed = [waiting[row.reference] for row in rows]
    SubsidyRunLine.objects.bulk_update(
        changed, ["status", "bank_serial", "paid_on", "failure_reason"]
    )
    SubsidyMonth.objects.filter(line_id__in=failed).delete()
    _refresh_drafts(waiting[row.reference].household_id for row in rows if not row.paid)
    still = len(waiting) - len(rows)
    if still == 0:
        run.status = SubsidyRunStatus.CLOSED
        run.closed_at = timezone.now()
        run.save(update_fields=["status", "closed_at"])
    counts = {"paid": len(rows) - len(failed), "failed": len(failed), "waiting": still}
    audit_record(
        actor=actor,
        action="subsidy_run.result",
        obj=run,
        payload={
            "run": run.pk,
            "project": run.project.code,
            "file": name,
            **counts,
            "failed_references": sorted(waiting[r.reference].reference for r in rows if not r.paid),
            "status": run.status,
        },
    )
    return counts


def _amounts(lines: Mapping[str, SubsidyRunLine]) -> dict[str, Decimal]:
    return {reference: line.amount for reference, line in lines.items()}
