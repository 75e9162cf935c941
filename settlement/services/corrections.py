"""Corrections after settlement (结算后更正).

Once a household's statement is settled its facts no longer change (`settlement.gates.
facts_may_change`, refused through `households.signals.facts_changing`). A leader opens a
correction with a written reason (`correction_open`); while it is open the registry may
change the household, and the change reopens the statement as a new version with its own
approval round (`services.statements.statement_reopen`). The new version is a full
statement whose totals net off what was paid: what remains is its net minus what was paid or
collected on earlier versions (`selectors.payments.remaining`), paid or collected back in its
own payments. The correction closes when that version is settled
(`correction_close_if_settled`, called by the last approval step and by the payment that
settles it), or by a leader when the change left the figures as they were
(`correction_close`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission
from settlement import gates
from settlement.models import Statement, StatementCorrection, StatementStatus
from settlement.selectors.payments import signed_paid

CORRECTION_REASON_MAX = 2000


def correction_open_refusal(
    household: Household, statement: Statement | None
) -> RuleViolation | None:
    """Why no correction may be opened on the household now (its statement not settled, or
    a correction already open), or None when a leader may open one."""
    if statement is None or statement.status != StatementStatus.SETTLED:
        return RuleViolation(
            "not_settled",
            _("户 %(h)s 的结算单尚未结清,无需开启更正:其信息按变更流程修改即可。")
            % {"h": household.code},
        )
    if gates.open_correction(household) is not None:
        return RuleViolation(
            "correction_already_open",
            _("户 %(h)s 已有一项进行中的结算后更正。") % {"h": household.code},
        )
    return None


@transaction.atomic
def correction_open(*, actor, household: Household, reason: str) -> StatementCorrection:
    """Open a correction of the household's settled statement, with a written reason (a
    leader: `settlement.open_correction`). The settled figures are kept on the correction."""
    require_permission(actor, "settlement.open_correction")
    require_project_access(actor, household.project)
    household = Household.objects.select_for_update().get(pk=household.pk)
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input(
            [field_error("reason", _("请填写更正原因"), "required")], "correction_reason_required"
        )
    if len(reason) > CORRECTION_REASON_MAX:
        raise invalid_input(
            [
                field_error(
                    "reason", _("更正原因最多%(n)d字") % {"n": CORRECTION_REASON_MAX}, "too_long"
                )
            ]
        )
    statement = Statement.objects.select_for_update().filter(household=household).first()
    refusal = correction_open_refusal(household, statement)
    if refusal is not None:
        raise refusal
    correction = StatementCorrection.objects.create(
        household=household,
        statement=statement,
        reason=reason,
        opened_by=actor,
        settled_version=statement.version,
        settled_round=statement.approval_round,
        settled_net=statement.net,
        settled_paid=signed_paid(statement),
        settled_lines=[
            {
                "side": line.side,
                "rule": line.rule,
                "label": line.label,
                "inputs": line.inputs,
                "amount": str(line.amount),
            }
            for line in statement.lines.order_by("position")
        ],
    )
    audit_record(
        actor=actor,
        action="statement_correction.open",
        obj=correction,
        payload={
            "household": household.code,
            "statement_id": statement.pk,
            "reason": reason,
            "settled_version": correction.settled_version,
            "settled_net": correction.settled_net,
            "settled_paid": correction.settled_paid,
        },
    )
    return correction


def _close(correction: StatementCorrection, statement: Statement, *, actor, changed: bool) -> None:
    correction.closed_at = timezone.now()
    correction.save(update_fields=["closed_at"])
    audit_record(
        actor=actor,
        action="statement_correction.close",
        obj=correction,
        payload={
            "household": correction.household.code,
            "statement_id": statement.pk,
            "changed": changed,
            "version": statement.version,
            "round": statement.approval_round,
            "net": statement.net,
            "paid": signed_paid(statement),
        },
    )


def correction_close_if_settled(statement: Statement, *, actor) -> StatementCorrection | None:
    """Close the household's open correction once its new version is settled (the caller
    holds the statement's lock, in a transaction)."""
    correction = gates.open_correction(statement.household)
    if (
        correction is None
        or statement.status != StatementStatus.SETTLED
        or statement.approval_round == correction.settled_round
    ):
        return None
    _close(correction, statement, actor=actor, changed=True)
    return correction


@transaction.atomic
def correction_close(*, actor, correction: StatementCorrection) -> StatementCorrection:
    """Close an open correction whose change left the settled figures as they were (a leader).
    A correction that produced a new version closes when that version is settled."""
    require_permission(actor, "settlement.open_correction")
    correction = StatementCorrection.objects.select_for_update().get(pk=correction.pk)
    require_project_access(actor, correction.household.project)
    if correction.closed_at is not None:
        raise RuleViolation(
            "correction_closed",
            _("户 %(h)s 的这项更正已关闭。") % {"h": correction.household.code},
        )
    statement = Statement.objects.select_for_update().get(pk=correction.statement_id)
    if statement.status != StatementStatus.SETTLED:
        raise RuleViolation(
            "correction_in_progress",
            _("户 %(h)s 的更正结算单(第 %(v)d 版)尚未结清,更正在其结清时自动关闭。")
            % {"h": correction.household.code, "v": statement.version},
        )
    _close(
        correction, statement, actor=actor, changed=statement.version != correction.settled_version
    )
    return correction
