"""The approval chain on a statement's page: taking the step, sending it back, and the
leaders' page for the chain itself (each posts to one service of `services.approvals`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import projects_q, visible_projects
from households.models import VillagerGroup
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from resettlement.reauth import (
    ask_to_reauthenticate,
    is_recently_authenticated,
    recent_authentication_required,
)
from settlement.forms.approvals import ApproveForm, GroupApproveForm, SendBackForm, StepFormSet
from settlement.models import Statement, StatementStatus
from settlement.services import approvals
from settlement.views._common import _visible_statement, view_statements
from settlement.views.statements import _statement, _statement_context


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:statement-detail")
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _visible_statement(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("settlement:statement-detail", pk=pk)
    try:
        approval = approvals.statement_approve(
            actor=request.user,
            statement=statement,
            expected_position=form.cleaned_data["expected_position"],
            comment=form.cleaned_data["comment"],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        statement.refresh_from_db()
        if statement.status == StatementStatus.APPROVING:
            messages.success(request, _("已完成“%(step)s”。") % {"step": approval.label})
        else:
            messages.success(
                request,
                _("已完成“%(step)s”,结算单审批完毕(%(status)s)。")
                % {"step": approval.label, "status": statement.get_status_display()},
            )
    return redirect("settlement:statement-detail", pk=pk)


@require_POST
@login_required
@view_statements
def statement_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to draft with a reason. A missing reason is shown on the reason field with the
    page, a statement no longer in the chain as a message; someone who may not take the step
    gets 403."""
    statement = _visible_statement(request, pk)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            send_back = approvals.statement_send_back(
                actor=request.user, statement=statement, reason=form.cleaned_data["reason"]
            )
        except NotAllowed as exc:  # not theirs to send back: wrong role, or took a step
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            if not exc.details:  # e.g. no longer in the chain: nothing to correct on the form
                messages.error(request, exc.message)
                return redirect("settlement:statement-detail", pk=pk)
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(
                request,
                _("结算单已在“%(step)s”退回,更正并重新计算后从第一步重新审批。")
                % {"step": send_back.label},
            )
            return redirect("settlement:statement-detail", pk=pk)
    return render(
        request,
        "settlement/finance_statement.html",
        _statement_context(request, _statement(request, pk), send_back_form=form),
    )


@login_required
@permission_required("settlement.change_approvalstep", raise_exception=True)
def chain_edit(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    chain = approvals.approval_chain(project)
    locked = approvals.chain_locked(project)
    initial = [
        {
            "position": s.position,
            "code": s.code,
            "label": s.label,
            "role": s.role,
            "applies_to": s.applies_to,
        }
        for s in chain
    ]
    formset = StepFormSet(request.POST or None, initial=initial, prefix="steps")
    if request.method == "POST" and formset.is_valid():
        try:
            approvals.approval_chain_set(actor=request.user, project=project, steps=formset.steps())
        except RuleViolation as exc:
            details = [d["message"] for d in exc.details or [] if isinstance(d, dict)]
            for message in details or [exc.message]:
                messages.error(request, message)
        else:
            messages.success(request, _("审批流程已保存。"))
            return redirect("settlement:project-groups", code=project.code)
    return render(
        request,
        "settlement/finance_chain.html",
        {"project": project, "formset": formset, "locked": locked},
    )


# -- a villager group's statements, in bulk, at the step the user holds --------------------


def _group(request: HttpRequest, pk: int) -> VillagerGroup:
    return get_object_or_404(
        VillagerGroup.objects.select_related("project", "community").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )


def _waiting_at_steps(group: VillagerGroup, user) -> list[dict]:
    """For each step of the chain whose role `user` holds: the group's statements waiting
    for that step which `user` may approve now, and those they may not (with why)."""
    chain = approvals.approval_chain(group.project)
    steps = {s.position: {"step": s, "ready": [], "refused": []} for s in chain}
    statements = (
        Statement.objects.filter(
            household__group=group,
            status__in=(StatementStatus.DRAFT, StatementStatus.APPROVING),
        )
        .select_related("household", "project")
        .prefetch_related("payments")  # the steps that apply follow what remains
        .order_by("household__code")
    )
    held = {s.position for s in chain if approvals.holds_role(user, s.role)}
    for statement in statements:
        step = approvals.next_step(statement)
        if step is None or step.position not in held:
            continue
        refusal = approvals.approval_refusal(user, statement, step)
        entry = steps[step.position]
        if refusal is None:
            entry["ready"].append(statement)
        else:
            entry["refused"].append((statement, refusal.message))
    return [e for p, e in sorted(steps.items()) if p in held and (e["ready"] or e["refused"])]


@login_required
@view_statements
@permission_required("settlement.approve_statement", raise_exception=True)
def group_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The group's statements at the approval steps the user holds (GET); approving the
    chosen ones of one step in bulk (POST): first a confirmation naming the count (nothing
    approved), then each statement through `statement_approve` with the step the user saw,
    each refusal listed with its household."""
    group = _group(request, pk)
    here = reverse("settlement:group-approve", args=[group.pk])
    if request.method != "POST":
        return render(
            request,
            "settlement/group_approve.html",
            {
                "group": group,
                "project": group.project,
                "steps": _waiting_at_steps(group, request.user),
                "comment_max": approvals.APPROVAL_COMMENT_MAX,
            },
        )
    if not is_recently_authenticated(request):
        return ask_to_reauthenticate(request, here)
    form = GroupApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(here)
    position = form.cleaned_data["expected_position"]
    chosen = form.chosen()
    statements = list(
        Statement.objects.filter(household__group=group, pk__in=chosen)
        .select_related("household")
        .order_by("household__code")
    )
    if not statements:
        messages.error(request, _("请先选择要审批的结算单。"))
        return redirect(here)
    step = next(
        (s for s in approvals.approval_chain(group.project) if s.position == position), None
    )
    if not form.cleaned_data["confirmed"]:
        return render(
            request,
            "settlement/group_approve_confirm.html",
            {
                "group": group,
                "project": group.project,
                "step": step,
                "statements": statements,
                "ids": ",".join(str(s.pk) for s in statements),
                "comment": form.cleaned_data["comment"],
                "count": len(statements),
            },
        )
    approved = 0
    for statement in statements:
        try:
            approvals.statement_approve(
                actor=request.user,
                statement=statement,
                expected_position=position,
                comment=form.cleaned_data["comment"],
            )
        except RuleViolation as exc:
            messages.error(request, f"{statement.household.code}:{exc.message}")
        else:
            approved += 1
    if approved:
        messages.success(
            request,
            _("已审批 %(n)d 份结算单(“%(step)s”)。")
            % {"n": approved, "step": step.display_label if step else position},
        )
    return redirect(here)
