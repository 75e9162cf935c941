"""The transition policy and the transition-subsidy runs (临时安置补助费发放): the policy page
(leaders), a project's runs, a new run, a run's page (lines, blocked households, approval
steps, the batch downloads for finance, the bank's result upload). Each POST calls one
service of `settlement.services.subsidy_runs`; a GET never writes."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q, visible_projects
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.imports.base import ImportRejected
from resettlement.masking import Mask, mask
from resettlement.periods import today
from resettlement.reauth import recent_authentication_required
from settlement.forms.approvals import ApproveForm, SendBackForm
from settlement.forms.subsidy_runs import NewRunForm, ResultUploadForm, TransitionPolicyForm
from settlement.models import (
    SubsidyLineStatus,
    SubsidyRun,
    SubsidyRunStatus,
    SubsidySchedule,
    TransitionPolicy,
)
from settlement.selectors import subsidy_runs as selectors
from settlement.services import subsidy_runs as services
from settlement.views._common import (
    _role_label,
    bank_file_download,
    refuse_as_message,
    refuse_on_form,
    view_statements,
)


def _project(request: HttpRequest, code: str):
    return get_object_or_404(visible_projects(request.user), code=code)


def _run(request: HttpRequest, pk: int) -> SubsidyRun:
    get_object_or_404(SubsidyRun.objects.filter(projects_q(request.user)), pk=pk)
    return selectors.run_detail(pk)


# -- the policy ---------------------------------------------------------------------------------


@login_required
@view_statements
def transition_policy(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code)
    policy = TransitionPolicy.objects.filter(project=project).first()
    may_edit = request.user.has_perm("settlement.change_pricerules")
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("只有审批领导可以设置过渡安置政策。"))
        form = TransitionPolicyForm(request.POST)
        if form.is_valid():
            try:
                services.transition_policy_set(
                    actor=request.user, project=project, **form.cleaned_data
                )
            except RuleViolation as exc:
                refuse_on_form(form, exc)
            else:
                messages.success(request, _("已保存过渡安置政策。"))
                return redirect("settlement:transition-policy", code=project.code)
    else:
        initial = (
            {
                "schedule": policy.schedule,
                "transition_months": policy.transition_months,
                "overdue_multiplier": policy.overdue_multiplier,
                "months_after_handover": policy.months_after_handover,
                "overdue_cash_option": policy.overdue_cash_option,
                "cash_valuation_day": policy.cash_valuation_day,
            }
            if policy
            else {
                "schedule": SubsidySchedule.QUARTERLY,
                "transition_months": 24,
                "overdue_multiplier": "2.00",
                "months_after_handover": 0,
            }
        )
        form = TransitionPolicyForm(initial=initial)
    return render(
        request,
        "settlement/subsidy_runs/policy.html",
        {"project": project, "policy": policy, "form": form, "may_edit": may_edit},
    )


# -- runs ---------------------------------------------------------------------------------------


def _periods(policy: TransitionPolicy | None):
    if policy is None:
        return []
    return selectors.schedule_periods(policy.schedule, today())


@require_safe
@login_required
@view_statements
def run_list(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code)
    policy = TransitionPolicy.objects.filter(project=project).first()
    return render(
        request,
        "settlement/subsidy_runs/list.html",
        {
            "project": project,
            "policy": policy,
            "runs": selectors.run_list(project),
            "form": NewRunForm(periods=_periods(policy)),
            "may_compute": request.user.has_perm("settlement.compute_statement"),
        },
    )


@require_POST
@login_required
@view_statements
def run_compute(request: HttpRequest, code: str) -> HttpResponse:
    project = _project(request, code)
    policy = TransitionPolicy.objects.filter(project=project).first()
    form = NewRunForm(request.POST, periods=_periods(policy))
    if not form.is_valid():
        messages.error(request, _("请选择发放期。"))
        return redirect("settlement:subsidy-runs", code=project.code)
    start, end = (dt.date.fromisoformat(d) for d in form.cleaned_data["period"].split("|"))
    try:
        run = services.subsidy_run_compute(
            actor=request.user, project=project, period_start=start, period_end=end
        )
    except RuleViolation as exc:
        refuse_as_message(request, exc)
        return redirect("settlement:subsidy-runs", code=project.code)
    messages.success(request, _("已计算“%(r)s”。") % {"r": run.label})
    return redirect("settlement:subsidy-run-detail", pk=run.pk)


def _detail(request: HttpRequest, run: SubsidyRun, *, problems=(), status: int = 200):
    user = request.user
    finance = services.may_handle_bank_files(user)
    step = services.run_next_step(run)
    lines = list(run.lines.all())
    for line in lines:
        line.shown_account = (
            line.account_number if finance else mask(line.account_number, Mask.BANK_ACCOUNT)
        )
    payable = [line for line in lines if line.status != SubsidyLineStatus.BLOCKED]
    return render(
        request,
        "settlement/subsidy_runs/detail.html",
        {
            "run": run,
            "project": run.project,
            "lines": payable,
            "blocked": [line for line in lines if line.status == SubsidyLineStatus.BLOCKED],
            "total": sum((line.amount for line in payable), 0),
            "chain": [(s, _role_label(s.role)) for s in services.run_chain(run.project)],
            "approvals": list(run.approvals.all()),
            "next_step": step,
            "may_approve": step is not None
            and services.run_approval_refusal(user, run, step) is None,
            "may_send_back": run.status == SubsidyRunStatus.APPROVING
            and step is not None
            and services.run_approval_refusal(user, run, step) is None,
            "finance": finance,
            "may_compute": user.has_perm("settlement.compute_statement"),
            "approve_form": ApproveForm(
                initial={"expected_position": step.position if step else 1}
            ),
            "send_back_form": SendBackForm(),
            "upload_form": ResultUploadForm(),
            "problems": problems,
        },
        status=status,
    )


@require_safe
@login_required
@view_statements
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _run(request, pk))


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:subsidy-run-detail")
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("settlement:subsidy-run-detail", pk=pk)
    try:
        approval = services.subsidy_run_approve(
            actor=request.user,
            run=run,
            expected_position=form.cleaned_data["expected_position"],
            comment=form.cleaned_data["comment"],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已完成“%(step)s”。") % {"step": approval.display_label})
    return redirect("settlement:subsidy-run-detail", pk=pk)


@require_POST
@login_required
@view_statements
def run_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            services.subsidy_run_send_back(
                actor=request.user, run=run, reason=form.cleaned_data["reason"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已退回,批次回到草稿。"))
    return redirect("settlement:subsidy-run-detail", pk=pk)


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:subsidy-run-detail")
def run_send(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    try:
        services.subsidy_run_send(actor=request.user, run=run)
    except RuleViolation as exc:
        refuse_as_message(request, exc)
    else:
        messages.success(request, _("已生成代发文件,请下载后交银行。"))
    return redirect("settlement:subsidy-run-detail", pk=pk)


@require_safe
@login_required
@view_statements
def run_batch(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The batch file (full account numbers): finance only, once the run is sent."""
    run = _run(request, pk)
    if not services.may_handle_bank_files(request.user):
        raise PermissionDenied(_("只有财务可以下载代发文件。"))
    if run.status not in (SubsidyRunStatus.SENT, SubsidyRunStatus.CLOSED):
        raise PermissionDenied(_("批次生成代发文件后才能下载。"))
    return bank_file_download(
        selectors.batch_rows(run),
        kind=kind,
        title=run.label,
        filename=f"subsidy-run-{run.project.code}-{run.number}",
    )


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:subsidy-run-detail")
def run_result(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    form = ResultUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择银行回盘文件。"))
        return redirect("settlement:subsidy-run-detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        counts = services.subsidy_run_import_result(
            actor=request.user,
            run=run,
            data=upload.read(),
            name=upload.name,
            paid_on=form.cleaned_data["paid_on"],
        )
    except ImportRejected as exc:
        messages.error(request, _("回盘文件未导入,请更正以下问题后重新上传。"))
        return _detail(request, selectors.run_detail(pk), problems=exc.details, status=400)
    except RuleViolation as exc:
        refuse_as_message(request, exc)
        return redirect("settlement:subsidy-run-detail", pk=pk)
    messages.success(
        request,
        _("已导入回盘:成功 %(p)d 笔,失败 %(f)d 笔,仍待回盘 %(w)d 笔。")
        % {"p": counts["paid"], "f": counts["failed"], "w": counts["waiting"]},
    )
    return redirect("settlement:subsidy-run-detail", pk=pk)
