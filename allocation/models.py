"""Resettlement housing and what each household asks of it.

Inventory: estate → building (with its place along the estate's housing orientation) →
stair/unit → apartment, each apartment with an A/B/C tier from its estate's floor rule.
Demands: the combination of apartment types a household chooses against its entitlement,
locked before any lottery. The rules that change these rows live in `allocation.services`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households.models import AREA, Household, Project


class Tier(models.TextChoices):
    A = "A", _("A档")
    B = "B", _("B档")
    C = "C", _("C档")


class AllocationPolicy(models.Model):
    """A project's rules for choosing apartment types against the entitlement area."""

    project = models.OneToOneField(
        Project,
        on_delete=models.CASCADE,
        related_name="allocation_policy",
        verbose_name=_("项目"),
    )
    # Choices may exceed the entitlement by at most this much (超面积上限); the excess is
    # bought at the over-area price in settlement. Less than the entitlement is allowed and
    # recorded (under-area, compensated in settlement).
    over_area_cap = models.DecimalField(_("超面积上限(㎡)"), default=Decimal("15.00"), **AREA)

    class Meta:
        verbose_name = _("分房规则")
        verbose_name_plural = pgettext_lazy("plural", "分房规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(over_area_cap__gte=0), name="allocation_policy_cap_non_negative"
            )
        ]

    def __str__(self) -> str:
        return str(self.project)


class ApartmentType(models.Model):
    """An apartment type offered in a project (e.g. 90 ㎡ three-room), with its nominal area:
    the area a household's choice is checked against its entitlement with."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="apartment_types", verbose_name=_("项目")
    )
    code = models.CharField(_("户型编号"), max_length=16)
    name = models.CharField(_("户型名称"), max_length=100)
    nominal_area = models.DecimalField(_("户型面积(㎡)"), **AREA)

    class Meta:
        verbose_name = _("户型")
        verbose_name_plural = pgettext_lazy("plural", "户型")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="apartment_type_code_unique"),
            models.CheckConstraint(
                condition=Q(nominal_area__gt=0), name="apartment_type_area_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class Estate(models.Model):
    """A resettlement estate (安置小区). `orientation` describes its housing orientation
    (房屋走向): the direction buildings are numbered along, as the villagers' resolution
    states it; buildings carry their place along it in `Building.sequence`."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="estates", verbose_name=_("项目")
    )
    code = models.CharField(_("小区编号"), max_length=16)
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    orientation = models.CharField(_("房屋走向"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("安置小区")
        verbose_name_plural = pgettext_lazy("plural", "安置小区")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="estate_code_unique"),
            # Codes become lottery step labels (`<estate>/village`): no slash inside.
            models.CheckConstraint(condition=~Q(code__contains="/"), name="estate_code_no_slash"),
        ]

    def __str__(self) -> str:
        return self.name


class FloorTier(models.Model):
    """One band of the estate's floor rule: floors `floor_from`..`floor_to` are tier X."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="floor_tiers", verbose_name=_("安置小区")
    )
    tier = models.CharField(_("档次"), max_length=1, choices=Tier.choices)
    floor_from = models.PositiveSmallIntegerField(_("起始楼层"))
    floor_to = models.PositiveSmallIntegerField(_("结束楼层"))

    class Meta:
        verbose_name = _("楼层档次")
        verbose_name_plural = pgettext_lazy("plural", "楼层档次")
        ordering = ["estate", "floor_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_to__gte=F("floor_from")) & Q(floor_from__gte=1),
                name="floor_tier_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["A", "B", "C"]), name="floor_tier_tier_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.floor_from}-{self.floor_to}"


class Building(models.Model):
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("安置小区")
    )
    code = models.CharField(_("楼栋号"), max_length=16)
    # The building's place along the estate's housing orientation (1 = first).
    sequence = models.PositiveIntegerField(_("走向顺序"))
    floors = models.PositiveSmallIntegerField(_("层数"))

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = pgettext_lazy("plural", "楼栋")
        ordering = ["estate", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="building_code_unique"),
            models.UniqueConstraint(fields=["estate", "sequence"], name="building_sequence_unique"),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_has_floors"),
        ]

    def __str__(self) -> str:
        return self.code


class Stair(models.Model):
    """A unit/stair (单元) of a building."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="stairs", verbose_name=_("楼栋")
    )
    code = models.CharField(_("单元号"), max_length=16)

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = pgettext_lazy("plural", "单元")
        ordering = ["building", "code"]
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="stair_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.building.code}-{self.code}"


class ApartmentStatus(models.TextChoices):
    AVAILABLE = "available", _("可分配")
    ALLOCATED = "allocated", _("已分配")
    WITHHELD = "withheld", _("暂不分配")


class Orientation(models.TextChoices):
    SOUTH_NORTH = "south_north", _("南北通透")
    SOUTH = "south", _("朝南")
    EAST = "east", _("朝东")
    WEST = "west", _("朝西")
    NORTH = "north", _("朝北")


class Apartment(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("项目")
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("安置小区")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("楼栋")
    )
    stair = models.ForeignKey(
        Stair, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("单元")
    )
    # The room code as residents read it, unique in the project: e.g. "E1-3-2-1502".
    code = models.CharField(_("房号"), max_length=32)
    floor = models.PositiveSmallIntegerField(_("楼层"))
    area = models.DecimalField(_("建筑面积(㎡)"), **AREA)
    apartment_type = models.ForeignKey(
        ApartmentType, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("户型")
    )
    orientation = models.CharField(
        _("朝向"), max_length=16, choices=Orientation.choices, default=Orientation.SOUTH_NORTH
    )
    tier = models.CharField(_("档次"), max_length=1, choices=Tier.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ApartmentStatus.choices,
        default=ApartmentStatus.AVAILABLE,
    )

    class Meta:
        verbose_name = _("安置房")
        verbose_name_plural = pgettext_lazy("plural", "安置房")
        ordering = ["estate", "building__sequence", "stair__code", "floor", "code"]
        permissions = [("import_apartments", _("导入房源"))]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="apartment_code_unique"),
            models.CheckConstraint(condition=Q(area__gt=0), name="apartment_area_positive"),
            models.CheckConstraint(condition=Q(floor__gte=1), name="apartment_floor_positive"),
            models.CheckConstraint(
                condition=Q(tier__in=["A", "B", "C"]), name="apartment_tier_valid"
            ),
        ]
        indexes = [models.Index(fields=["estate", "status"], name="apartment_estate_status")]

    def __str__(self) -> str:
        return self.code


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("待确认")
    LOCKED = "locked", _("已锁定")


class AreaFit(models.TextChoices):
    WITHIN = "within", _("面积相符")
    OVER = "over", _("超面积")
    UNDER = "under", _("面积不足")


class Demand(models.Model):
    """A household's chosen combination of apartment types (户型选择)."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="demand", verbose_name=_("安置户")
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DemandStatus.choices, default=DemandStatus.DRAFT
    )
    # Copied when the choice is made, so the record shows what it was checked against.
    entitlement_area = models.DecimalField(_("应安置面积(㎡)"), **AREA)
    chosen_area = models.DecimalField(_("所选户型面积(㎡)"), **AREA)
    # chosen - entitlement: positive over the entitlement, negative under it.
    area_difference = models.DecimalField(_("面积差(㎡)"), max_digits=10, decimal_places=2)
    area_fit = models.CharField(_("面积情况"), max_length=8, choices=AreaFit.choices)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    chosen_at = models.DateTimeField(_("录入时间"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("锁定人"),
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("户型选择")
        verbose_name_plural = pgettext_lazy("plural", "户型选择")
        ordering = ["project", "household__code"]
        permissions = [("lock_demand", _("锁定户型选择"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(chosen_area__gt=0) & Q(entitlement_area__gte=0),
                name="demand_areas_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="locked")
                | (Q(locked_by__isnull=False) & Q(locked_at__isnull=False)),
                name="demand_locked_has_locker",
            ),
            models.CheckConstraint(
                condition=Q(area_difference=F("chosen_area") - F("entitlement_area")),
                name="demand_difference_consistent",
            ),
        ]

    def __str__(self) -> str:
        return str(self.household)


class DemandItem(models.Model):
    demand = models.ForeignKey(
        Demand, on_delete=models.CASCADE, related_name="items", verbose_name=_("户型选择")
    )
    apartment_type = models.ForeignKey(
        ApartmentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("户型")
    )
    count = models.PositiveSmallIntegerField(_("套数"))

    class Meta:
        verbose_name = _("所选户型")
        verbose_name_plural = pgettext_lazy("plural", "所选户型")
        ordering = ["demand", "apartment_type__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "apartment_type"], name="demand_item_type_unique"
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="demand_item_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.apartment_type.code} x{self.count}"
