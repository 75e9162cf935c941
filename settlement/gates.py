"""The settlement gates: what a settlement step needs from the steps before it.

Each gate is a function the services call before they write; it raises `RuleViolation`
naming the household (its code) and what is missing, and does nothing when the step may
go ahead. Reading only (no writes):

- `computable` — a statement is computed only for an approved household, and (apartments)
  only with a binding allocation from a signed lottery, or for a monetised outcome;
- `approvable` — a step of the approval chain only while the household is still approved
  and the statement is what its inputs give now (`statement_is_current`: a draft left on
  figures its inputs no longer give is recomputed by finance first, never silently by the
  approver);
- `payable` — a payment on the same two conditions;
- `handover_ready` — keys only once the statement is settled (fully paid or collected:
  status 已结清, which `payment_record` sets when nothing remains, docs/settlement.md
  "Finance totals"), and never for a household that switched to cash (it gave its
  apartments up: `services.overdue`);
- `facts_may_change` — once the statement is settled, the household's facts change only
  while a leader's correction is open (`services.corrections.correction_open`).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households.models import Household, HouseholdStatus
from lottery.selectors.sign_off import binding_allocations
from resettlement.errors import RuleViolation, field_error
from settlement.models import (
    Outcome,
    OverdueCashSwitch,
    Statement,
    StatementCorrection,
    StatementStatus,
)
from settlement.selectors.statements import statement_is_current


def household_approved(household: Household, *, doing: str) -> None:
    """The household is (still) approved; `doing` says which step needs it."""
    if household.status != HouseholdStatus.APPROVED:
        raise RuleViolation(
            "household_not_approved",
            _("户 %(h)s 当前为“%(status)s”,不是已审批的安置户,不能%(doing)s。")
            % {"h": household.code, "status": household.get_status_display(), "doing": doing},
            details=[field_error("household", _("安置户尚未审批通过"), "not_approved")],
        )


def computable(household: Household, *, outcome: str) -> None:
    """A statement is computed for an approved household with a binding allocation (apartments)
    or a monetised outcome."""
    household_approved(household, doing=_("办理结算"))
    if outcome == Outcome.APARTMENT and not binding_allocations(household).exists():
        raise RuleViolation(
            "no_allocation",
            _("户 %(h)s 还没有分得安置房(摇号结果未签署),不能按实物安置结算。")
            % {"h": household.code},
            details=[field_error("outcome", _("尚未分得安置房"), "no_allocation")],
        )


def current(statement: Statement, *, doing: str) -> None:
    """The statement is what its inputs give today (a draft: `statement_is_current`)."""
    if not statement_is_current(statement, today=timezone.localdate()):
        raise RuleViolation(
            "statement_stale",
            _(
                "户 %(h)s 的结算单(第 %(v)d 版)已不是其计算依据现在得出的结果,"
                "须由财务重新计算后才能%(doing)s。"
            )
            % {"h": statement.household.code, "v": statement.version, "doing": doing},
            details=[field_error("version", _("结算单计算依据已变化"), "stale")],
        )


def approvable(statement: Statement) -> None:
    """A step of the approval chain: the household still approved, the statement current."""
    doing = pgettext("gate", "审批结算单")
    household_approved(statement.household, doing=doing)
    current(statement, doing=doing)


def payable(statement: Statement) -> None:
    """A payment or collection: the household still approved, the statement current."""
    doing = pgettext("gate", "登记收付款")
    household_approved(statement.household, doing=doing)
    current(statement, doing=doing)


def handover_ready(household: Household) -> None:
    """Keys only after settlement: the statement fully paid or collected (已结清); none for a
    household that switched to cash (it gave its apartments up)."""
    if OverdueCashSwitch.objects.filter(household=household).exists():
        raise RuleViolation(
            "switched_to_cash",
            _("户 %(h)s 已超期改为货币补偿,放弃了安置房,不能交房。") % {"h": household.code},
            details=[field_error("household", _("已改为货币补偿"), "switched_to_cash")],
        )
    statement = Statement.objects.filter(household=household).first()
    if statement is None or statement.status != StatementStatus.SETTLED:
        status = statement.get_status_display() if statement is not None else _("尚无结算单")
        raise RuleViolation(
            "not_settled",
            _("户 %(h)s 的结算单尚未结清(当前:%(status)s),不能交房。")
            % {"h": household.code, "status": status},
            details=[field_error("statement", _("结算单尚未结清"), "not_settled")],
        )


def open_correction(household: Household) -> StatementCorrection | None:
    return StatementCorrection.objects.filter(household=household, closed_at__isnull=True).first()


def facts_may_change(household: Household) -> None:
    """A settled household's facts change only under an open correction."""
    settled = Statement.objects.filter(household=household, status=StatementStatus.SETTLED).exists()
    if settled and open_correction(household) is None:
        raise RuleViolation(
            "settled_needs_correction",
            _("户 %(h)s 已结算,须由领导开启更正(写明原因)后才能修改其信息。")
            % {"h": household.code},
            details=[field_error("household", _("已结算,须先开启更正"), "settled")],
        )
