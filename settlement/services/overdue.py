"""An overdue household's switch to cash (超期改货币补偿, e.g. Zhejiang 2020 Art. 26).

A household still waiting past its promised return date, in a project whose transition policy
allows it (`TransitionPolicy.overdue_cash_option`), may give up its resettlement apartment for
monetised compensation. That changes the outcome of its settlement, so it goes through change
control: a leader decides (`settlement.add_overduecashswitch`), with a written reason, and the
decision is audited. The household's statement — whatever its state — gets the monetised
outcome as a new version, valued on the policy's day (`cash_valuation_day`: the switch day or
the promised day, recorded in the statement's inputs as `cash_valued_on`), with the relocation
subsidy ending on the switch day, and goes (back) through the approval chain from its first
step:

- no statement yet (an overdue household often has no apartment to settle against): a
  monetised draft is computed;
- a draft, or one in the approval chain or approved: reopened to draft, a new round
  (`services.statements.statement_reopen`, as for changed facts);
- settled: a correction after settlement is opened with the same reason
  (`services.corrections.correction_open`), then the statement is reopened; the new version
  nets off what was paid.

A household that has drawn apartments (binding allocations of a signed lottery) but has no
keys gives them up: their codes are kept on the switch (`given_up_apartments`) and in the
audit entry, the monetised statement no longer counts them, and no keys are handed over for
them (`settlement.gates.handover_ready`). Nothing in the system releases one household's
apartments in the lottery's records (the lottery voids only a whole session, before sign-off),
so until the lottery office does, the housing stock still shows them as drawn by the household;
the household's settlement page names them as given up. A household with keys is not overdue
and is refused; so is one already monetised (房票) — it is not waiting for an apartment.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household
from lottery.selectors.sign_off import binding_allocations
from resettlement import periods
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission
from settlement import gates
from settlement.models import Outcome, OverdueCashSwitch, Statement, StatementStatus
from settlement.selectors.overdue import OverdueRights, overdue_rights
from settlement.selectors.statements import _lines, statement_inputs
from settlement.services.corrections import correction_open
from settlement.services.statements import _compute, statement_reopen

REASON_MAX = 2000


def switch_refusal(rights: OverdueRights, household: Household) -> RuleViolation | None:
    """Why the household may not switch to cash now (by its rights), or None."""
    code = household.code
    if rights.switch is not None:
        return RuleViolation(
            "already_switched",
            _("户 %(h)s 已于 %(d)s 改为货币补偿。") % {"h": code, "d": rights.switch.switched_on},
        )
    if rights.policy is None or not rights.cash_option:
        return RuleViolation(
            "cash_option_not_allowed",
            _("项目的过渡安置政策不允许超期户改为货币补偿(户 %(h)s)。") % {"h": code},
            details=[field_error("household", _("政策不允许超期改货币补偿"), "not_allowed")],
        )
    if rights.monetised:
        return RuleViolation(
            "already_monetised",
            _("户 %(h)s 已是货币化安置,无需改货币补偿。") % {"h": code},
            details=[field_error("household", _("已是货币化安置"), "already_monetised")],
        )
    if not rights.overdue:
        return RuleViolation(
            "not_overdue",
            _("户 %(h)s 未超过承诺回迁日期或已交房,不能超期改货币补偿。") % {"h": code},
            details=[field_error("household", _("未超期"), "not_overdue")],
        )
    return None


@transaction.atomic
def switch_to_cash(*, actor, household: Household, reason: str) -> Statement:
    """Switch an overdue household to monetised compensation (a leader, with a reason): the
    statement gets the monetised outcome as a new version valued on the policy's day and
    re-enters the approval chain. Returns the statement."""
    require_permission(actor, "settlement.add_overduecashswitch")
    require_project_access(actor, household.project)
    household = Household.objects.select_for_update().get(pk=household.pk)
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input(
            [field_error("reason", _("请填写改货币补偿的原因"), "required")], "reason_required"
        )
    if len(reason) > REASON_MAX:
        raise invalid_input(
            [field_error("reason", _("原因最多%(n)d字") % {"n": REASON_MAX}, "too_long")]
        )
    today = periods.today()
    rights = overdue_rights(household, today=today)
    refusal = switch_refusal(rights, household)
    if refusal is not None:
        raise refusal
    gates.household_approved(household, doing=_("改货币补偿"))
    statement = Statement.objects.select_for_update().filter(household=household).first()
    given_up = [a.apartment.code for a in binding_allocations(household)]
    before = (
        {"status": statement.status, "version": statement.version, "outcome": statement.outcome}
        if statement is not None
        else None
    )
    switch = OverdueCashSwitch.objects.create(
        household=household,
        promised_on=rights.promised_on,
        switched_on=today,
        valued_on=rights.valuation_day(today),
        valuation_day=rights.policy.cash_valuation_day,
        reason=reason,
        given_up_apartments=given_up,
        switched_by=actor,
    )
    # Everything the monetised statement needs (entitlement, prices) is there, or the
    # refusal names what is missing — before anything is reopened.
    _lines(statement_inputs(household, today=today, outcome=Outcome.MONETISED))
    if statement is None:
        statement = _compute(household, actor=actor, outcome=Outcome.MONETISED, chosen_by=actor)
    else:
        if statement.status == StatementStatus.SETTLED and gates.open_correction(household) is None:
            correction_open(actor=actor, household=household, reason=reason)
        statement = statement_reopen(
            household=household,
            actor=actor,
            fields=["outcome"],
            reason=reason,
            outcome=Outcome.MONETISED,
            chosen_by=actor,
        )
    audit_record(
        actor=actor,
        action="overdue.cash_switch",
        obj=switch,
        payload={
            "household": household.code,
            "statement_id": statement.pk,
            "reason": reason,
            "promised_on": switch.promised_on,
            "switched_on": switch.switched_on,
            "valued_on": switch.valued_on,
            "valuation_day": switch.valuation_day,
            "months_overdue": rights.months_overdue,
            "given_up_apartments": given_up,
            "before": before,
            "version": statement.version,
            "round": statement.approval_round,
            "status": statement.status,
            "net": statement.net,
        },
    )
    return statement
