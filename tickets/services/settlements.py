"""Developers' settlement (开发企业结算, docs/tickets.md): the purchases a developer redeemed
with a project's tickets and not yet settled, gathered into one batch that goes through the
project's fund-approval chain — the steps that apply to paying (`settlement.services.
approvals.approval_chain`, `step_applies` with the pay direction: the collection step is no
step of a payment) — one person a step, each holding the step's role. Once approved, the
batch is paid to the developer's bank account (the bank file: `tickets.views`)."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Project
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error
from resettlement.roles import ROLE_BY_CODE, require_permission
from settlement.models import ApprovalStep, PaymentDirection
from settlement.services.approvals import (
    approval_chain,
    approval_chain_fix,
    holds_role,
    step_applies,
)
from settlement.wording import step_label
from tickets.models import (
    Developer,
    DeveloperSettlement,
    DeveloperSettlementApproval,
    DeveloperSettlementStatus,
    TicketPurchase,
)

COMMENT_MAX = 500


def settlement_chain(project: Project) -> list[ApprovalStep]:
    """The steps of the project's chain a payment to a developer goes through, in order."""
    return [
        step
        for step in approval_chain(project)
        if step_applies(step, None, way=PaymentDirection.PAY)  # type: ignore[arg-type]
    ]


def settlement_next_step(settlement: DeveloperSettlement) -> ApprovalStep | None:
    """The step the batch waits for, or None once approved."""
    if settlement.status != DeveloperSettlementStatus.APPROVING:
        return None
    taken = set(settlement.approvals.values_list("position", flat=True))
    return next((s for s in settlement_chain(settlement.project) if s.position not in taken), None)


def unsettled_purchases(project: Project, developer: Developer):
    return TicketPurchase.objects.filter(
        ticket__project=project, developer=developer, settlement__isnull=True
    )


def developer_settlement_open(
    *, actor, project: Project, developer: Developer
) -> DeveloperSettlement:
    """Gather the developer's purchases in the project not yet settled into a new batch that
    waits for the chain's first paying step."""
    require_permission(actor, "tickets.record_ticket_use")
    require_project_access(actor, project)
    with transaction.atomic():
        Developer.objects.select_for_update().get(pk=developer.pk)
        purchases = list(unsettled_purchases(project, developer).select_for_update())
        if not purchases:
            raise RuleViolation(
                "nothing_to_settle",
                _("开发企业“%(d)s”在本项目没有待结算的房票购房。") % {"d": developer},
            )
        approval_chain_fix(project)
        total = sum((p.amount for p in purchases), Decimal("0.00"))
        count = DeveloperSettlement.objects.filter(project=project).count()
        settlement = DeveloperSettlement.objects.create(
            number=f"KFJS-{project.code}-{count + 1:04d}",
            project=project,
            developer=developer,
            total=total,
            purchase_count=len(purchases),
            created_by=actor,
        )
        TicketPurchase.objects.filter(pk__in=[p.pk for p in purchases]).update(
            settlement=settlement
        )
        audit_record(
            actor=actor,
            action="developer_settlement.open",
            obj=settlement,
            payload={
                "number": settlement.number,
                "project": project.code,
                "developer": developer.credit_code,
                "total": total,
                "purchases": [p.contract_number for p in purchases],
            },
        )
    return settlement


def _refusal(actor, settlement: DeveloperSettlement, step: ApprovalStep | None):
    if step is None:
        return RuleViolation(
            "not_approvable",
            _("开发企业结算 %(n)s 当前状态为“%(s)s”,没有待审批的步骤。")
            % {"n": settlement.number, "s": settlement.get_status_display()},
        )
    if not holds_role(actor, step.role):
        role = ROLE_BY_CODE.get(step.role)
        return NotAllowed(
            "wrong_role",
            _("“%(step)s”须由%(role)s审批,您不是%(role)s。")
            % {"step": step_label(step.label), "role": role.label if role else step.role},
        )
    # The leadership's steps: only a role allowed to approve developers' settlements.
    if step.role == "leader":
        try:
            require_permission(actor, "tickets.approve_developer_settlement")
        except NotAllowed as exc:
            return exc
    earlier = settlement.approvals.filter(actor=actor).first()
    if earlier is not None:
        return NotAllowed(
            "separation_of_duties",
            _("您已审批过本结算的“%(step)s”,同一人不能审批两个步骤。")
            % {"step": step_label(earlier.label)},
        )
    return None


def developer_settlement_approve(
    *, actor, settlement: DeveloperSettlement, expected_position: int, comment: str = ""
) -> DeveloperSettlementApproval:
    """Take the next paying step of the chain on the batch (`expected_position`: the step
    the approver saw, as for statements); the last step approves it."""
    require_permission(actor, "settlement.approve_statement")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise RuleViolation(
            "invalid_input",
            _("审批意见过长。"),
            details=[field_error("comment", _("审批意见过长。"))],
        )
    with transaction.atomic():
        settlement = (
            DeveloperSettlement.objects.select_for_update(of=("self",))
            .select_related("project", "developer")
            .get(pk=settlement.pk)
        )
        step = settlement_next_step(settlement)
        if step is not None and step.position != expected_position:
            raise RuleViolation(
                "approval_step_changed",
                _("开发企业结算 %(n)s 现在等待第 %(p)d 步“%(l)s”,审批已有变化,请刷新后再审批。")
                % {"n": settlement.number, "p": step.position, "l": step_label(step.label)},
            )
        require_project_access(actor, settlement.project_id)
        refusal = _refusal(actor, settlement, step)
        if refusal is not None:
            raise refusal
        try:
            with transaction.atomic():
                approval = DeveloperSettlementApproval.objects.create(
                    settlement=settlement,
                    position=step.position,
                    code=step.code,
                    label=step.label,
                    actor=actor,
                    comment=comment,
                )
        except IntegrityError as exc:
            raise NotAllowed(
                "separation_of_duties", _("该步骤已被审批,或您已审批过本结算的其他步骤。")
            ) from exc
        if settlement_next_step(settlement) is None:
            settlement.status = DeveloperSettlementStatus.APPROVED
            settlement.approved_at = timezone.now()
            settlement.save(update_fields=["status", "approved_at"])
        audit_record(
            actor=actor,
            action="developer_settlement.approve",
            obj=settlement,
            payload={
                "number": settlement.number,
                "developer": settlement.developer.credit_code,
                "total": settlement.total,
                "position": step.position,
                "code": step.code,
                "status": settlement.status,
            },
        )
    return approval


def unsettled_total(project: Project, developer: Developer) -> Decimal:
    return unsettled_purchases(project, developer).aggregate(t=Sum("amount"))["t"] or Decimal(
        "0.00"
    )
