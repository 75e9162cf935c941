"""Reading statements: what a household's statement is computed from (`statement_inputs`,
no writes) and its lines (`_lines`, for `services.statements`), whether a stored draft is
still current, and a statement with what its page and the API show."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from households.models import Household, Project
from lottery.selectors.sign_off import binding_allocations
from resettlement.errors import RuleViolation, field_error
from settlement import calculation
from settlement.calculation import BandInput, LineSpec, StatementInputs
from settlement.models import (
    Adjustment,
    Handover,
    Outcome,
    OverAreaBand,
    OverdueCashSwitch,
    Payment,
    PriceRules,
    Statement,
    StatementApproval,
    StatementLine,
    StatementSendBack,
    StatementStatus,
    Transition,
    TransitionPolicy,
)
from settlement.selectors.subsidy_runs import paid_months

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
    The subsidy ends on the handover day when the keys were handed over, else on `today`.
    Whether a statement may be computed at all (approved, an allocation or monetised) is
    `settlement.gates.computable`'s to say."""
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
    transition = Transition.objects.filter(household=household).first()
    handover = Handover.objects.filter(household=household).only("handed_over_on").first()
    subsidy_until = handover.handed_over_on if handover else today
    # An overdue household switched to cash: valued on the policy's day, its wait (and the
    # relocation subsidy) ended on the switch day (settlement.services.overdue).
    switch = OverdueCashSwitch.objects.filter(household=household).first()
    cash = switch if switch is not None and outcome == Outcome.MONETISED else None
    if cash is not None and handover is None:
        subsidy_until = min(today, cash.switched_on)
    policy = TransitionPolicy.objects.filter(project_id=household.project_id).first()
    overdue_from = None
    if transition is not None and policy is not None:
        overdue_from = calculation.promised_return(
            transition.moved_out_on, transition.promised_by, policy.transition_months
        )
    return StatementInputs(
        entitlement_area=household.entitlement_area,
        population=household.resettlement_population or 0,
        demolished_area=household.demolished_area,
        outcome=outcome,
        prices=prices,
        apartments=apartments,
        moved_out_on=transition.moved_out_on if transition else None,
        subsidy_until=subsidy_until,
        paid_months=tuple(paid_months([household.pk]).get(household.pk, ())),
        overdue_from=overdue_from,
        overdue_multiplier=policy.overdue_multiplier if policy is not None else calculation.ONE,
        adjustments=tuple(
            calculation.AdjustmentInput(a.kind, a.amount, a.reason)
            for a in Adjustment.objects.filter(household=household).order_by("created_at", "pk")
        ),
        cash_valued_on=cash.valued_on if cash is not None else None,
        cash_valuation_day=cash.valuation_day if cash is not None else "",
    )


def _lines(inputs: StatementInputs) -> list[LineSpec]:
    try:
        return calculation.statement_lines(inputs)
    except calculation.MissingPrice as missing:
        raise RuleViolation(
            "missing_price", str(missing), details=[field_error(missing.field, str(missing))]
        ) from missing


def _stored(statement: Statement) -> list[tuple]:
    return [
        (line.side, line.rule, line.label, line.inputs, line.amount)
        for line in statement.lines.order_by("position")
    ]


def matches(
    statement: Statement, *, outcome: str, inputs: StatementInputs, lines: list[LineSpec]
) -> bool:
    """Whether the stored statement is exactly what `inputs` and `lines` give: the one test
    behind "nothing changed, no new version" (services) and "the draft is current" (pages)."""
    sums = calculation.totals(lines)
    return (
        statement.outcome == outcome
        and statement.inputs == inputs.as_record()
        and statement.income_total == sums.income
        and statement.expenditure_total == sums.expenditure
        and _stored(statement) == [(s.side, s.rule, s.label, s.inputs, s.amount) for s in lines]
    )


def statement_is_current(statement: Statement, *, today: dt.date) -> bool:
    """Whether the stored statement is what its inputs give on `today` (no writes): the
    same comparison `services.statements` makes before it counts a new version. Only a draft
    can fall behind (a frozen one keeps its numbers). A draft whose inputs are incomplete now
    (no prices, no allocation …) is not current: recomputing it names what is missing.

    Inputs changed through settlement's services recompute the draft at once; this catches
    what changes elsewhere — a lottery signed, the registry's areas or population, a month
    of relocation subsidy passing, a subsidy run paying (or failing to pay) a month — which
    the statement's page offers to recompute."""
    if statement.status != StatementStatus.DRAFT:
        return True
    try:
        inputs = statement_inputs(statement.household, today=today, outcome=statement.outcome)
        lines = _lines(inputs)
    except RuleViolation:
        return False
    return matches(statement, outcome=statement.outcome, inputs=inputs, lines=lines)


def with_detail(statements: QuerySet[Statement]) -> QuerySet[Statement]:
    """The statements with what a statement's page and the API's detail show: household,
    group, project, lines, approvals (every round), send-backs, payments."""
    return statements.select_related("household", "household__group", "project").prefetch_related(
        Prefetch("lines", queryset=StatementLine.objects.order_by("position")),
        Prefetch(
            "approvals",
            queryset=StatementApproval.objects.select_related("actor").order_by(
                "round", "position"
            ),
        ),
        Prefetch(
            "send_backs",
            queryset=StatementSendBack.objects.select_related("actor").order_by("round"),
        ),
        Prefetch(
            "payments",
            queryset=Payment.objects.select_related("recorded_by").order_by("recorded_at"),
        ),
    )


def statement_detail(pk: int) -> Statement:
    """A statement with what its page and the API show (`with_detail`)."""
    return with_detail(Statement.objects.all()).get(pk=pk)


def statement_list() -> QuerySet[Statement]:
    return Statement.objects.select_related("household", "household__group", "project").order_by(
        "project__code", "household__code"
    )
