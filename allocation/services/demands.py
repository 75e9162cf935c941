"""Every write to the households' demands and the project's allocation policy goes through
these functions (admin, staff pages, the API), each taking the acting user as `actor`.

Demands: a clerk records the combination of apartment types a household chose; its area is
checked against the household's entitlement and the project's over-area cap
(`AllocationPolicy`); a leader then locks the choices before any lottery, and nobody may lock
a choice they entered themselves (four-eyes). A locked demand never changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import (
    AllocationPolicy,
    ApartmentType,
    AreaFit,
    Demand,
    DemandItem,
    DemandStatus,
)
from allocation.services.estates import TWO_PLACES
from households.access import require_project_access
from households.models import Household, HouseholdStatus, Project
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission

# Nobody chooses more apartments than this for one household; a larger number is a typing
# slip (e.g. 30 for 3), refused with a message rather than checked against the area.
MAX_COUNT_PER_TYPE = 20


# -- the allocation policy ---------------------------------------------------------------


def allocation_policy_of(project: Project) -> AllocationPolicy:
    """The project's policy: the saved one, or the defaults (unsaved) until someone changes
    it. Reading never writes; `allocation_policy_update` saves it."""
    return AllocationPolicy.objects.filter(project=project).first() or AllocationPolicy(
        project=project
    )


def _policy_saved(project: Project) -> AllocationPolicy:
    """The project's policy, locked, saved with the defaults if it was only read until now:
    a write (a new cap, a household's choice) works on a saved row, so the cap a choice was
    checked against stays the project's until someone changes it."""
    AllocationPolicy.objects.get_or_create(project=project)
    return AllocationPolicy.objects.select_for_update().get(project=project)


@transaction.atomic
def allocation_policy_update(*, actor, project: Project, over_area_cap: Any) -> AllocationPolicy:
    """Change the over-area cap. Choices already made keep what they were checked against."""
    require_permission(actor, "allocation.change_allocationpolicy")
    require_project_access(actor, project)
    try:
        cap = Decimal(str(over_area_cap).strip())
    except (InvalidOperation, ValueError):
        cap = None
    if cap is None or not cap.is_finite() or cap < 0 or cap != cap.quantize(TWO_PLACES):
        raise invalid_input(
            [field_error("over_area_cap", _("超面积上限必须是不小于0的数字,最多两位小数"))]
        )
    policy = _policy_saved(project)
    before = policy.over_area_cap
    if before == cap:
        return policy
    policy.over_area_cap = cap
    policy.save(update_fields=["over_area_cap"])
    audit_record(
        actor=actor,
        action="allocation_policy.update",
        obj=policy,
        payload={"project": project.code, "over_area_cap": [before, cap]},
    )
    return policy


# -- demands -----------------------------------------------------------------------------


def area_fit(difference: Decimal) -> str:
    if difference > 0:
        return AreaFit.OVER
    if difference < 0:
        return AreaFit.UNDER
    return AreaFit.WITHIN


def _item_errors(
    items: Mapping[str, Any], types: Mapping[str, ApartmentType]
) -> tuple[dict[str, int], list[dict]]:
    """Parse the chosen counts; each problem names its field as `items.<type code>`."""
    counts: dict[str, int] = {}
    errors = []
    for raw_code, raw_count in items.items():
        code = str(raw_code).strip()
        field = f"items.{code}"
        if code not in types:
            errors.append(
                field_error(field, _("户型编号“%(c)s”在本项目中不存在") % {"c": code}, "unknown")
            )
            continue
        if isinstance(raw_count, bool) or not isinstance(raw_count, int):
            try:
                raw_count = int(str(raw_count).strip())
            except ValueError:
                errors.append(field_error(field, _("户型 %(c)s 的套数必须是整数") % {"c": code}))
                continue
        if raw_count < 1:
            errors.append(
                field_error(field, _("户型 %(c)s 的套数必须至少为1") % {"c": code}, "zero")
            )
        elif raw_count > MAX_COUNT_PER_TYPE:
            errors.append(
                field_error(
                    field,
                    _("户型 %(c)s 的套数 %(n)d 过多(每种最多 %(m)d 套)")
                    % {"c": code, "n": raw_count, "m": MAX_COUNT_PER_TYPE},
                )
            )
        else:
            counts[code] = counts.get(code, 0) + raw_count
    return counts, errors


def _choosable(household: Household) -> None:
    if household.status != HouseholdStatus.APPROVED or household.entitlement_area is None:
        raise RuleViolation(
            "not_approved",
            _("%(h)s 户尚未审批通过,没有应安置面积,不能选择户型。") % {"h": household.code},
        )


def demand_choice_refusal(
    *, actor, household: Household, demand: Demand | None
) -> RuleViolation | None:
    """Why `actor` may not record `household`'s choice now, or None when they may: the
    permission (add, or change an existing choice), an approved household with an
    entitlement, a choice not yet locked. `demand_choose` raises it; pages ask it to decide
    what to offer."""
    try:
        require_permission(actor, "allocation.change_demand" if demand else "allocation.add_demand")
        _choosable(household)
    except RuleViolation as refusal:
        return refusal
    if demand is not None and demand.status == DemandStatus.LOCKED:
        return RuleViolation(
            "demand_locked",
            _("%(h)s 户的户型选择已锁定,不能再修改。") % {"h": household.code},
        )
    return None


@transaction.atomic
def demand_choose(*, actor, household: Household, items: Mapping[str, int]) -> Demand:
    """Record the apartment types `household` chose: {type code: how many}.

    The chosen area (the types' nominal areas times their counts) is checked against the
    household's entitlement: more than the project's over-area cap above it is refused;
    above it within the cap is recorded as over-area, below it as under-area. A locked
    choice cannot change.
    """
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    demand = Demand.objects.select_for_update().filter(household=household).first()
    refusal = demand_choice_refusal(actor=actor, household=household, demand=demand)
    if refusal is not None:
        raise refusal
    project = household.project
    types = {t.code: t for t in ApartmentType.objects.filter(project=project).order_by()}
    counts, errors = _item_errors(items or {}, types)
    if not counts and not errors:
        errors.append(
            field_error("items", _("没有选择任何户型:请至少选择一种户型及套数"), "required")
        )
    if errors:
        raise invalid_input(errors)

    chosen = sum((types[c].nominal_area * n for c, n in counts.items()), Decimal("0"))
    chosen = chosen.quantize(TWO_PLACES)
    entitlement = household.entitlement_area
    difference = chosen - entitlement
    cap = _policy_saved(project).over_area_cap
    if difference > cap:
        raise RuleViolation(
            "over_cap",
            _(
                "所选户型共 %(c)s㎡,超出应安置面积 %(e)s㎡ 达 %(d)s㎡,"
                "超过本项目的超面积上限 %(cap)s㎡。请减少套数或改选较小的户型。"
            )
            % {"c": chosen, "e": entitlement, "d": difference, "cap": cap},
            details=[
                field_error(
                    "items",
                    _("超面积 %(d)s㎡,上限 %(cap)s㎡") % {"d": difference, "cap": cap},
                    "over_cap",
                )
            ],
        )
    if demand is None:
        demand = Demand(household=household, project=project)
    demand.entitlement_area = entitlement
    demand.chosen_area = chosen
    demand.area_difference = difference
    demand.area_fit = area_fit(difference)
    demand.chosen_by = actor
    demand.chosen_at = timezone.now()
    demand.status = DemandStatus.DRAFT
    try:
        with transaction.atomic():
            demand.save()
    except IntegrityError as exc:  # someone else entered this household's first choice
        raise RuleViolation(
            "concurrent_choice",
            _("%(h)s 户的户型选择刚被他人录入,请刷新页面核对后重试。") % {"h": household.code},
        ) from exc
    demand.items.all().delete()
    DemandItem.objects.bulk_create(
        DemandItem(demand=demand, apartment_type=types[code], count=count)
        for code, count in sorted(counts.items())
    )
    return demand


# How many household codes a refusal names before "…".
_NAMED = 10


def _named(codes: Sequence[str]) -> str:
    shown = "、".join(codes[:_NAMED])
    return shown + ("…" if len(codes) > _NAMED else "")


@transaction.atomic
def demand_lock(*, actor, project: Project, households: Iterable[Household] | None = None) -> int:
    """Lock the draft demands of `project` (of `households` only, when given); returns how many.

    All or nothing: refused when the actor entered any of these choices (four-eyes), or when
    a household's approval or entitlement changed after its choice was made (the choice
    must be made again first).
    """
    require_permission(actor, "allocation.lock_demand")
    require_project_access(actor, project)
    demands = Demand.objects.select_for_update(of=("self",)).filter(
        project=project, status=DemandStatus.DRAFT
    )
    if households is not None:
        demands = demands.filter(household__in=[h.pk for h in households])
    demands = list(demands.select_related("household").order_by("household__code"))
    own = [d.household.code for d in demands if d.chosen_by_id == actor.pk]
    if own:
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:以下安置户的户型选择是您录入的,不能由您锁定:%(h)s。请由其他领导锁定。")
            % {"h": _named(own)},
        )
    stale = [
        d.household.code
        for d in demands
        if d.household.status != HouseholdStatus.APPROVED
        or d.household.entitlement_area != d.entitlement_area
    ]
    if stale:
        raise RuleViolation(
            "stale_demand",
            _("以下安置户的审批或应安置面积在选房后有变化,请重新录入户型选择后再锁定:%(h)s。")
            % {"h": _named(stale)},
        )
    now = timezone.now()
    for demand in demands:
        demand.status = DemandStatus.LOCKED
        demand.locked_by = actor
        demand.locked_at = now
    Demand.objects.bulk_update(demands, ["status", "locked_by", "locked_at"], batch_size=1000)
    return len(demands)
