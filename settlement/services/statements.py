"""Transitions, adjustments, the outcome and the household statement.

Every write to these goes through the functions here (admin, staff pages, API, commands),
each taking the acting person as `actor`, keyword-only. The arithmetic itself is in
`settlement.calculation` (pure, no database); `settlement.selectors.statements` gathers its
inputs from the registry, the lottery's binding allocations and the project's prices, and
this module stores the lines.

A statement is recomputed whenever one of its inputs changes through settlement, while it is
a draft (`statement_refresh`, called by every service here that changes an input, by the
price rules, and by the handover service and a send-back). The registry's changes of a
household's facts reach settlement through `households.signals.facts_changed`
(`settlement.receivers` → `statement_reopen`): the statement, unless settled, goes back to
draft with its approvals restarted and is recomputed. Inputs that change elsewhere without
telling (a lottery signed, a month of subsidy passing) are shown on the statement's page as
"changed since computed" (`selectors.statements.statement_is_current`, read only) and
recomputed by finance (`statement_compute`, audited): a page never writes, and no approval
step recomputes — the gate refuses a stale draft. Once the approval chain starts
(→ approving) it is frozen: `statement_compute` refuses and `statement_refresh` leaves it as
it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household
from lottery.models import Allocation
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission
from settlement import calculation, gates
from settlement.models import (
    Adjustment,
    AdjustmentKind,
    Outcome,
    OverdueCashSwitch,
    Statement,
    StatementLine,
    StatementStatus,
    Transition,
)
from settlement.selectors.statements import _lines, matches, statement_inputs

FROZEN = (StatementStatus.APPROVING, StatementStatus.APPROVED, StatementStatus.SETTLED)
CENT = Decimal("0.01")
# One reward or deduction is less than 100 million 元: far beyond any real one, and the
# statement's totals stay within their columns however many there are.
MAX_ADJUSTMENT = Decimal("99999999.99")


def _decimal(
    value: Any, field: str, label: str, *, places: Decimal = CENT, positive: bool = False
) -> tuple[Decimal | None, list[dict]]:
    """`value` as a Decimal with at most `places`, ≥ 0 (or > 0), or the field's error."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if (
        number is None
        or not number.is_finite()
        or number < 0
        or (positive and number == 0)
        or number != number.quantize(places)
    ):
        digits = len(str(places).split(".")[1])
        message = (
            _("%(label)s必须是大于0的数字,最多%(d)d位小数")
            if positive
            else _("%(label)s必须是不小于0的数字,最多%(d)d位小数")
        ) % {"label": label, "d": digits}
        return None, [field_error(field, message)]
    return number, []


def _frozen_error(statement: Statement) -> RuleViolation:
    return RuleViolation(
        "statement_frozen",
        _("户 %(h)s 的结算单已进入审批(%(s)s),不能再修改或重新计算。")
        % {"h": statement.household.code, "s": statement.get_status_display()},
        details=[field_error("status", _("结算单已进入审批"), "frozen")],
    )


def _refuse_if_frozen(household: Household) -> None:
    statement = Statement.objects.filter(household=household).first()
    if statement is not None and statement.status in FROZEN:
        raise _frozen_error(statement)


# -- transitions, adjustments, the outcome -------------------------------------------------------


def _approved(household: Household) -> None:
    gates.household_approved(household, doing=_("办理结算"))


@transaction.atomic
def transition_record(
    *,
    actor,
    household: Household,
    moved_out_on: dt.date,
    promised_by: dt.date | None = None,
) -> Transition:
    """Record (or correct) when the household moved out and the promised return date; the
    relocation subsidy runs from `moved_out_on`. Refused once the statement is frozen."""
    require_permission(actor, "settlement.change_transition")
    _approved(household)
    _refuse_if_frozen(household)
    errors = []
    if not isinstance(moved_out_on, dt.date):
        errors.append(field_error("moved_out_on", _("请填写搬迁腾房日期")))
    elif moved_out_on > timezone.localdate():
        errors.append(field_error("moved_out_on", _("搬迁腾房日期不能晚于今天")))
    if promised_by is not None and isinstance(moved_out_on, dt.date) and promised_by < moved_out_on:
        errors.append(field_error("promised_by", _("承诺回迁日期不能早于搬迁腾房日期")))
    if errors:
        raise invalid_input(errors, "bad_transition")
    transition, _created = Transition.objects.update_or_create(
        household=household,
        defaults={"moved_out_on": moved_out_on, "promised_by": promised_by, "recorded_by": actor},
    )
    statement_refresh(household)
    return transition


@transaction.atomic
def adjustment_add(
    *, actor, household: Household, kind: str, amount: Any, reason: str
) -> Adjustment:
    """A reward (income) or a deduction (expenditure) on the household's statement, with a
    written reason. Refused once the statement is frozen."""
    require_permission(actor, "settlement.add_adjustment")
    _approved(household)
    _refuse_if_frozen(household)
    errors = []
    if kind not in AdjustmentKind.values:
        errors.append(field_error("kind", _("类型只能是奖励或扣减")))
    value, problems = _decimal(amount, "amount", _("金额"), positive=True)
    errors += problems
    if value is not None and value > MAX_ADJUSTMENT:
        errors.append(
            field_error(
                "amount", _("金额不能超过 %(max)s 元") % {"max": MAX_ADJUSTMENT}, "too_large"
            )
        )
    reason = (reason or "").strip()
    if not reason:
        errors.append(field_error("reason", _("请填写奖励或扣减的原因"), "required"))
    elif len(reason) > 200:
        errors.append(field_error("reason", _("原因最多200字")))
    if errors:
        raise invalid_input(errors, "bad_adjustment")
    adjustment = Adjustment.objects.create(
        household=household, kind=kind, amount=value.quantize(CENT), reason=reason, created_by=actor
    )
    statement_refresh(household)
    return adjustment


def may_choose_outcome(actor) -> bool:
    """Finance (who computes statements) or a leader (who sets the prices)."""
    return (
        actor is not None
        and actor.is_active
        and (
            actor.has_perm("settlement.compute_statement")
            or actor.has_perm("settlement.change_pricerules")
        )
    )


@transaction.atomic
def outcome_choose(*, actor, household: Household, outcome: str) -> Statement:
    """Choose apartments (实物安置) or monetised resettlement (货币化安置/房票) for the
    household, by finance or a leader, and (re)compute its draft statement. Monetised only
    while the household has no binding allocation; refused once the statement is frozen."""
    if not may_choose_outcome(actor):
        raise NotAllowed("permission_denied", _("只有财务或审批领导可以选择安置方式。"))
    _approved(household)
    if outcome not in Outcome.values:
        raise invalid_input([field_error("outcome", _("安置方式只能是实物安置或货币化安置"))])
    if (
        outcome == Outcome.APARTMENT
        and OverdueCashSwitch.objects.filter(household=household).exists()
    ):
        raise RuleViolation(
            "switched_to_cash",
            _("户 %(h)s 已超期改为货币补偿,不能再改回实物安置。") % {"h": household.code},
            details=[field_error("outcome", _("已改为货币补偿"), "switched_to_cash")],
        )
    if (
        outcome == Outcome.MONETISED
        and Allocation.objects.filter(household=household, binding=True).exists()
    ):
        raise RuleViolation(
            "has_allocation",
            _("户 %(h)s 已分得安置房,不能改为货币化安置。") % {"h": household.code},
            details=[field_error("outcome", _("已分得安置房"), "has_allocation")],
        )
    return _compute(household, actor=actor, outcome=outcome, chosen_by=actor)


def _compute(
    household: Household, *, actor, outcome: str | None = None, chosen_by=None
) -> Statement:
    """Create or recompute the household's draft statement (caller is in a transaction)."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    statement = Statement.objects.select_for_update().filter(household=household).first()
    if statement is not None and statement.status in FROZEN:
        raise _frozen_error(statement)
    if outcome is None:
        outcome = statement.outcome if statement is not None else Outcome.APARTMENT
    gates.computable(household, outcome=outcome)
    inputs = statement_inputs(household, today=timezone.localdate(), outcome=outcome)
    lines = _lines(inputs)
    sums = calculation.totals(lines)
    record = inputs.as_record()
    now = timezone.now()
    if statement is None:
        statement = Statement(
            household=household,
            project=household.project,
            outcome=outcome,
            computed_at=now,
            version=1,
        )
    else:
        if matches(statement, outcome=outcome, inputs=inputs, lines=lines):
            if chosen_by is not None and statement.outcome_chosen_by_id != chosen_by.pk:
                statement.outcome_chosen_by = chosen_by
                statement.save(update_fields=["outcome_chosen_by"])
            return statement
        statement.version += 1
        statement.computed_at = now
    statement.outcome = outcome
    statement.income_total = sums.income
    statement.expenditure_total = sums.expenditure
    statement.net = sums.net
    statement.inputs = record
    if actor is not None:
        statement.computed_by = actor
    if chosen_by is not None:
        statement.outcome_chosen_by = chosen_by
    statement.save()
    statement.lines.all().delete()
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            position=position,
            side=spec.side,
            rule=spec.rule,
            label=spec.label,
            inputs=spec.inputs,
            amount=spec.amount,
        )
        for position, spec in enumerate(lines, start=1)
    )
    return statement


@transaction.atomic
def statement_compute(*, actor, household: Household) -> Statement:
    """Create the household's statement, or recompute it while it is a draft, on a person's
    request (the inputs page's button, the statement page's "recompute" when its inputs
    changed outside settlement): one audit entry naming them, whether or not the numbers
    changed. Refused (`statement_frozen`) once the approval chain has started."""
    require_permission(actor, "settlement.compute_statement")
    _approved(household)
    before = Statement.objects.filter(household=household).values_list("version", flat=True)
    version_before = before.first()
    statement = _compute(household, actor=actor)
    audit_record(
        actor=actor,
        action="statement.compute",
        obj=statement,
        payload={
            "statement_id": statement.pk,
            "household": household.code,
            "version": statement.version,
            "changed": statement.version != version_before,
            "outcome": statement.outcome,
            "net": statement.net,
        },
    )
    return statement


@transaction.atomic
def statement_refresh(household: Household) -> Statement | None:
    """Recompute the household's draft statement after an input changed (no actor: the
    system). Nothing happens without a statement, to a frozen one, or when the inputs are
    incomplete (no prices, no allocation …: `statement_compute` names what is missing)."""
    statement = Statement.objects.filter(household=household).first()
    if statement is None or statement.status in FROZEN:
        return statement
    try:
        with transaction.atomic():
            return _compute(household, actor=None)
    except RuleViolation:
        return statement


# -- change control: the household's facts changed -------------------------------------------


@transaction.atomic
def statement_reopen(
    *,
    household: Household,
    actor,
    fields=(),
    reason: str = "",
    outcome: str | None = None,
    chosen_by=None,
) -> Statement | None:
    """The household's facts changed (`households.signals.facts_changed`, inside the
    registry's transaction): its statement, unless settled, is taken back to draft — the
    approvals of its round stay on record, the chain starts again in a new round — and
    recomputed, a new version when its inputs give other figures. A settled statement is
    reopened only under an open correction (`settlement.gates.facts_may_change`), and only
    when the figures differ. When the inputs no longer give a statement (the household sent
    back, its entitlement cleared) the draft keeps its figures and is stale: the gates
    refuse its approval and payment until the household is approved and finance recomputes.
    One audit entry (`statement.restart`) when anything changed.

    `outcome` (with `chosen_by`, who decided it) changes the outcome as it reopens: an
    overdue household's switch to cash (`settlement.services.overdue`)."""
    statement = Statement.objects.select_for_update().filter(household=household).first()
    if statement is None:
        return None
    household = Household.objects.select_for_update().get(pk=household.pk)
    before = {
        "status": statement.status,
        "version": statement.version,
        "round": statement.approval_round,
    }
    if statement.status == StatementStatus.SETTLED:
        gates.facts_may_change(household)
        if _gives_same(statement, household, outcome=outcome or statement.outcome):
            return statement
    if statement.status != StatementStatus.DRAFT:
        statement.status = StatementStatus.DRAFT
        statement.approval_round += 1
        statement.approved_at = None
        statement.settled_at = None
        statement.save(update_fields=["status", "approval_round", "approved_at", "settled_at"])
    recomputed = True
    try:
        with transaction.atomic():
            statement = _compute(household, actor=None, outcome=outcome, chosen_by=chosen_by)
    except RuleViolation:
        recomputed = False
        statement.refresh_from_db()
    if statement.status == before["status"] and statement.version == before["version"]:
        # A draft whose figures did not change, or that stays as it was because its inputs
        # give no statement now (a repeated signal for a household already sent back).
        return statement
    audit_record(
        actor=actor,
        action="statement.restart",
        obj=statement,
        payload={
            "statement_id": statement.pk,
            "household": household.code,
            "fields": list(fields or ()),
            "reason": reason or "",
            "status_before": before["status"],
            "version_before": before["version"],
            "version": statement.version,
            "round_before": before["round"],
            "round": statement.approval_round,
            "recomputed": recomputed,
            "net": statement.net,
        },
    )
    return statement


def _gives_same(statement: Statement, household: Household, *, outcome: str) -> bool:
    """Whether the statement's inputs (with `outcome`) still give exactly its figures."""
    try:
        gates.computable(household, outcome=outcome)
        inputs = statement_inputs(household, today=timezone.localdate(), outcome=outcome)
        return matches(statement, outcome=outcome, inputs=inputs, lines=_lines(inputs))
    except RuleViolation:
        return False
