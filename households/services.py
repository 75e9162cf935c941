"""Every write to the registry goes through these functions.

Admin actions, staff pages, the API, the importer and management commands all call them,
so the permission checks, the four-eyes rule and the qualification rules hold everywhere.
Each takes the acting user as `actor` and records it in the change history.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households import qualification
from households.access import require_project_access
from households.models import (
    Community,
    Document,
    DocumentKind,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from households.selectors import resettled_projects_by_id
from households.validation import (
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
    FieldError,
    clean_household,
    clean_member,
    household_member_errors,
)
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, invalid_input
from resettlement.roles import require_permission
from resettlement.uploads import UploadRefused, upload_check

ALLOWED_DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def member_facts(member: Member | Mapping[str, Any]) -> qualification.MemberFacts:
    get = member.get if isinstance(member, Mapping) else lambda f: getattr(member, f)
    return qualification.MemberFacts(
        birth_date=get("birth_date"),
        hukou_nature=get("hukou_nature"),
        hukou_moved_in=get("hukou_moved_in"),
        hukou_moved_out=get("hukou_moved_out"),
        special_status=get("special_status"),
        housing_welfare=get("housing_welfare"),
    )


def apply_verdict(member: Member, project: Project, resettled_in: tuple[str, ...]) -> None:
    """Compute and set the member's verdict fields (does not save).

    The evidence is stored as the office's record, in the system's language (Chinese),
    whatever language the person who triggered the computation is using.
    """
    with translation.override(settings.LANGUAGE_CODE):
        verdict = qualification.evaluate(member_facts(member), project, resettled_in=resettled_in)
    member.verdict_qualified = verdict.qualified
    member.verdict_checks = verdict.as_json()
    member.verdict_failures = verdict.failures_field()


def _scope_errors(project: Project, community: Community, group: VillagerGroup) -> list[dict]:
    errors = []
    if community.project_id != project.pk:
        errors.append(
            FieldError("community", _("该村/社区不属于项目 %(p)s") % {"p": project.code}).as_dict()
        )
    if group.community_id != community.pk:
        errors.append(FieldError("group", _("该村民小组不属于所选村/社区")).as_dict())
    return errors


def _id_taken_errors(
    project: Project, numbers: Sequence[str], *, exclude_member_ids: Sequence[int] = ()
) -> dict[str, str]:
    """ID numbers among `numbers` already registered in this project, with their household."""
    taken = (
        Member.objects.filter(project=project, id_number__in=[n for n in numbers if n])
        .exclude(pk__in=exclude_member_ids)
        .values_list("id_number", "household__code")
    )
    return dict(taken)


def _save_with_reason(instance: Any, reason: str, actor=None, **save_kwargs: Any) -> None:
    """Save and record in the history who did it and why (also outside a web request)."""
    instance._change_reason = reason
    if actor is not None:
        instance._history_user = actor
    instance.save(**save_kwargs)


@transaction.atomic
def household_register(
    *,
    actor,
    project: Project,
    community: Community,
    group: VillagerGroup,
    household: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
) -> Household:
    """Register a household with all its members in one step (nothing saved on any error).

    Raises RuleViolation whose `details` list every problem as
    {"field", "message", "member" (index, for member fields)}.
    """
    require_permission(actor, "households.add_household")
    require_permission(actor, "households.add_member")
    require_project_access(actor, project)
    errors = _scope_errors(project, community, group)
    household_data, household_errors = clean_household(household)
    errors += [e.as_dict() for e in household_errors]
    if (
        household_data["code"]
        and Household.objects.filter(project=project, code=household_data["code"]).exists()
    ):
        errors.append(
            FieldError(
                "code", _("户编号 %(c)s 在本项目中已存在") % {"c": household_data["code"]}
            ).as_dict()
        )
    cleaned_members = []
    for index, raw in enumerate(members):
        data, member_errors = clean_member(raw)
        cleaned_members.append(data)
        errors += [{**e.as_dict(), "member": index} for e in member_errors]
    if not members:
        errors.append(FieldError("members", _("至少要登记一名成员(户主)")).as_dict())
    errors += [
        {**e.as_dict(), "member": index}
        for index, e in household_member_errors(cleaned_members)
        if members
    ]
    taken = _id_taken_errors(project, [m["id_number"] for m in cleaned_members])
    for index, data in enumerate(cleaned_members):
        if data["id_number"] in taken:
            errors.append(
                {
                    **FieldError(
                        "id_number",
                        _("身份证号已在本项目的 %(h)s 户登记") % {"h": taken[data["id_number"]]},
                        "duplicate_id",
                    ).as_dict(),
                    "member": index,
                }
            )
    if errors:
        raise invalid_input(errors)

    new = Household(
        project=project,
        community=community,
        group=group,
        registered_by=actor,
        **household_data,
    )
    resettled = resettled_projects_by_id(
        [m["id_number"] for m in cleaned_members], exclude_project_id=project.pk
    )
    with _concurrent_registration():
        _save_with_reason(new, _("登记"), actor)
        for data in cleaned_members:
            member = Member(project=project, household=new, entered_by=actor, **data)
            apply_verdict(member, project, resettled.get(data["id_number"], ()))
            _save_with_reason(member, _("登记"), actor)
    return new


@contextmanager
def _concurrent_registration() -> Iterator[None]:
    """The checks above read before writing; if someone else registered the same household
    code or ID number in between, the database constraint catches it and this turns it into
    a message instead of an error page."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise RuleViolation(
            "concurrent_registration",
            _("户编号或身份证号刚被其他人登记,本次未保存。请刷新页面核对后重试。"),
        ) from exc


@transaction.atomic
def household_update(*, actor, household: Household, data: Mapping[str, Any]) -> Household:
    """Change the household's own fields (code, address, phone, agreement, area, notes)."""
    require_permission(actor, "households.change_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    cleaned, field_errors = clean_household({**household_values(household), **data})
    errors = [e.as_dict() for e in field_errors]
    if (
        cleaned["code"] != household.code
        and Household.objects.filter(project=household.project, code=cleaned["code"]).exists()
    ):
        errors.append(
            FieldError(
                "code", _("户编号 %(c)s 在本项目中已存在") % {"c": cleaned["code"]}
            ).as_dict()
        )
    if errors:
        raise invalid_input(errors)
    if cleaned == household_values(household):
        return household
    for field, value in cleaned.items():
        setattr(household, field, value)
    if actor.pk not in household.editor_ids:
        household.editor_ids = [*household.editor_ids, actor.pk]
    _save_with_reason(household, _("修改户信息"), actor)
    return household


def household_values(household: Household) -> dict[str, Any]:
    """The household's own editable fields, as household_update takes them."""
    return {field: getattr(household, field) for field in HOUSEHOLD_FIELDS}


def _member_values(member: Member) -> dict[str, Any]:
    return {field: getattr(member, field) for field in MEMBER_FIELDS}


def _reopen_review(household: Household, reason: str, actor) -> None:
    """A change to a member after review or approval sends the household back to review."""
    if household.status == HouseholdStatus.REGISTERED:
        return
    household.status = HouseholdStatus.REGISTERED
    household.approved_by = None
    household.approved_at = None
    household.resettlement_population = None
    household.entitlement_area = None
    _save_with_reason(household, reason, actor)


def _forbid_second_head(household: Household, relation: str, *, member_pk=None) -> None:
    """Checked before saving: past this point the database's one-head constraint would
    refuse the row with an IntegrityError (an error page) instead of this message."""
    if relation != Relation.HEAD:
        return
    if household.members.filter(relation=Relation.HEAD).exclude(pk=member_pk).exists():
        raise RuleViolation(
            "one_head",
            _("每户只能有一名户主,%(h)s 户已有户主。") % {"h": household.code},
            details=[FieldError("relation", _("每户只能有一名户主")).as_dict()],
        )


def _check_heads(household: Household) -> None:
    heads = household.members.filter(relation=Relation.HEAD).count()
    if heads != 1:
        raise RuleViolation(
            "one_head",
            _("每户必须有且只有一名户主(当前 %(n)d 名)") % {"n": heads},
            details=[FieldError("relation", _("每户必须有且只有一名户主")).as_dict()],
        )


@transaction.atomic
def member_add(*, actor, household: Household, data: Mapping[str, Any]) -> Member:
    require_permission(actor, "households.add_member")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    cleaned, field_errors = clean_member(data)
    errors = [e.as_dict() for e in field_errors]
    taken = _id_taken_errors(household.project, [cleaned["id_number"]])
    if cleaned["id_number"] in taken:
        errors.append(
            FieldError(
                "id_number",
                _("身份证号已在本项目的 %(h)s 户登记") % {"h": taken[cleaned["id_number"]]},
                "duplicate_id",
            ).as_dict()
        )
    if errors:
        raise invalid_input(errors)
    _forbid_second_head(household, cleaned["relation"])
    member = Member(project=household.project, household=household, entered_by=actor, **cleaned)
    resettled = resettled_projects_by_id(
        [member.id_number], exclude_project_id=household.project_id
    )
    apply_verdict(member, household.project, resettled.get(member.id_number, ()))
    with _concurrent_registration():
        _save_with_reason(member, _("新增成员"), actor)
    _check_heads(household)
    _reopen_review(household, _("新增成员 %(n)s,重新审核") % {"n": member.name}, actor)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, data: Mapping[str, Any]) -> Member:
    """Change a member. Any change of substance resets its review and reopens the household."""
    require_permission(actor, "households.change_member")
    household = (
        Household.objects.select_for_update().select_related("project").get(pk=member.household_id)
    )
    member = Member.objects.get(pk=member.pk)
    before = _member_values(member)
    cleaned, field_errors = clean_member({**before, **data})
    errors = [e.as_dict() for e in field_errors]
    taken = _id_taken_errors(
        household.project, [cleaned["id_number"]], exclude_member_ids=[member.pk]
    )
    if cleaned["id_number"] in taken:
        errors.append(
            FieldError(
                "id_number",
                _("身份证号已在本项目的 %(h)s 户登记") % {"h": taken[cleaned["id_number"]]},
                "duplicate_id",
            ).as_dict()
        )
    if errors:
        raise invalid_input(errors)
    if cleaned == before:
        return member
    _forbid_second_head(household, cleaned["relation"], member_pk=member.pk)
    for field, value in cleaned.items():
        setattr(member, field, value)
    # The person who changed the record may no longer review it (four-eyes).
    if actor.pk not in member.editor_ids:
        member.editor_ids = [*member.editor_ids, actor.pk]
    member.review_status = ReviewStatus.PENDING
    member.review_overridden = False
    member.review_reason = ""
    member.reviewed_by = None
    member.reviewed_at = None
    resettled = resettled_projects_by_id(
        [member.id_number], exclude_project_id=household.project_id
    )
    apply_verdict(member, household.project, resettled.get(member.id_number, ()))
    changed = ", ".join(f for f in MEMBER_FIELDS if cleaned[f] != before[f])
    with _concurrent_registration():
        _save_with_reason(member, _("修改成员信息(%(f)s),重新审核") % {"f": changed}, actor)
    _check_heads(household)
    _reopen_review(household, _("成员 %(n)s 信息变更,重新审核") % {"n": member.name}, actor)
    return member


@transaction.atomic
def member_remove(*, actor, member: Member) -> None:
    require_permission(actor, "households.delete_member")
    household = Household.objects.select_for_update().get(pk=member.household_id)
    name = member.name
    member._change_reason = _("删除成员")
    member._history_user = actor
    member.delete()
    _check_heads(household)
    # The remaining members' findings still hold; only the entitlement must be approved
    # again, so a household whose other members are all reviewed goes straight back to the
    # leader rather than sitting in neither queue.
    if actor.pk not in household.editor_ids:
        household.editor_ids = [*household.editor_ids, actor.pk]
    _reopen_review(household, _("删除成员 %(n)s,重新审核") % {"n": name}, actor)
    if not household.members.filter(review_status=ReviewStatus.PENDING).exists():
        household.status = HouseholdStatus.REVIEWED
    _save_with_reason(household, _("删除成员 %(n)s") % {"n": name}, actor)


def _handled(actor, household: Household, members: Sequence[Member]) -> bool:
    """Did `actor` register, enter or change this household or any of these members?"""
    if household.registered_by_id == actor.pk or actor.pk in household.editor_ids:
        return True
    return any(m.entered_by_id == actor.pk or actor.pk in m.editor_ids for m in members)


def _forbid_entered_by(actor, household: Household, members: Sequence[Member], act: str) -> None:
    if _handled(actor, household, members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您登记或修改过 %(h)s 户的信息,不能%(act)s。请由其他工作人员办理。")
            % {"h": household.code, "act": act},
        )


@transaction.atomic
def member_review(*, actor, member: Member, decision: str, reason: str = "") -> Member:
    """Record a reviewer's finding on one member: pass or reject.

    Deciding against the computed verdict is an override; rejecting or overriding needs a
    written reason. The person who registered the household or entered the member may not
    review it. When every member is reviewed the household becomes "reviewed".
    """
    require_permission(actor, "households.review_member")
    household = Household.objects.select_for_update().get(pk=member.household_id)
    member = Member.objects.select_for_update().get(pk=member.pk)
    _forbid_entered_by(actor, household, [member], pgettext("four-eyes: may not", "审核其成员"))
    if household.status == HouseholdStatus.APPROVED:
        raise RuleViolation(
            "already_approved",
            _("%(h)s 户已审批,如需更改请先修改成员信息以重新审核。") % {"h": household.code},
        )
    if decision not in (ReviewStatus.PASSED, ReviewStatus.REJECTED):
        raise RuleViolation("bad_decision", _("审核结果只能是“通过”或“不通过”。"))
    reason = (reason or "").strip()
    overridden = (decision == ReviewStatus.PASSED) != member.verdict_qualified
    if (overridden or decision == ReviewStatus.REJECTED) and not reason:
        raise RuleViolation(
            "reason_required",
            _("不通过或改变系统判定时必须填写书面理由。"),
            details=[FieldError("reason", _("请填写理由")).as_dict()],
        )
    member.review_status = decision
    member.review_overridden = overridden
    member.review_reason = reason
    member.reviewed_by = actor
    member.reviewed_at = timezone.now()
    _save_with_reason(
        member,
        _("资格审核:%(d)s%(o)s")
        % {
            "d": ReviewStatus(decision).label,
            "o": _("(改变系统判定)") if overridden else "",
        },
        actor,
    )
    pending = household.members.filter(review_status=ReviewStatus.PENDING).exists()
    new_status = HouseholdStatus.REGISTERED if pending else HouseholdStatus.REVIEWED
    if household.status != new_status:
        household.status = new_status
        _save_with_reason(household, _("成员审核完成") if not pending else _("审核进行中"), actor)
    audit_record(
        actor=actor, action="member.review", obj=member, payload=_review_facts(household, member)
    )
    return member


def _review_facts(household: Household, member: Member) -> dict[str, Any]:
    return {
        "household": household.code,
        "member_id": member.pk,
        "decision": member.review_status,
        "computed_qualified": member.verdict_qualified,
        "overridden": member.review_overridden,
        "reason": member.review_reason,
    }


def entitlement_for(project: Project, members: Sequence[Member]) -> tuple[int, Decimal]:
    """Resettlement population and entitlement area from the passed members.

    area = population × area per person, plus the one-child bonus once per household where a
    passed member holds a one-child certificate, plus the single-person bonus where exactly
    one person qualifies. See docs/qualification.md.
    """
    passed = [m for m in members if m.review_status == ReviewStatus.PASSED]
    population = len(passed)
    area = project.area_per_person * population
    if any(m.one_child_certificate for m in passed):
        area += project.one_child_bonus_area
    if population == 1:
        area += project.single_person_bonus_area
    return population, area.quantize(Decimal("0.01"))


@transaction.atomic
def household_approve(*, actor, household: Household) -> Household:
    """A leader approves a fully reviewed household; its population and entitlement follow.

    The approver may not be the registrar, anyone who entered a member, or any reviewer of
    its members.
    """
    require_permission(actor, "households.approve_household")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    members = list(household.members.all())
    _forbid_entered_by(actor, household, members, pgettext("four-eyes: may not", "审批"))
    if any(m.reviewed_by_id == actor.pk for m in members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您审核过 %(h)s 户的成员,不能再审批该户。") % {"h": household.code},
        )
    if household.status != HouseholdStatus.REVIEWED:
        raise RuleViolation(
            "not_reviewed",
            _("%(h)s 户尚未完成全部成员的审核,不能审批。") % {"h": household.code},
        )
    population, area = entitlement_for(household.project, members)
    household.status = HouseholdStatus.APPROVED
    household.approved_by = actor
    household.approved_at = timezone.now()
    household.resettlement_population = population
    household.entitlement_area = area
    _save_with_reason(
        household,
        _("审批通过:安置人口 %(p)d,应安置面积 %(a)s㎡") % {"p": population, "a": area},
        actor,
    )
    _refresh_other_projects(household, actor)
    audit_record(
        actor=actor,
        action="household.approve",
        obj=household,
        payload=_approval_facts(household, members),
    )
    return household


def _approval_facts(household: Household, members: Sequence[Member]) -> dict[str, Any]:
    return {
        "project": household.project.code,
        "household": household.code,
        "population": household.resettlement_population,
        "entitlement_area": household.entitlement_area,
        "members": {str(m.pk): m.review_status for m in members},
    }


_REVIEW_FIELDS = [
    "review_status",
    "review_overridden",
    "review_reason",
    "reviewed_by",
    "reviewed_at",
]
_VERDICT_FIELDS = ["verdict_qualified", "verdict_checks", "verdict_failures"]


def _withdraw_review(member: Member) -> None:
    """Set the member back to pending review (does not save)."""
    member.review_status = ReviewStatus.PENDING
    member.review_overridden = False
    member.review_reason = ""
    member.reviewed_by = None
    member.reviewed_at = None


def _refresh_other_projects(household: Household, actor) -> None:
    """Flag the same people in other projects' open reviews as resettled here.

    A pass recorded there was given on evidence that no longer holds, so it goes back to
    review and its household with it: otherwise that project's leader could approve the same
    person a second time on the stale pass. Rejections stand.
    """
    numbers = [
        m.id_number for m in household.members.all() if m.review_status == ReviewStatus.PASSED
    ]
    others = Member.objects.filter(id_number__in=numbers).exclude(project_id=household.project_id)
    others = others.exclude(household__status=HouseholdStatus.APPROVED).select_related("project")
    for other in others:
        resettled = resettled_projects_by_id([other.id_number], exclude_project_id=other.project_id)
        apply_verdict(other, other.project, resettled.get(other.id_number, ()))
        fields = list(_VERDICT_FIELDS)
        reopen = other.review_status == ReviewStatus.PASSED
        if reopen:
            _withdraw_review(other)
            fields += _REVIEW_FIELDS
        _save_with_reason(other, _("已在其他项目安置,重新判定"), actor, update_fields=fields)
        if reopen:
            _reopen_review(
                Household.objects.select_for_update().get(pk=other.household_id),
                _("成员 %(n)s 已在项目 %(p)s 安置,重新审核")
                % {"n": other.name, "p": household.project.code},
                actor,
            )


@transaction.atomic
def household_send_back(*, actor, household: Household, reason: str) -> Household:
    """Send a household back to review (e.g. an upheld publicity objection): every member's
    finding is withdrawn and the approval with its entitlement cleared."""
    require_permission(actor, "households.send_back_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    for member in household.members.select_for_update():
        _withdraw_review(member)
        _save_with_reason(member, reason, actor, update_fields=_REVIEW_FIELDS)
    _reopen_review(household, reason, actor)
    audit_record(
        actor=actor,
        action="household.send_back",
        obj=household,
        payload={"household": household.code, "reason": reason},
    )
    return household


# --- configuration: projects and their policy, communities, villager groups ---------------

# What a project's qualification rules and entitlements read; with the name, its policy, set
# when the project is created and changed only by `project_update_policy`. The code never
# changes once given.
PROJECT_RULE_FIELDS = (
    "hukou_cutoff_date",
    "growth_deadline",
    "area_per_person",
    "one_child_bonus_area",
    "single_person_bonus_area",
    "agricultural_eligible",
    "non_agricultural_eligible",
    "resident_eligible",
)
PROJECT_POLICY_FIELDS = ("name", *PROJECT_RULE_FIELDS)
_BONUS_AREAS = ("one_child_bonus_area", "single_person_bonus_area")


class PolicyChange(NamedTuple):
    project: Project
    changed: dict[str, list[Any]]  # field: [before, after]
    recomputed: int  # members whose verdict the rules computed again


def _field_problems(instance: Any) -> list[dict]:
    """The model's own field checks (required, types, lengths); converts the values."""
    try:
        instance.clean_fields()
    except ValidationError as exc:
        return [
            FieldError(field, message).as_dict()
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def _policy_problems(project: Project) -> list[dict]:
    errors = _field_problems(project)
    if errors:
        return errors
    if project.growth_deadline < project.hukou_cutoff_date:
        errors.append(
            FieldError("growth_deadline", _("自然增长截止日不能早于户口截止日")).as_dict()
        )
    if project.area_per_person <= 0:
        errors.append(FieldError("area_per_person", _("人均安置面积必须大于0")).as_dict())
    for name in _BONUS_AREAS:
        if getattr(project, name) < 0:
            errors.append(FieldError(name, _("奖励面积不能小于0")).as_dict())
    return errors


def _policy(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in PROJECT_POLICY_FIELDS}


@transaction.atomic
def project_create(*, actor, code: str, policy: Mapping[str, Any]) -> Project:
    """A new project with its policy (`PROJECT_POLICY_FIELDS`; the areas of one-child and
    single-person bonuses and the hukou natures default as the model says)."""
    require_permission(actor, "households.add_project")
    unknown = sorted(set(policy) - set(PROJECT_POLICY_FIELDS))
    if unknown:
        raise invalid_input([FieldError(name, _("不能设置此项")).as_dict() for name in unknown])
    code = (code or "").strip()
    project = Project(code=code, **policy)
    errors = _policy_problems(project)
    if code and Project.objects.filter(code=code).exists():
        errors.append(FieldError("code", _("项目编号 %(c)s 已存在") % {"c": code}).as_dict())
    if errors:
        raise invalid_input(errors)
    _save_with_reason(project, _("新建项目"), actor)
    audit_record(
        actor=actor,
        action="project.create",
        obj=project,
        payload={"project": project.code, "policy": _policy(project)},
    )
    return project


@transaction.atomic
def project_update_policy(*, actor, project: Project, data: Mapping[str, Any]) -> PolicyChange:
    """Change a project's name or policy (the fields in `data`). A change to the rules'
    inputs re-applies them to every member not yet approved (`project_recompute_verdicts`).
    `data` may repeat the project's code, never change it: publications, imports and the
    lottery name projects by it."""
    require_permission(actor, "households.change_project")
    require_project_access(actor, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    data = dict(data)
    code = data.pop("code", project.code)
    errors = [
        FieldError(name, _("不能设置此项")).as_dict()
        for name in sorted(set(data) - set(PROJECT_POLICY_FIELDS))
    ]
    if code != project.code:
        errors.append(FieldError("code", _("项目编号创建后不能修改")).as_dict())
    if errors:
        raise invalid_input(errors)
    before = _policy(project)
    for name, value in data.items():
        setattr(project, name, value)
    errors = _policy_problems(project)
    if errors:
        raise invalid_input(errors)
    after = _policy(project)
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changed:
        return PolicyChange(project, {}, 0)
    _save_with_reason(project, _("修改安置政策"), actor)
    recomputed = 0
    if set(changed) & set(PROJECT_RULE_FIELDS):
        recomputed = project_recompute_verdicts(project=project, actor=actor)
    audit_record(
        actor=actor,
        action="project.update",
        obj=project,
        payload={"project": project.code, "changed": changed, "recomputed": recomputed},
    )
    return PolicyChange(project, changed, recomputed)


def _place_problems(place: Community | VillagerGroup, code_label: str) -> list[dict]:
    errors = _field_problems(place)
    taken = type(place).objects.filter(project_id=place.project_id, code=place.code)
    if place.code and taken.exclude(pk=place.pk).exists():
        errors.append(
            FieldError(
                "code", _("%(l)s %(c)s 在本项目中已存在") % {"l": code_label, "c": place.code}
            ).as_dict()
        )
    return errors


def _place_facts(place: Community | VillagerGroup) -> dict[str, str]:
    """What the audit trail records of a community or villager group."""
    facts = {"project": place.project.code, "code": place.code, "name": place.name}
    if isinstance(place, VillagerGroup):
        facts["community"] = place.community.code
    return facts


def _place_create(
    *, actor, place: Community | VillagerGroup, code_label: str, reason: str, action: str
) -> None:
    errors = _place_problems(place, code_label)
    if errors:
        raise invalid_input(errors)
    _save_with_reason(place, reason, actor)
    audit_record(actor=actor, action=action, obj=place, payload=_place_facts(place))


def _place_rename(
    *, actor, place: Community | VillagerGroup, name: str, reason: str, action: str
) -> None:
    """Caller holds the row lock. Codes stay: imports, publications and lottery steps use them."""
    before, place.name = place.name, (name or "").strip()
    errors = _field_problems(place)
    if errors:
        raise invalid_input(errors)
    if place.name == before:
        return
    _save_with_reason(place, reason, actor)
    payload = {**_place_facts(place), "name": [before, place.name]}
    audit_record(actor=actor, action=action, obj=place, payload=payload)


@transaction.atomic
def community_create(*, actor, project: Project, code: str, name: str) -> Community:
    """A village or community (村/社区) of the project. Its code stays once given: imports
    and publications refer to it."""
    require_permission(actor, "households.add_community")
    require_project_access(actor, project)
    community = Community(project=project, code=(code or "").strip(), name=(name or "").strip())
    _place_create(
        actor=actor,
        place=community,
        code_label=_("社区编号"),
        reason=_("新建村/社区"),
        action="community.create",
    )
    return community


@transaction.atomic
def community_update(*, actor, community: Community, name: str) -> Community:
    """Rename a village or community."""
    require_permission(actor, "households.change_community")
    require_project_access(actor, community.project_id)
    community = Community.objects.select_for_update().select_related("project").get(pk=community.pk)
    _place_rename(
        actor=actor,
        place=community,
        name=name,
        reason=_("修改村/社区名称"),
        action="community.update",
    )
    return community


@transaction.atomic
def villager_group_create(*, actor, community: Community, code: str, name: str) -> VillagerGroup:
    """A villager group (村民小组) of the community, in the community's project. Its code is
    unique in the project and stays once given (lottery steps are labelled with it)."""
    require_permission(actor, "households.add_villagergroup")
    require_project_access(actor, community.project_id)
    group = VillagerGroup(
        project_id=community.project_id,
        community=community,
        code=(code or "").strip(),
        name=(name or "").strip(),
    )
    _place_create(
        actor=actor,
        place=group,
        code_label=_("小组编号"),
        reason=_("新建村民小组"),
        action="villager_group.create",
    )
    return group


@transaction.atomic
def villager_group_update(*, actor, group: VillagerGroup, name: str) -> VillagerGroup:
    """Rename a villager group."""
    require_permission(actor, "households.change_villagergroup")
    require_project_access(actor, group.project_id)
    group = (
        VillagerGroup.objects.select_for_update()
        .select_related("project", "community")
        .get(pk=group.pk)
    )
    _place_rename(
        actor=actor,
        place=group,
        name=name,
        reason=_("修改村民小组名称"),
        action="villager_group.update",
    )
    return group


@transaction.atomic
def project_recompute_verdicts(*, project: Project, actor=None) -> int:
    """Re-apply the rules to every member not yet approved (after a policy change, which
    `project_update_policy` makes; `actor` is the person who changed it, for the history).

    A pass the new rules contradict, given without a written reason, goes back to review with
    its household: it was not an override when it was given, and must not become one
    silently.
    """
    members = list(
        Member.objects.filter(project=project).exclude(household__status=HouseholdStatus.APPROVED)
    )
    resettled = resettled_projects_by_id(
        [m.id_number for m in members], exclude_project_id=project.pk
    )
    for member in members:
        apply_verdict(member, project, resettled.get(member.id_number, ()))
    Member.objects.bulk_update(members, _VERDICT_FIELDS, batch_size=1000)
    stale_passes = [
        m
        for m in members
        if m.review_status == ReviewStatus.PASSED
        and not m.review_overridden
        and not m.verdict_qualified
    ]
    for member in stale_passes:  # few, and each belongs in the history
        _withdraw_review(member)
        reason = _("安置政策调整,成员 %(n)s 重新审核") % {"n": member.name}
        _save_with_reason(member, reason, actor, update_fields=_VERDICT_FIELDS + _REVIEW_FIELDS)
        _reopen_review(
            Household.objects.select_for_update().get(pk=member.household_id), reason, actor
        )
    return len(members)


def _upload_refusal(code: str, upload: UploadedFile) -> str:
    if code == "too_large":
        return _("文件过大(%(s).1f MB),上限为 %(m).0f MB。") % {
            "s": upload.size / 1048576,
            "m": settings.DOCUMENT_MAX_BYTES / 1048576,
        }
    if code == "empty_file":
        return _("文件是空的。")
    return _("只接受 PDF、JPG、PNG 文件;“%(n)s”的内容不是这几种格式。") % {"n": upload.name}


@transaction.atomic
def document_upload(
    *,
    actor,
    household: Household,
    kind: str,
    upload: UploadedFile,
    member: Member | None = None,
) -> Document:
    """Store an uploaded document under a server-made name after checking size and content.

    Only PDF, JPEG and PNG are accepted, judged by the file's bytes, not its name.
    """
    require_permission(actor, "households.add_document")
    if kind not in DocumentKind.values:
        raise RuleViolation("bad_kind", _("未知的材料类型。"))
    if member is not None and member.household_id != household.pk:
        raise RuleViolation("bad_member", _("该成员不属于此户。"))
    try:
        checked = upload_check(
            upload, allowed_types=ALLOWED_DOCUMENT_TYPES, max_bytes=settings.DOCUMENT_MAX_BYTES
        )
    except UploadRefused as refused:
        raise RuleViolation(refused.code, _upload_refusal(refused.code, upload)) from None
    document = Document(
        household=household,
        member=member,
        kind=kind,
        original_name=(upload.name or "")[-200:],
        content_type=checked.content_type,
        size=upload.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    try:
        _save_with_reason(document, _("上传材料"), actor)
    except IntegrityError:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def document_delete(*, actor, document: Document) -> None:
    require_permission(actor, "households.delete_document")
    document._change_reason = _("删除材料")
    document._history_user = actor
    name = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))
