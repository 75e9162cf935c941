"""Configuration: projects and their policy, communities, villager groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import (
    Community,
    Project,
    VillagerGroup,
)
from households.services._common import _save_with_reason
from households.services.verdicts import project_recompute_verdicts
from households.validation import (
    FieldError,
)
from resettlement.audit import audit_record
from resettlement.errors import invalid_input
from resettlement.roles import require_permission

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
