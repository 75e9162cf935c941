"""The money side of settlement: the fund-approval chain and payments.

The fund-approval chain (资金审批) is a project's ordered list of steps (`ApprovalStep`), each
taken by a user holding the step's role, and applying to all statements or only to those
paying or collecting — `ApprovalStep.applies_to`, by what remains (`statement_direction`: the
net less what was paid before the round; a corrected version that gives less than was paid
collects the difference back). By default it is the
seven steps of seed 003 for a payment; a collection takes the first five and "确认收款入账"
(`DEFAULT_CHAIN`). A statement goes through the steps that apply to it, in order; nobody
takes two steps on the same statement (separation of duties, backed by the
`statement_approval_actor_once` constraint). The first step freezes the statement (draft →
approving: `statement_compute` refuses from then on); the last approves it (→ approved). A
statement whose net is zero is settled when approved.

While a statement is in the chain, whoever may take the step it waits for may instead send it
back (退回) to draft with a written reason (`statement_send_back`): the approvals given so far
stay on record as an earlier round, the draft is recomputed and can be corrected, and the
chain starts again from step 1 in the next round (its first step freezes the statement again).
Separation of duties holds within a round.

Payments (收付款) are recorded against an approved statement only, in the direction the net
says (positive: paid to the household; negative: collected from it), never beyond what was
approved. Collect first, pay later (seed 000): no household of a villager group is paid while
any approved household of that group still owes money or has no approved statement yet. Each
payment carries an idempotency key: a repeated (or concurrent) request with the same key and
the same data returns the first payment, never a second one. The statement row is locked while
a payment is checked and written, so concurrent payments with different keys cannot together
exceed the approved amount. A statement is settled when it is fully paid or collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from households.access import require_project_access
from households.models import Project
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.roles import ROLE_BY_CODE, require_permission
from settlement import gates
from settlement.models import (
    ApprovalStep,
    PaymentDirection,
    Statement,
    StatementApproval,
    StatementSendBack,
    StatementStatus,
    StepDirection,
)
from settlement.selectors.payments import APPROVED_STATES, remaining
from settlement.services.corrections import correction_close_if_settled
from settlement.services.statements import FROZEN, statement_refresh
from settlement.wording import step_label

APPROVAL_COMMENT_MAX = 2000

# -- the approval chain ---------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One step of a chain as a leader writes it: a code, a label, the role taking it and the
    statements it applies to (`StepDirection`: both, pay, collect)."""

    code: str
    label: str
    role: str
    applies_to: str = StepDirection.BOTH


# Seed 003: "补偿协议审核、分管领导预审、办公室主任审核、棚改办分管财务领导审批、县立鑫公司审批、
# 代理银行付款、补偿款拨付征迁户账户" — seven fund-approval steps for a payment. The last two
# say what happens to money paid to the household; a statement collecting from it goes through
# the first five and then a step confirming the money received instead (a collection is no
# bank payment and nothing is transferred to the household). A statement owing nothing either
# way takes the first five only. The names are saved in the system's language (the source
# text, whoever saves them) and shown translated (`settlement.wording.step_label`).
DEFAULT_CHAIN: tuple[tuple[str, str, str, str], ...] = (
    ("agreement_review", gettext_noop("补偿协议审核"), "reviewer", StepDirection.BOTH),
    ("leader_pre_review", gettext_noop("分管领导预审"), "leader", StepDirection.BOTH),
    ("office_director_review", gettext_noop("办公室主任审核"), "leader", StepDirection.BOTH),
    ("finance_leader_approval", gettext_noop("分管财务领导审批"), "finance", StepDirection.BOTH),
    ("company_approval", gettext_noop("公司审批"), "finance", StepDirection.BOTH),
    ("bank_payment", gettext_noop("代理银行付款"), "finance", StepDirection.PAY),
    (
        "transfer_to_household",
        gettext_noop("补偿款拨付至安置户账户"),
        "finance",
        StepDirection.PAY,
    ),
    ("collection_receipt", gettext_noop("确认收款入账"), "finance", StepDirection.COLLECT),
)

# Statements in these states are in the chain (or through it): the chain no longer changes.
IN_CHAIN = FROZEN


def approval_chain(project: Project) -> list[ApprovalStep]:
    """The project's chain in order: its saved steps, or the seven default steps (unsaved)
    while it has none. Reading never writes; `approval_chain_fix` saves the defaults."""
    steps = list(ApprovalStep.objects.filter(project=project).order_by("position"))
    if steps:
        return steps
    return [
        ApprovalStep(
            project=project,
            position=i,
            code=code,
            label=label,
            role=role,
            applies_to=applies_to,
        )
        for i, (code, label, role, applies_to) in enumerate(DEFAULT_CHAIN, start=1)
    ]


def statement_direction(statement: Statement) -> str:
    """Which way the money goes that the round of the chain approves: pay (> 0), collect
    (< 0) or "" (nothing owed either way), by what remains — the net less what was paid
    (+) or collected (−) before the round, as `payments.payment_record` will see it. A first
    version has no payments: the net's sign. A corrected version (a new version after
    settlement) nets off what was paid on the settled one: when it gives less than was
    paid, the difference is collected back and the round goes through the collection steps,
    whatever the sign of its net. Payments recorded once the round approved the statement
    do not move its chain. Prefetched payments are used."""
    approved_at = statement.approved_at if statement.status in APPROVED_STATES else None
    paid = sum(
        (
            -p.amount if p.direction == PaymentDirection.COLLECT else p.amount
            for p in statement.payments.all()
            if approved_at is None or p.recorded_at < approved_at
        ),
        Decimal("0.00"),
    )
    owed = statement.net - paid
    if owed > 0:
        return StepDirection.PAY
    if owed < 0:
        return StepDirection.COLLECT
    return ""


def step_applies(step: ApprovalStep, statement: Statement, *, way: str | None = None) -> bool:
    """Whether the statement goes through the step: a step for all statements always, a
    pay or collect step when the statement's money goes that way (`way`, the
    `statement_direction` when the caller has it)."""
    applies_to = step.applies_to or StepDirection.BOTH
    if applies_to == StepDirection.BOTH:
        return True
    return applies_to == (statement_direction(statement) if way is None else way)


def statement_chain(statement: Statement) -> list[ApprovalStep]:
    """The steps of its project's chain the statement goes through, in order (its direction
    worked out once, not once a step)."""
    way = statement_direction(statement)
    return [s for s in approval_chain(statement.project) if step_applies(s, statement, way=way)]


def approval_chain_fix(project: Project) -> None:
    """Save the default chain for a project that has none, so that a statement's approvals
    follow the steps as they were when its first step was taken (a later change of the
    defaults in the code does not move a chain in progress). Called by the first approval."""
    if ApprovalStep.objects.filter(project=project).exists():
        return
    # Two first approvals at once: the position constraint lets only one set be written.
    try:
        with transaction.atomic():
            ApprovalStep.objects.bulk_create(approval_chain(project))
    except IntegrityError:
        pass


def chain_locked(project: Project) -> bool:
    """Whether a statement of the project has entered the chain (it can then not change)."""
    return (
        Statement.objects.filter(project=project, status__in=IN_CHAIN).exists()
        or StatementApproval.objects.filter(statement__project=project).exists()
    )


@transaction.atomic
def approval_chain_set(*, actor, project: Project, steps: Sequence[StepSpec]) -> list[ApprovalStep]:
    """Replace the project's chain: reorder, relabel, change roles, add or drop steps.

    Refused once any statement of the project is in the chain (its record names the steps
    it went through; changing them midway would make the record lie).
    """
    require_permission(actor, "settlement.change_approvalstep")
    require_project_access(actor, project)
    Project.objects.select_for_update().get(pk=project.pk)
    if chain_locked(project):
        raise RuleViolation(
            "chain_in_use",
            _("本项目已有结算单进入审批流程,审批步骤不能再修改。"),
        )
    problems = []
    if not steps:
        problems.append(_("审批流程至少要有一个步骤。"))
    seen: set[str] = set()
    for index, step in enumerate(steps, start=1):
        code, label, role = step.code.strip(), step.label.strip(), step.role.strip()
        if step.applies_to not in StepDirection.values:
            problems.append(
                _("第 %(n)d 步的适用结算单“%(a)s”不存在。") % {"n": index, "a": step.applies_to}
            )
        if not code:
            problems.append(_("第 %(n)d 步缺少步骤编号。") % {"n": index})
        elif code in seen:
            problems.append(_("步骤编号“%(c)s”重复。") % {"c": code})
        seen.add(code)
        if not label:
            problems.append(_("第 %(n)d 步缺少步骤名称。") % {"n": index})
        if role not in ROLE_BY_CODE:
            problems.append(_("第 %(n)d 步的角色“%(r)s”不存在。") % {"n": index, "r": role})
        elif not _role_may_approve(role):
            problems.append(
                _("第 %(n)d 步的角色“%(r)s”没有审批结算单的权限。")
                % {"n": index, "r": ROLE_BY_CODE[role].label}
            )
    if problems:
        raise invalid_input([field_error("steps", p) for p in problems])
    ApprovalStep.objects.filter(project=project).delete()
    chain = ApprovalStep.objects.bulk_create(
        ApprovalStep(
            project=project,
            position=i,
            code=step.code.strip(),
            label=step.label.strip(),
            role=step.role.strip(),
            applies_to=step.applies_to,
        )
        for i, step in enumerate(steps, start=1)
    )
    audit_record(
        actor=actor,
        action="approval_chain.set",
        obj=project,
        payload={
            "project": project.code,
            "steps": [[step.code, step.label, step.role, step.applies_to] for step in chain],
        },
    )
    return chain


def _role_may_approve(role: str) -> bool:
    return "settlement.approve_statement" in ROLE_BY_CODE[role].permissions


def holds_role(user, role: str) -> bool:
    """Roles are groups (resettlement.roles)."""
    return bool(user and user.is_authenticated) and user.groups.filter(name=role).exists()


def next_step(statement: Statement) -> ApprovalStep | None:
    """The step the statement waits for, or None once through the chain (or settled): the
    first step of `statement_chain` (the steps that apply to its direction) not taken in the
    current round."""
    if statement.status not in (StatementStatus.DRAFT, StatementStatus.APPROVING):
        return None
    taken = set(
        statement.approvals.filter(round=statement.approval_round).values_list(
            "position", flat=True
        )
    )
    return next((s for s in statement_chain(statement) if s.position not in taken), None)


def approval_refusal(
    actor, statement: Statement, step: ApprovalStep | None, *, gated: bool = True
) -> RuleViolation | None:
    """Why `actor` may not take `step` on `statement` now, or None when they may. With
    `gated` (approving, not sending back) the settlement gate too: the household still
    approved and the statement current (`settlement.gates.approvable`)."""
    if step is None:
        return RuleViolation(
            "not_approvable",
            _("结算单“%(s)s”当前状态为“%(status)s”,没有待审批的步骤。")
            % {"s": statement, "status": statement.get_status_display()},
        )
    try:
        require_permission(actor, "settlement.approve_statement")
    except NotAllowed as exc:
        return exc
    if not holds_role(actor, step.role):
        role = ROLE_BY_CODE.get(step.role)
        return NotAllowed(
            "wrong_role",
            _("“%(step)s”须由%(role)s审批,您不是%(role)s。")
            % {"step": step_label(step.label), "role": role.label if role else step.role},
        )
    earlier = statement.approvals.filter(round=statement.approval_round, actor=actor).first()
    if earlier is not None:
        return NotAllowed(
            "separation_of_duties",
            _("您已审批过本结算单的“%(step)s”,同一人不能审批两个步骤。")
            % {"step": step_label(earlier.label)},
        )
    if gated:
        try:
            gates.approvable(statement)
        except RuleViolation as exc:
            return exc
    return None


def step_changed_refusal(
    statement: Statement, step: ApprovalStep | None, expected_position: int
) -> RuleViolation | None:
    """Why an approval of step `expected_position` (the step the approver saw as next) may
    not be taken now because the chain has moved on (or is not there yet), or None. A
    statement waiting for no step at all is `approval_refusal`'s to explain."""
    if step is None or step.position == expected_position:
        return None
    message = _(
        "您审批的是第 %(e)s 步,但结算单“%(s)s”现在等待第 %(p)d 步“%(label)s”:"
        "审批已有变化,本次未作任何审批。请刷新页面核对后再审批。"
    ) % {
        "e": expected_position,
        "s": statement,
        "p": step.position,
        "label": step_label(step.label),
    }
    return RuleViolation(
        "approval_step_changed",
        message,
        details=[field_error("expected_position", message, "stale")],
    )


@transaction.atomic
def statement_approve(
    *, actor, statement: Statement, expected_position: int, comment: str = ""
) -> StatementApproval:
    """Take the next step of the chain on `statement`.

    `expected_position` is the position of the step the approver saw as next: when someone
    else took that step meanwhile (two leaders clicking at once), the request is refused
    (code `approval_step_changed`) instead of taking the step after it, which the approver
    never saw. The actor must hold `settlement.approve_statement` and the step's role, and
    must not have taken another step on this statement; the comment is at most
    `APPROVAL_COMMENT_MAX` characters. Every step passes the settlement gate
    (`settlement.gates.approvable`: the household still approved, the statement what its
    inputs give now — a stale draft is refused, never recomputed behind the approver's
    back). The first step freezes the draft (→ approving); the last approves it (→ approved,
    or settled when nothing remains owed either way), closing an open correction.
    """
    require_permission(actor, "settlement.approve_statement")
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    approval_chain_fix(statement.project)
    step = next_step(statement)
    # Read under the row lock: of two approvers of one step, the second sees it taken.
    refusal = step_changed_refusal(statement, step, expected_position)
    if refusal is None:
        refusal = approval_refusal(actor, statement, step)
    if refusal is not None:
        raise refusal
    assert step is not None
    comment = (comment or "").strip()
    if len(comment) > APPROVAL_COMMENT_MAX:
        raise invalid_input([field_error("comment", _("审批意见过长。"), "too_long")])
    if statement.status == StatementStatus.DRAFT:
        # The gate (approval_refusal) found the draft current: it is frozen as it is.
        statement.status = StatementStatus.APPROVING
        statement.save(update_fields=["status"])
    try:
        with transaction.atomic():
            approval = StatementApproval.objects.create(
                statement=statement,
                round=statement.approval_round,
                position=step.position,
                code=step.code,
                label=step.label,
                actor=actor,
                comment=comment,
            )
    except IntegrityError as exc:
        # The row lock makes this unreachable in practice; the constraints are the backstop.
        raise NotAllowed(
            "separation_of_duties",
            _("该步骤已被审批,或您已审批过本结算单的其他步骤。"),
        ) from exc
    if next_step(statement) is None:
        now = timezone.now()
        statement.status = StatementStatus.APPROVED
        statement.approved_at = now
        fields = ["status", "approved_at"]
        # Nothing owed either way (a corrected version: nothing beyond what was paid).
        if remaining(statement) == 0:
            statement.status = StatementStatus.SETTLED
            statement.settled_at = now
            fields.append("settled_at")
        statement.save(update_fields=fields)
        if statement.status == StatementStatus.SETTLED:
            correction_close_if_settled(statement, actor=actor)
    audit_record(
        actor=actor,
        action="statement.approve",
        obj=statement,
        payload=_approval_facts(statement, approval),
    )
    return approval


def _approval_facts(statement: Statement, approval: StatementApproval) -> dict:
    return {
        "statement_id": statement.pk,
        "household": statement.household.code,
        "round": approval.round,
        "step": approval.position,
        "step_code": approval.code,
        "step_label": approval.label,
        "comment": approval.comment,
        "net": statement.net,
        "status": statement.status,
    }


SEND_BACK_REASON_MAX = 2000


def send_back_refusal(
    actor, statement: Statement, step: ApprovalStep | None
) -> RuleViolation | None:
    """Why `actor` may not send `statement` back now, or None when they may: it must be in
    the chain (approving) and `actor` must be someone who may take `step`, the step it waits
    for."""
    try:
        require_permission(actor, "settlement.approve_statement")
    except NotAllowed as exc:
        return exc
    if statement.status != StatementStatus.APPROVING or step is None:
        return RuleViolation(
            "not_in_chain",
            _("结算单“%(s)s”当前状态为“%(status)s”,不在审批中,不能退回。")
            % {"s": statement, "status": statement.get_status_display()},
        )
    return approval_refusal(actor, statement, step, gated=False)


@transaction.atomic
def statement_send_back(*, actor, statement: Statement, reason: str) -> StatementSendBack:
    """Send `statement` back from the approval chain to draft, with a written reason.

    Only while it is approving, and only by someone who may take the step it waits for (the
    same role and separation-of-duties rules as `statement_approve`). The approvals of the
    round stay on record; the statement becomes a draft of the next round, is recomputed
    from the inputs as they are now, and the chain starts again from step 1.
    """
    statement = (
        Statement.objects.select_for_update().select_related("household").get(pk=statement.pk)
    )
    step = next_step(statement)
    refusal = send_back_refusal(actor, statement, step)
    if refusal is not None:
        raise refusal
    assert step is not None
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input(
            [field_error("reason", _("请填写退回原因"), "required")], "send_back_reason_required"
        )
    if len(reason) > SEND_BACK_REASON_MAX:
        raise invalid_input(
            [
                field_error(
                    "reason", _("退回原因最多%(n)d字") % {"n": SEND_BACK_REASON_MAX}, "too_long"
                )
            ]
        )
    send_back = StatementSendBack.objects.create(
        statement=statement,
        round=statement.approval_round,
        position=step.position,
        label=step.label,
        actor=actor,
        reason=reason,
    )
    statement.status = StatementStatus.DRAFT
    statement.approval_round += 1
    statement.save(update_fields=["status", "approval_round"])
    statement_refresh(statement.household)
    audit_record(
        actor=actor,
        action="statement.send_back",
        obj=statement,
        payload={
            "statement_id": statement.pk,
            "household": statement.household.code,
            "round": send_back.round,
            "step": send_back.position,
            "step_label": send_back.label,
            "reason": reason,
        },
    )
    return send_back
