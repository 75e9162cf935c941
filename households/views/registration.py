"""The clerks' registration screens: search, register a household with its members, see and
edit one household with its document checklist, add, change and remove its members. Views
parse input, call one service and render; rules live in households.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import HiddenInput
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households import gates
from households.access import chosen_project, projects_q, require_project, visible_projects
from households.forms import (
    DocumentUploadForm,
    HouseholdEditForm,
    HouseholdForm,
    MemberForm,
    MemberFormSet,
    UnmaskForm,
    add_change_reason,
)
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    VillagerGroup,
)
from households.selectors import documents, registration
from households.services import members as households_members
from households.services import registration as households_registration
from households.stages import stage_of, with_stages
from resettlement import household_receipts
from resettlement.errors import RuleViolation, apply_errors
from resettlement.personal_data import Unmasked, sees_full_personal_data

registry_view = permission_required("households.view_household", raise_exception=True)


@login_required
@registry_view
def household_list(request: HttpRequest) -> HttpResponse:
    queryset = registration.household_list().filter(projects_q(request.user))
    term = request.GET.get("q", "")
    queryset = registration.household_search(queryset, term, user=request.user)
    project = request.GET.get("project")
    if project:
        queryset = queryset.filter(project__code=project)
    status = request.GET.get("status")
    if status in HouseholdStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    page.object_list = with_stages(page.object_list)
    return render(
        request,
        "households/household_list.html",
        {
            "page": page,
            "q": term,
            "status": status,
            "statuses": HouseholdStatus.choices,
            "projects": visible_projects(request.user),
            "project": project,
        },
    )


@login_required
@permission_required("households.add_household", raise_exception=True)
def household_register(request: HttpRequest) -> HttpResponse:
    """The project first (?project=<code>, by default the newest the clerk sees: the one being
    registered), then the form with that project's communities and groups only."""
    projects = visible_projects(request.user).order_by("code")
    posted = request.POST.get("project", "")
    project = (
        projects.filter(pk=posted).first()
        if request.method == "POST" and posted.isdigit()
        else None
    ) or chosen_project(request.user, request.GET.get("project"))
    form = HouseholdForm(request.POST or None, initial={"project": project})
    form.fields["project"].queryset = projects
    form.fields["project"].widget = HiddenInput()
    form.fields["community"].queryset = Community.objects.filter(project=project).order_by("code")
    form.fields["group"].queryset = form.fields["group"].queryset.filter(project=project)
    members = MemberFormSet(request.POST or None, prefix="m")
    if request.method == "POST" and form.is_valid() and members.is_valid():
        try:
            household = households_registration.household_register(
                actor=request.user,
                project=form.cleaned_data["project"],
                community=form.cleaned_data["community"],
                group=form.cleaned_data["group"],
                household=form.household_data(),
                members=members.members_data(),
            )
        except RuleViolation as exc:
            changed = [f for f in members.forms if f.has_changed()]
            apply_errors(form, exc.details, exc.message, members=changed)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记 %(h)s 户,请上传证明材料。") % {"h": household.code})
            return redirect("staff:household-detail", pk=household.pk)
    groups = VillagerGroup.objects.filter(project=project).order_by("code")
    return render(
        request,
        "households/household_register.html",
        {
            "form": form,
            "members": members,
            "groups": groups,
            "projects": projects,
            "project": project,
        },
    )


def _visible_household(request: HttpRequest, pk: int) -> Household:
    try:
        household = registration.household_detail(pk)
    except Household.DoesNotExist:
        raise Http404 from None
    require_project(request.user, household.project_id)
    return household


def _household_page(
    request: HttpRequest,
    household: Household,
    *,
    unmask_form: UnmaskForm | None = None,
    unmasked: Unmasked | None = None,
    status: int = 200,
) -> HttpResponse:
    members = household.members.all()
    household.stage = stage_of(household)
    full = sees_full_personal_data(request.user)
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "members": members,
            "checklist": documents.document_checklist(household),
            "change_control": gates.under_change_control(household),
            "other_documents": [d for d in household.documents.all() if d.kind == "other"],
            "upload_form": DocumentUploadForm(),
            "full_personal_data": full,
            "unmask_form": None
            if full
            else unmask_form or UnmaskForm(household=household, members=members),
            "unmasked": unmasked,
            # The lottery result notice is printed once a signed session gave it apartments
            # (the gate of publicity.services.notices).
            "result_notice": bool(household_receipts.households_with_receipts([household.pk])),
        },
        status=status,
    )


@login_required
@registry_view
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _household_page(request, _visible_household(request, pk))


@login_required
@permission_required("households.change_household", raise_exception=True)
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.select_related("project").filter(projects_q(request.user)), pk=pk
    )
    form = HouseholdEditForm(
        request.POST or None, initial=households_registration.household_values(household)
    )
    if gates.under_change_control(household):
        add_change_reason(form)
    if request.method == "POST" and form.is_valid():
        try:
            households_registration.household_update(
                actor=request.user,
                household=household,
                data=form.household_data(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("户信息已保存。"))
            return redirect("staff:household-detail", pk=household.pk)
    return render(request, "households/household_edit.html", {"form": form, "household": household})


@login_required
def member_edit(request: HttpRequest, pk: int, member_pk: int | None = None) -> HttpResponse:
    household = get_object_or_404(Household.objects.filter(projects_q(request.user)), pk=pk)
    member = get_object_or_404(Member, pk=member_pk, household=household) if member_pk else None
    perm = "households.change_member" if member else "households.add_member"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    initial = {f: getattr(member, f) for f in MemberForm.base_fields} if member else None
    form = MemberForm(request.POST or None, initial=initial)
    if gates.under_change_control(household):
        add_change_reason(form)
    if request.method == "POST" and form.is_valid():
        data = form.member_data()
        reason = data.pop("reason", "")
        try:
            if member:
                households_members.member_update(
                    actor=request.user, member=member, data=data, reason=reason
                )
            else:
                households_members.member_add(
                    actor=request.user, household=household, data=data, reason=reason
                )
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("成员信息已保存;如该户已审核,将重新审核。"))
            return redirect("staff:household-detail", pk=household.pk)
    return render(
        request,
        "households/member_edit.html",
        {"form": form, "household": household, "member": member},
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    member = get_object_or_404(
        Member.objects.filter(projects_q(request.user)), pk=member_pk, household_id=pk
    )
    try:
        households_members.member_remove(
            actor=request.user, member=member, reason=request.POST.get("reason", "")
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除成员 %(n)s。") % {"n": member.name})
    return redirect("staff:household-detail", pk=pk)
