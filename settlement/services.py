"""Price rules, transitions, adjustments, the outcome and the household statement.

Every write to these goes through the functions here (admin, staff pages, API, commands),
each taking the acting person as `actor`, keyword-only. The arithmetic itself is in
`settlement.calculation` (pure, no database); this module gathers its inputs from the
registry, the lottery's binding allocations and the project's prices, and stores the lines.

A statement is recomputed whenever one of its inputs changes, while it is a draft
(`statement_refresh`, called by every service here that changes an input, and by the
handover and approval services). Once the approval chain starts (→ approving) it is frozen:
`statement_compute` refuses and `statement_refresh` leaves it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import require_project_access
from households.models import Household, HouseholdStatus, Project
from lottery.models import Allocation
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission
from settlement import calculation
from settlement.calculation import BandInput, LineSpec, StatementInputs
from settlement.models import (
    Adjustment,
    AdjustmentKind,
    Handover,
    Outcome,
    OverAreaBand,
    PriceRules,
    Statement,
    StatementLine,
    StatementStatus,
    SubsidyBasis,
    Transition,
)
from settlement.selectors_handover import binding_allocations

FROZEN = (StatementStatus.APPROVING, StatementStatus.APPROVED, StatementStatus.SETTLED)
CENT = Decimal("0.01")
COEFFICIENT_PLACES = Decimal("0.0001")
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


# -- price rules -------------------------------------------------------------------------------

PRICE_FIELDS = {
    "base_price": gettext_lazy("安置价"),
    "unused_area_price": gettext_lazy("未用面积补偿价"),
    "demolition_price": gettext_lazy("被拆迁房屋补偿价"),
    "monetised_price": gettext_lazy("货币化安置价"),
    "subsidy_rate": gettext_lazy("过渡费标准"),
}
COEFFICIENT_FIELDS = {
    "tier_a_coefficient": gettext_lazy("A档楼层系数"),
    "tier_b_coefficient": gettext_lazy("B档楼层系数"),
    "tier_c_coefficient": gettext_lazy("C档楼层系数"),
}


@transaction.atomic
def price_rules_set(
    *,
    actor,
    project: Project,
    base_price: Any,
    unused_area_price: Any,
    monetised_price: Any,
    subsidy_rate: Any,
    demolition_price: Any = "0",
    tier_a_coefficient: Any = "1",
    tier_b_coefficient: Any = "1",
    tier_c_coefficient: Any = "1",
    subsidy_basis: str = SubsidyBasis.PERSONS,
    bands: Sequence[tuple[Any, Any]],
) -> PriceRules:
    """Set the project's prices and over-area bands (replacing the bands), then recompute
    every draft statement of the project. Approved (frozen) statements keep their numbers.

    `bands`: [(up_to ㎡ or None, price)], in order; see `calculation.band_problems`."""
    require_permission(actor, "settlement.change_pricerules")
    require_project_access(actor, project)
    given = {
        "base_price": base_price,
        "unused_area_price": unused_area_price,
        "demolition_price": demolition_price,
        "monetised_price": monetised_price,
        "subsidy_rate": subsidy_rate,
    }
    coefficients = {
        "tier_a_coefficient": tier_a_coefficient,
        "tier_b_coefficient": tier_b_coefficient,
        "tier_c_coefficient": tier_c_coefficient,
    }
    values: dict[str, Any] = {}
    errors: list[dict] = []
    for name, value in given.items():
        values[name], problems = _decimal(value, name, PRICE_FIELDS[name])
        errors += problems
    for name, value in coefficients.items():
        values[name], problems = _decimal(
            value, name, COEFFICIENT_FIELDS[name], places=COEFFICIENT_PLACES, positive=True
        )
        errors += problems
    if subsidy_basis not in SubsidyBasis.values:
        errors.append(
            field_error("subsidy_basis", _("过渡费计算方式只能是按安置人口或按被拆迁面积"))
        )
    made_bands: list[BandInput] = []
    for number, band in enumerate(bands, start=1):
        try:
            up_to, price = band
        except (TypeError, ValueError):
            errors.append(field_error(f"bands[{number}]", _("第%(n)d档的格式有误") % {"n": number}))
            continue
        label = _("第%(n)d档") % {"n": number}
        parsed_up_to = None
        if up_to not in (None, ""):
            parsed_up_to, problems = _decimal(
                up_to, f"bands[{number}].up_to", label + _("上限"), positive=True
            )
            errors += problems
        parsed_price, problems = _decimal(price, f"bands[{number}].price", label + _("价格"))
        errors += problems
        made_bands.append(BandInput(parsed_up_to, parsed_price or Decimal("0")))
    if not errors:
        errors += [field_error(f, m) for f, m in calculation.band_problems(made_bands)]
    if errors:
        raise invalid_input(errors, "bad_price_rules")

    rules, _created = PriceRules.objects.select_for_update().update_or_create(
        project=project, defaults={**values, "subsidy_basis": subsidy_basis, "updated_by": actor}
    )
    OverAreaBand.objects.filter(project=project).delete()
    OverAreaBand.objects.bulk_create(
        OverAreaBand(project=project, position=number, up_to=band.up_to, price=band.price)
        for number, band in enumerate(made_bands, start=1)
    )
    drafts = Household.objects.filter(
        statement__project=project, statement__status=StatementStatus.DRAFT
    )
    for household in drafts:
        statement_refresh(household)
    audit_record(
        actor=actor,
        action="price_rules.set",
        obj=rules,
        payload={
            "project": project.code,
            **values,
            "subsidy_basis": subsidy_basis,
            "bands": [[band.up_to, band.price] for band in made_bands],
            "drafts_recomputed": len(drafts),
        },
    )
    return rules


# -- transitions, adjustments, the outcome -------------------------------------------------------


def _approved(household: Household) -> None:
    if household.status != HouseholdStatus.APPROVED:
        raise RuleViolation(
            "household_not_approved",
            _("户 %(h)s 尚未审批通过,不能办理结算。") % {"h": household.code},
            details=[field_error("household", _("安置户尚未审批通过"))],
        )


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
        outcome == Outcome.MONETISED
        and Allocation.objects.filter(household=household, binding=True).exists()
    ):
        raise RuleViolation(
            "has_allocation",
            _("户 %(h)s 已分得安置房,不能改为货币化安置。") % {"h": household.code},
            details=[field_error("outcome", _("已分得安置房"), "has_allocation")],
        )
    return _compute(household, actor=actor, outcome=outcome, chosen_by=actor)


# -- the statement -----------------------------------------------------------------------------


def price_inputs(project: Project) -> calculation.Prices:
    rules = PriceRules.objects.filter(project=project).first()
    if rules is None:
        raise RuleViolation(
            "no_price_rules",
            _("项目 %(p)s 尚未设置结算价格。") % {"p": project},
            details=[field_error("price_rules", _("项目尚未设置结算价格"), "missing")],
        )
    return calculation.Prices(
        base_price=rules.base_price,
        unused_area_price=rules.unused_area_price,
        demolition_price=rules.demolition_price,
        monetised_price=rules.monetised_price,
        tier_coefficients={
            "A": rules.tier_a_coefficient,
            "B": rules.tier_b_coefficient,
            "C": rules.tier_c_coefficient,
        },
        subsidy_basis=rules.subsidy_basis,
        subsidy_rate=rules.subsidy_rate,
        bands=tuple(
            BandInput(b.up_to, b.price)
            for b in OverAreaBand.objects.filter(project=project).order_by("position")
        ),
    )


def statement_inputs(
    household: Household, *, today: dt.date, outcome: str | None = None
) -> StatementInputs:
    """Everything the household's statement is computed from, read from the database.
    The subsidy ends on the handover day when the keys were handed over, else on `today`."""
    if outcome is None:
        current = Statement.objects.filter(household=household).values_list("outcome", flat=True)
        outcome = current.first() or Outcome.APARTMENT
    if household.entitlement_area is None:
        raise RuleViolation(
            "no_entitlement",
            _("户 %(h)s 尚未核定应安置面积。") % {"h": household.code},
            details=[field_error("entitlement_area", _("尚未核定应安置面积"), "missing")],
        )
    prices = price_inputs(household.project)
    apartments = ()
    if outcome == Outcome.APARTMENT:
        apartments = tuple(
            calculation.ApartmentInput(
                code=a.apartment.code,
                area=a.apartment.area,
                tier=a.apartment.tier or "",
                type=a.apartment.apartment_type.code,
            )
            for a in binding_allocations(household)
        )
        if not apartments:
            raise RuleViolation(
                "no_allocation",
                _("户 %(h)s 还没有分得安置房(摇号结果未签署),不能按实物安置结算。")
                % {"h": household.code},
                details=[field_error("outcome", _("尚未分得安置房"), "no_allocation")],
            )
    transition = Transition.objects.filter(household=household).first()
    handover = Handover.objects.filter(household=household).only("handed_over_on").first()
    return StatementInputs(
        entitlement_area=household.entitlement_area,
        population=household.resettlement_population or 0,
        demolished_area=household.demolished_area,
        outcome=outcome,
        prices=prices,
        apartments=apartments,
        moved_out_on=transition.moved_out_on if transition else None,
        subsidy_until=handover.handed_over_on if handover else today,
        adjustments=tuple(
            calculation.AdjustmentInput(a.kind, a.amount, a.reason)
            for a in Adjustment.objects.filter(household=household).order_by("created_at", "pk")
        ),
    )


def _lines(inputs: StatementInputs) -> list[LineSpec]:
    try:
        return calculation.statement_lines(inputs)
    except calculation.MissingPrice as missing:
        raise RuleViolation(
            "missing_price", str(missing), details=[field_error(missing.field, str(missing))]
        ) from missing


def statement_lines(household: Household, *, today: dt.date) -> list[LineSpec]:
    """The household's statement lines as they would be computed on `today` (no writes)."""
    return _lines(statement_inputs(household, today=today))


def _stored(statement: Statement) -> list[tuple]:
    return [
        (line.side, line.rule, line.label, line.inputs, line.amount)
        for line in statement.lines.order_by("position")
    ]


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
        unchanged = (
            statement.outcome == outcome
            and statement.inputs == record
            and statement.income_total == sums.income
            and statement.expenditure_total == sums.expenditure
            and _stored(statement) == [(s.side, s.rule, s.label, s.inputs, s.amount) for s in lines]
        )
        if unchanged:
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
    """Create the household's statement, or recompute it while it is a draft. Refused
    (`statement_frozen`) once the approval chain has started."""
    require_permission(actor, "settlement.compute_statement")
    _approved(household)
    return _compute(household, actor=actor)


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
