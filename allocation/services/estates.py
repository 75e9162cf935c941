"""Every write to the housing stock goes through these functions: estates and their floor rule,
buildings, apartment types, an apartment's status.

Admin, staff pages, the API, the apartment import and management commands all call them,
so the permission checks and the floor rule hold everywhere. Each takes the acting user as
`actor`.

The floor rule: an estate's `FloorTier` bands say which floors are tier A, B or C; bands may
not overlap, and every floor an apartment (or a building) of the estate uses must fall in a
band. An apartment's tier always comes from its estate's rule, never from what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from allocation.models import (
    Apartment,
    ApartmentStatus,
    ApartmentType,
    Building,
    DemandItem,
    Estate,
    FloorTier,
    Tier,
)
from households.access import require_project_access
from households.models import Project
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission

TWO_PLACES = Decimal("0.01")


# -- the floor rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One band of a floor rule: floors `floor_from`..`floor_to` (inclusive) are `tier`."""

    tier: str
    floor_from: int
    floor_to: int

    def covers(self, floor: int) -> bool:
        return self.floor_from <= floor <= self.floor_to


def bands_of(estate: Estate) -> list[Band]:
    """The estate's floor rule, lowest band first."""
    return [
        Band(t.tier, t.floor_from, t.floor_to)
        for t in FloorTier.objects.filter(estate=estate).order_by("floor_from")
    ]


def tier_for_floor(bands: Iterable[Band], floor: int) -> str | None:
    """The tier of `floor` under `bands`, or None when no band covers it."""
    for band in bands:
        if band.covers(floor):
            return band.tier
    return None


def floor_rule_problems(bands: Sequence[Band], floors_used: Iterable[int] = ()) -> list[str]:
    """What is wrong with a floor rule: bad bands, overlaps, and used floors it leaves out."""
    problems = []
    if not bands:
        problems.append(_("楼层档次规则至少要有一段。"))
    for band in bands:
        if band.tier not in Tier.values:
            problems.append(_("档次“%(t)s”无效,只能是 A、B 或 C。") % {"t": band.tier})
        if band.floor_from < 1:
            problems.append(_("起始楼层必须从1层起,不能是 %(f)d。") % {"f": band.floor_from})
        if band.floor_to < band.floor_from:
            problems.append(
                _("%(t)s档的结束楼层 %(to)d 低于起始楼层 %(fr)d。")
                % {"t": band.tier, "to": band.floor_to, "fr": band.floor_from}
            )
    ordered = sorted(bands, key=lambda b: (b.floor_from, b.floor_to))
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if upper.floor_from <= lower.floor_to:
            problems.append(
                _("%(a)s档(%(af)d-%(at)d层)与%(b)s档(%(bf)d-%(bt)d层)的楼层重叠。")
                % {
                    "a": lower.tier,
                    "af": lower.floor_from,
                    "at": lower.floor_to,
                    "b": upper.tier,
                    "bf": upper.floor_from,
                    "bt": upper.floor_to,
                }
            )
    if bands:
        uncovered = sorted({f for f in floors_used if tier_for_floor(bands, f) is None})
        if uncovered:
            problems.append(
                _("以下楼层不在任何档次内:%(f)s。")
                % {"f": "、".join(_("%(n)d层") % {"n": f} for f in uncovered)}
            )
    return problems


def estate_floors_used(estate: Estate) -> set[int]:
    """Every floor of the estate that exists: up to each building's height."""
    used = set(Apartment.objects.filter(estate=estate).values_list("floor", flat=True))
    for floors in Building.objects.filter(estate=estate).values_list("floors", flat=True):
        used.update(range(1, floors + 1))
    return used


@transaction.atomic
def floor_rule_set(*, actor, estate: Estate, bands: Sequence[Band]) -> list[FloorTier]:
    """Replace the estate's floor rule and re-derive every apartment's tier from it.

    Refused once any apartment of the estate is allocated: tiers are then part of a result.
    """
    require_permission(actor, "allocation.change_estate")
    require_project_access(actor, estate.project_id)
    estate = Estate.objects.select_for_update().select_related("project").get(pk=estate.pk)
    bands = [Band(str(b.tier).strip().upper(), int(b.floor_from), int(b.floor_to)) for b in bands]
    problems = floor_rule_problems(bands, estate_floors_used(estate))
    if problems:
        raise RuleViolation(
            "bad_floor_rule",
            _("小区 %(e)s 的楼层档次规则有误:%(p)s") % {"e": estate.code, "p": ";".join(problems)},
            details=[field_error("floor_tiers", p) for p in problems],
        )
    if Apartment.objects.filter(estate=estate, status=ApartmentStatus.ALLOCATED).exists():
        raise RuleViolation(
            "estate_allocated",
            _("小区 %(e)s 已有房屋分配到户,楼层档次不能再改。") % {"e": estate.code},
        )
    FloorTier.objects.filter(estate=estate).delete()
    tiers = FloorTier.objects.bulk_create(
        FloorTier(estate=estate, tier=b.tier, floor_from=b.floor_from, floor_to=b.floor_to)
        for b in sorted(bands, key=lambda b: b.floor_from)
    )
    changed = []
    for apartment in Apartment.objects.filter(estate=estate).only("id", "floor", "tier"):
        tier = tier_for_floor(bands, apartment.floor)
        if apartment.tier != tier:
            apartment.tier = tier
            changed.append(apartment)
    Apartment.objects.bulk_update(changed, ["tier"], batch_size=1000)
    audit_record(
        actor=actor,
        action="floor_rule.set",
        obj=estate,
        payload={
            "project": estate.project.code,
            "estate": estate.code,
            "bands": [[t.tier, t.floor_from, t.floor_to] for t in tiers],
            "apartments_retiered": len(changed),
        },
    )
    return tiers


class FloorWithoutTier(Exception):
    """The floor rule gives a floor no tier: the estate has no rule yet (`floor` is None), or
    no band covers `floor`."""

    def __init__(self, floor: int | None) -> None:
        super().__init__(floor)
        self.floor = floor


def floor_tiers(bands: Sequence[Band], floors: Iterable[int]) -> dict[int, str]:
    """The floor rule, applied in this one place: {floor: tier} for each of `floors` under an
    estate's `bands`. FloorWithoutTier names the lowest floor no band covers, or no floor when
    the estate has no rule at all.

    Its callers: `apartment_tier` (an apartment's floor), `building_create` (every floor of a
    new building) and the apartment import (`allocation.resources`, both). An apartment always
    needs a tier; a building may be put up before its estate has a rule (`floor_rule_set` must
    then cover it), so for a building the callers pass over the no-rule case.
    """
    if not bands:
        raise FloorWithoutTier(None)
    tiers = {}
    for floor in sorted(set(floors)):
        tier = tier_for_floor(bands, floor)
        if tier is None:
            raise FloorWithoutTier(floor)
        tiers[floor] = tier
    return tiers


def apartment_tier(estate: Estate, floor: int, *, bands: Sequence[Band] | None = None) -> str:
    """The tier an apartment on `floor` gets; RuleViolation naming the floor if no band has it."""
    bands = bands_of(estate) if bands is None else bands
    try:
        return floor_tiers(bands, [floor])[floor]
    except FloorWithoutTier as gap:
        if gap.floor is None:
            raise RuleViolation(
                "no_floor_rule",
                _("小区 %(e)s 尚未设置楼层档次规则,请先设置。") % {"e": estate.code},
                details=[field_error("floor", _("小区尚未设置楼层档次规则"))],
            ) from None
        raise RuleViolation(
            "floor_without_tier",
            _("%(f)d层不在小区 %(e)s 的楼层档次规则内,请先补充规则。")
            % {"f": floor, "e": estate.code},
            details=[field_error("floor", _("%(f)d层没有对应的档次") % {"f": floor})],
        ) from None


# -- estates, buildings, apartment types, apartments -----------------------------------------


def _check_code(field: str, value: str, label: str) -> list[dict]:
    value = (value or "").strip()
    if not value:
        return [field_error(field, _("请填写%(l)s") % {"l": label}, "required")]
    if "/" in value or len(value) > 16:
        return [field_error(field, _("%(l)s不能含“/”,且不超过16个字符") % {"l": label}, "invalid")]
    return []


@transaction.atomic
def estate_create(
    *,
    actor,
    project: Project,
    code: str,
    name: str,
    address: str = "",
    orientation: str = "",
    bands: Sequence[Band] = (),
) -> Estate:
    """A new estate, with its floor rule when `bands` are given."""
    require_permission(actor, "allocation.add_estate")
    require_project_access(actor, project)
    code, name = (code or "").strip(), (name or "").strip()
    errors = _check_code("code", code, _("小区编号"))
    if not name:
        errors.append(field_error("name", _("请填写小区名称"), "required"))
    if code and Estate.objects.filter(project=project, code=code).exists():
        errors.append(
            field_error("code", _("小区编号 %(c)s 在本项目中已存在") % {"c": code}, "duplicate")
        )
    if errors:
        raise invalid_input(errors)
    estate = Estate.objects.create(
        project=project,
        code=code,
        name=name,
        address=(address or "").strip(),
        orientation=(orientation or "").strip(),
    )
    audit_record(
        actor=actor,
        action="estate.create",
        obj=estate,
        payload={"project": project.code, **_estate_facts(estate)},
    )
    if bands:
        floor_rule_set(actor=actor, estate=estate, bands=bands)
    return estate


def _estate_facts(estate: Estate) -> dict[str, str]:
    return {
        "estate": estate.code,
        "name": estate.name,
        "address": estate.address,
        "orientation": estate.orientation,
    }


@transaction.atomic
def estate_update(*, actor, estate: Estate, data: Mapping[str, str]) -> Estate:
    """Change an estate's name, address or housing orientation (its code stays)."""
    require_permission(actor, "allocation.change_estate")
    require_project_access(actor, estate.project_id)
    estate = Estate.objects.select_for_update().select_related("project").get(pk=estate.pk)
    before = _estate_facts(estate)
    fields = [f for f in ("name", "address", "orientation") if f in data]
    for field in fields:
        setattr(estate, field, (data[field] or "").strip())
    if not estate.name:
        raise invalid_input([field_error("name", _("请填写小区名称"), "required")])
    after = _estate_facts(estate)
    if after == before:
        return estate
    estate.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="estate.update",
        obj=estate,
        payload={
            "project": estate.project.code,
            "estate": estate.code,
            "changed": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        },
    )
    return estate


@transaction.atomic
def building_create(*, actor, estate: Estate, code: str, sequence: int, floors: int) -> Building:
    """A building at place `sequence` along the estate's housing orientation."""
    require_permission(actor, "allocation.change_estate")
    code = (code or "").strip()
    errors = _check_code("code", code, _("楼栋号"))
    if not isinstance(sequence, int) or sequence < 1:
        errors.append(field_error("sequence", _("走向顺序必须是正整数")))
    if not isinstance(floors, int) or floors < 1:
        errors.append(field_error("floors", _("层数必须是正整数")))
    existing = Building.objects.filter(estate=estate)
    if code and existing.filter(code=code).exists():
        errors.append(field_error("code", _("楼栋 %(c)s 已存在") % {"c": code}, "duplicate"))
    if isinstance(sequence, int) and existing.filter(sequence=sequence).exists():
        errors.append(
            field_error("sequence", _("走向顺序 %(s)d 已被其他楼栋使用") % {"s": sequence})
        )
    if errors:
        raise invalid_input(errors)
    try:
        floor_tiers(bands_of(estate), range(1, floors + 1))
    except FloorWithoutTier as gap:
        if gap.floor is not None:  # no rule yet: the rule, when set, must cover the building
            raise invalid_input(
                [
                    field_error(
                        "floors",
                        _("%(f)d层不在小区的楼层档次规则内,请先补充规则") % {"f": gap.floor},
                    )
                ]
            ) from None
    return Building.objects.create(estate=estate, code=code, sequence=sequence, floors=floors)


def _area(value: Any, field: str, label: str) -> tuple[Decimal | None, list[dict]]:
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, [field_error(field, _("%(l)s必须是数字") % {"l": label})]
    if not area.is_finite() or area <= 0 or area >= Decimal("100000000"):
        return None, [field_error(field, _("%(l)s必须大于0") % {"l": label})]
    if area != area.quantize(TWO_PLACES):
        return None, [field_error(field, _("%(l)s最多两位小数") % {"l": label})]
    return area.quantize(TWO_PLACES), []


def _demands_using(apartment_type: ApartmentType) -> bool:
    return DemandItem.objects.filter(apartment_type=apartment_type).exists()


@transaction.atomic
def apartment_type_create(
    *, actor, project: Project, code: str, name: str, nominal_area: Any
) -> ApartmentType:
    require_permission(actor, "allocation.add_apartmenttype")
    require_project_access(actor, project)
    code, name = (code or "").strip(), (name or "").strip()
    errors = _check_code("code", code, _("户型编号"))
    if not name:
        errors.append(field_error("name", _("请填写户型名称"), "required"))
    area, area_errors = _area(nominal_area, "nominal_area", _("户型面积"))
    errors += area_errors
    if code and ApartmentType.objects.filter(project=project, code=code).exists():
        errors.append(
            field_error("code", _("户型编号 %(c)s 在本项目中已存在") % {"c": code}, "duplicate")
        )
    if errors:
        raise invalid_input(errors)
    apartment_type = ApartmentType.objects.create(
        project=project, code=code, name=name, nominal_area=area
    )
    audit_record(
        actor=actor,
        action="apartment_type.create",
        obj=apartment_type,
        payload={"project": project.code, "code": code, "name": name, "nominal_area": area},
    )
    return apartment_type


@transaction.atomic
def apartment_type_update(
    *, actor, apartment_type: ApartmentType, name: str, nominal_area: Any
) -> ApartmentType:
    """Rename a type or change its area; the area is fixed once any household chose it."""
    require_permission(actor, "allocation.change_apartmenttype")
    require_project_access(actor, apartment_type.project_id)
    apartment_type = (
        ApartmentType.objects.select_for_update()
        .select_related("project")
        .get(pk=apartment_type.pk)
    )
    name = (name or "").strip()
    errors = [] if name else [field_error("name", _("请填写户型名称"), "required")]
    area, area_errors = _area(nominal_area, "nominal_area", _("户型面积"))
    errors += area_errors
    if errors:
        raise invalid_input(errors)
    if area != apartment_type.nominal_area and _demands_using(apartment_type):
        raise invalid_input(
            [
                field_error(
                    "nominal_area",
                    _("已有安置户选择了户型 %(c)s,其面积不能再改") % {"c": apartment_type.code},
                    "in_use",
                )
            ]
        )
    before = {"name": apartment_type.name, "nominal_area": apartment_type.nominal_area}
    if before == {"name": name, "nominal_area": area}:
        return apartment_type
    apartment_type.name = name
    apartment_type.nominal_area = area
    apartment_type.save(update_fields=["name", "nominal_area"])
    audit_record(
        actor=actor,
        action="apartment_type.update",
        obj=apartment_type,
        payload={
            "project": apartment_type.project.code,
            "code": apartment_type.code,
            "name": [before["name"], name],
            "nominal_area": [before["nominal_area"], area],
        },
    )
    return apartment_type


# An apartment is allocated only by a lottery; people may hold one back or release it.
_STATUS_BY_HAND = (ApartmentStatus.AVAILABLE, ApartmentStatus.WITHHELD)


@transaction.atomic
def apartment_set_status(*, actor, apartment: Apartment, status: str) -> Apartment:
    """Withhold an available apartment from allocation, or make a withheld one available."""
    require_permission(actor, "allocation.change_apartment")
    apartment = Apartment.objects.select_for_update().get(pk=apartment.pk)
    if status not in _STATUS_BY_HAND:
        raise RuleViolation("bad_status", _("房屋状态只能改为“可分配”或“暂不分配”。"))
    if apartment.status == ApartmentStatus.ALLOCATED:
        raise RuleViolation(
            "allocated", _("房屋 %(c)s 已分配到户,状态不能再改。") % {"c": apartment.code}
        )
    if apartment.status != status:
        apartment.status = status
        apartment.save(update_fields=["status"])
    return apartment
