"""The clerks' registration screens: search, register a household with its members, see and
edit one household with its document checklist, download documents. Views parse input,
call one service and render; rules live in households.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from households import selectors, services, services_unmask
from households.access import projects_q, require_project, visible_projects
from households.forms import (
    DocumentUploadForm,
    HouseholdEditForm,
    HouseholdForm,
    MemberForm,
    MemberFormSet,
    UnmaskForm,
    apply_errors,
)
from households.models import (
    Community,
    Document,
    Household,
    HouseholdStatus,
    Member,
    UnmaskRecord,
    VillagerGroup,
)
from resettlement.errors import RuleViolation
from resettlement.personal_data import FULL_PERSONAL_DATA, Unmasked, sees_full_personal_data
from resettlement.uploads import private_file_response

registry_view = permission_required("households.view_household", raise_exception=True)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    projects = visible_projects(request.user).annotate(
        household_count=Count("households", distinct=True),
        approved=Count(
            "households", filter=Q(households__status=HouseholdStatus.APPROVED), distinct=True
        ),
        reviewed=Count(
            "households", filter=Q(households__status=HouseholdStatus.REVIEWED), distinct=True
        ),
    )
    return render(request, "households/home.html", {"projects": projects})


@login_required
@registry_view
def household_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.household_list().filter(projects_q(request.user))
    term = request.GET.get("q", "")
    queryset = selectors.household_search(queryset, term, user=request.user)
    project = request.GET.get("project")
    if project:
        queryset = queryset.filter(project__code=project)
    status = request.GET.get("status")
    if status in HouseholdStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
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
    projects = visible_projects(request.user)
    form = HouseholdForm(request.POST or None, initial={"project": projects.first()})
    form.fields["project"].queryset = projects
    form.fields["community"].queryset = Community.objects.filter(projects_q(request.user))
    form.fields["group"].queryset = form.fields["group"].queryset.filter(projects_q(request.user))
    members = MemberFormSet(request.POST or None, prefix="m")
    if request.method == "POST" and form.is_valid() and members.is_valid():
        try:
            household = services.household_register(
                actor=request.user,
                project=form.cleaned_data["project"],
                community=form.cleaned_data["community"],
                group=form.cleaned_data["group"],
                household=form.household_data(),
                members=members.members_data(),
            )
        except RuleViolation as exc:
            changed = [f for f in members.forms if f.has_changed()]
            apply_errors(exc.details or [{"message": exc.message}], form, changed)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记 %(h)s 户,请上传证明材料。") % {"h": household.code})
            return redirect("staff:household-detail", pk=household.pk)
    groups = (
        VillagerGroup.objects.filter(projects_q(request.user))
        .select_related("community")
        .order_by("code")
    )
    return render(
        request,
        "households/household_register.html",
        {"form": form, "members": members, "groups": groups},
    )


def _visible_household(request: HttpRequest, pk: int) -> Household:
    try:
        household = selectors.household_detail(pk)
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
    full = sees_full_personal_data(request.user)
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "members": members,
            "checklist": selectors.document_checklist(household),
            "other_documents": [d for d in household.documents.all() if d.kind == "other"],
            "upload_form": DocumentUploadForm(),
            "full_personal_data": full,
            "unmask_form": None
            if full
            else unmask_form or UnmaskForm(household=household, members=members),
            "unmasked": unmasked,
        },
        status=status,
    )


@login_required
@registry_view
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _household_page(request, _visible_household(request, pk))


@never_cache
@login_required
@registry_view
@require_POST
def household_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one ID or phone number of this household in full, in this answer only, to a
    user who sees them masked; the reason is recorded (households.services_unmask)."""
    household = _visible_household(request, pk)
    form = UnmaskForm(request.POST, household=household, members=household.members.all())
    if not form.is_valid():
        messages.error(request, _("请选择要查看的一项。"))
        return _household_page(request, household, unmask_form=form, status=400)
    member = form.member()
    try:
        services_unmask.personal_data_unmask(
            actor=request.user,
            household=household,
            member=member,
            reason=form.cleaned_data["reason"],
        )
    except RuleViolation as exc:
        apply_errors(exc.details or [{"message": exc.message}], form)
        messages.error(request, exc.message)
        return _household_page(request, household, unmask_form=form, status=exc.status_code)
    messages.info(
        request,
        _("已显示完整号码,仅限本页;本次查看已记录(查看人、时间、理由),供纪检监督查阅。"),
    )
    unmasked = Unmasked("id_number", member) if member else Unmasked("phone", household)
    return _household_page(
        request,
        household,
        unmask_form=UnmaskForm(household=household, members=household.members.all()),
        unmasked=unmasked,
    )


@login_required
@permission_required("households.view_unmaskrecord", raise_exception=True)
def unmask_record_list(request: HttpRequest) -> HttpResponse:
    """For the supervising office: every unmasking, newest first, with who, when, which
    record and why."""
    records = (
        UnmaskRecord.objects.filter(projects_q(request.user))
        .select_related("project", "household", "user")
        .order_by("-unmasked_at", "-id")
    )
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "households/unmask_records.html", {"page": page})


@login_required
@permission_required("households.change_household", raise_exception=True)
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.select_related("project").filter(projects_q(request.user)), pk=pk
    )
    form = HouseholdEditForm(request.POST or None, initial=services.household_values(household))
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                actor=request.user, household=household, data=form.household_data()
            )
        except RuleViolation as exc:
            apply_errors(exc.details or [{"message": exc.message}], form)
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
    if request.method == "POST" and form.is_valid():
        try:
            if member:
                services.member_update(actor=request.user, member=member, data=form.member_data())
            else:
                services.member_add(
                    actor=request.user, household=household, data=form.member_data()
                )
        except RuleViolation as exc:
            apply_errors(exc.details or [{"message": exc.message}], form)
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
        services.member_remove(actor=request.user, member=member)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除成员 %(n)s。") % {"n": member.name})
    return redirect("staff:household-detail", pk=pk)


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(Household.objects.filter(projects_q(request.user)), pk=pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("staff:household-detail", pk=pk)
    member = None
    if form.cleaned_data.get("member"):
        member = get_object_or_404(Member, pk=form.cleaned_data["member"], household=household)
    try:
        services.document_upload(
            actor=request.user,
            household=household,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            member=member,
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("材料已上传。"))
    return redirect("staff:household-detail", pk=pk)


@login_required
@permission_required("households.view_document", raise_exception=True)
@permission_required(FULL_PERSONAL_DATA, raise_exception=True)
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a document as an attachment: never inline, never from a public URL. A scan of
    an ID card or a hukou book shows every number in full, so only the roles that see
    personal data in full may open one (the others see the checklist: present or missing)."""
    document = get_object_or_404(
        Document.objects.filter(projects_q(request.user, "household__project")), pk=pk
    )
    return private_file_response(
        document.file.open("rb"),
        filename=f"{document.household.code}-{document.kind}{document.extension}",
        content_type=document.content_type,
        as_attachment=True,
    )
