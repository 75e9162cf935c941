"""Import and export of apartments (安置房源): one row per apartment, headers in Chinese (see
docs/allocation.md).

The same all-or-nothing rules as the household roster (`households.resources`), and the same
file checks (`resettlement.imports.files`: size, type, zip bombs, safe XML): every row is
validated in memory first (one query per lookup, whatever the file's size); if any row is
wrong nothing is written and every problem is reported by row (as Excel numbers it: the header
is row 1) and column. Buildings and stairs named in the file are created as needed; each
apartment's tier comes from its estate's floor rule, never from the file: the rule is applied by
`allocation.services.estates.floor_tiers`, the one function `apartment_tier` and
`building_create` apply it with too (an apartment's floor, a new building's floors).

One resource serves the admin (import and export), the staff import page and
`manage.py import_apartments`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets
from import_export.fields import Field

from allocation.models import (
    Apartment,
    ApartmentStatus,
    ApartmentType,
    Building,
    Estate,
    FloorTier,
    Orientation,
    Stair,
)
from allocation.services.estates import Band, FloorWithoutTier, floor_tiers
from households.models import Project
from resettlement.imports.base import (
    AllOrNothingResource,
    ChoiceLabelWidget,
    Column,
    ImportResult,
    ImportRow,
    TextWidget,
)
from resettlement.imports.files import is_blank
from resettlement.imports.report import ImportReport
from resettlement.spreadsheets import imported_cell
from resettlement.text import clean_text

IMPORT_PERMISSION = "allocation.import_apartments"
EXPORT_PERMISSION = "allocation.view_apartment"


COLUMNS: tuple[Column, ...] = (
    Column("estate", "小区编号", 10, True, gettext_lazy("本项目已建立的安置小区编号。")),
    Column(
        "building",
        "楼栋号",
        8,
        True,
        gettext_lazy("楼栋编号,如 1、2、E3;没有的楼栋导入时自动建立。"),
    ),
    Column(
        "sequence",
        "楼栋走向顺序",
        12,
        True,
        gettext_lazy(
            "该楼栋在小区房屋走向中的位置,1 为第一栋;同一小区内不能重复,同一楼栋各行相同。"
        ),
    ),
    Column(
        "floors",
        "楼栋层数",
        10,
        True,
        gettext_lazy("该楼栋的地上层数;同一楼栋各行相同,且都在小区楼层档次规则内。"),
    ),
    Column("stair", "单元号", 8, True, gettext_lazy("单元(楼梯)编号,如 1、2。")),
    Column(
        "code",
        "房号",
        16,
        True,
        gettext_lazy("本项目内唯一的房号,如 E1-3-2-1502(不超过32个字符)。"),
    ),
    Column("floor", "楼层", 6, True, gettext_lazy("所在楼层,不能高于楼栋层数;档次由楼层决定。")),
    Column("area", "建筑面积", 10, True, gettext_lazy("单位平方米,大于0,最多两位小数。")),
    Column("apartment_type", "户型编号", 10, True, gettext_lazy("本项目已建立的户型编号。")),
    Column(
        "orientation",
        "朝向",
        10,
        False,
        gettext_lazy("留空按“南北通透”。"),
        choices=Orientation,
    ),
)
HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
# The export adds these two for reading; an import accepts and ignores them, since the tier
# always comes from the floor rule and a new apartment is always available.
EXPORT_ONLY_HEADERS = ("档次", "状态")
_MAX_CODE = {"estate": 16, "building": 16, "stair": 16, "code": 32, "apartment_type": 16}


class ApartmentResult(ImportResult):
    """An import's result with what a valid file creates (or, in a dry run, would create)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apartments = 0
        self.buildings = 0
        self.stairs = 0


# -- reading cells --------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ".0" (Excel stores room 1502 as 1502.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return imported_cell(clean_text(str(value)).strip())


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 1 else None
    text = _text(value)
    if text.isdigit() and int(text) >= 1:
        return int(text)
    return None


def _area(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        area = Decimal(str(value).strip()) if not isinstance(value, float) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        return None
    if not area.is_finite() or area <= 0 or area >= Decimal("100000000"):
        return None
    if area != area.quantize(Decimal("0.01")):
        return None
    return area.quantize(Decimal("0.01"))


def _orientation_labels() -> dict[str, str]:
    """Chinese labels (whatever the UI language) and the stored values, to values."""
    with translation.override(settings.LANGUAGE_CODE):
        labels = {str(label): value for value, label in Orientation.choices}
    return {**labels, **{value: value for value in Orientation.values}}


@dataclass
class _Row(ImportRow):
    """One data row after validation, with its values by column key."""

    values: dict[str, Any] = field(default_factory=dict)


def _export_field(attribute: str, header: str, widget: widgets.Widget) -> Field:
    return Field(attribute=attribute, column_name=header, widget=widget)


class ApartmentResource(AllOrNothingResource):
    """Apartments, one per row. Construct with the project to import into and the acting
    user; `import_data` refuses users without allocation.import_apartments."""

    columns = COLUMNS
    ignored_headers = EXPORT_ONLY_HEADERS
    import_permission = IMPORT_PERMISSION
    export_permission = EXPORT_PERMISSION
    bad_header_hint = gettext_lazy(
        "表头不正确(%(parts)s)。请使用房源导入模板,第1行的列名不要改动。"
    )
    no_rows_message = gettext_lazy("文件只有表头,没有房源数据:从第2行起每行填写一套房。")
    concurrent_message = gettext_lazy(
        "保存时发现房号或楼栋刚被他人导入,本次导入已全部撤销,请核对后重新导入。"
    )

    estate = _export_field("estate__code", "小区编号", TextWidget())
    building = _export_field("building__code", "楼栋号", TextWidget())
    sequence = _export_field("building__sequence", "楼栋走向顺序", TextWidget())
    floors = _export_field("building__floors", "楼栋层数", TextWidget())
    stair = _export_field("stair__code", "单元号", TextWidget())
    code = _export_field("code", "房号", TextWidget())
    floor = _export_field("floor", "楼层", TextWidget())
    area = _export_field("area", "建筑面积", TextWidget())
    apartment_type = _export_field("apartment_type__code", "户型编号", TextWidget())
    orientation = _export_field("orientation", "朝向", ChoiceLabelWidget(Orientation))
    tier = _export_field("tier", "档次", TextWidget())
    status = _export_field("status", "状态", ChoiceLabelWidget(ApartmentStatus))

    class Meta:
        model = Apartment
        name = gettext_lazy("安置房源(每行一套房)")
        fields = (*(column.key for column in COLUMNS), "tier", "status")
        import_order = tuple(column.key for column in COLUMNS)
        export_order = fields
        use_transactions = True  # all or nothing, whatever IMPORT_EXPORT_USE_TRANSACTIONS says
        use_bulk = True  # rows are validated in memory first: write them in bulk
        batch_size = 2000
        skip_diff = True
        import_id_fields = ("code",)  # an import only ever adds: no row is looked up
        force_init_instance = True
        clean_model_instances = False
        report_skipped = False

    def __init__(self, project: Project | None = None, user=None, **kwargs: Any) -> None:
        super().__init__(project=project, user=user, **kwargs)
        self._buildings: dict[tuple[str, str], Building] = {}
        self._stairs: dict[tuple[str, str, str], Stair] = {}
        self._new_buildings = 0
        self._new_stairs = 0

    @classmethod
    def get_result_class(cls) -> type[ApartmentResult]:
        return ApartmentResult

    # -- import ---------------------------------------------------------------------------

    def prepare_valid_file(self) -> None:
        self._create_buildings_and_stairs()

    def fill_instance(self, instance: Apartment, current: _Row) -> None:
        values = current.values
        estate = values["estate"]
        instance.project = self.project
        instance.estate = estate
        instance.building = self._buildings[(estate.code, values["building"])]
        instance.stair = self._stairs[(estate.code, values["building"], values["stair"])]
        instance.code = values["code"]
        instance.floor = values["floor"]
        instance.area = values["area"]
        instance.apartment_type = values["apartment_type"]
        instance.orientation = values["orientation"]
        instance.tier = values["tier"]
        instance.status = ApartmentStatus.AVAILABLE

    def write_batch(self, apartments: list[Apartment], batch_size: int | None) -> None:
        Apartment.objects.bulk_create(apartments, batch_size=batch_size)

    def count_created(self, result: ApartmentResult) -> None:
        result.apartments = len(self.filled_rows())
        result.buildings = self._new_buildings
        result.stairs = self._new_stairs

    # -- validation -----------------------------------------------------------------------

    def validate_file(self, dataset: tablib.Dataset) -> list[_Row]:
        project = self.project
        # .order_by(): the models' default orderings would add joins.
        estates = {e.code: e for e in Estate.objects.filter(project=project).order_by()}
        types = {t.code: t for t in ApartmentType.objects.filter(project=project).order_by()}
        bands: dict[int, list[Band]] = {e.pk: [] for e in estates.values()}
        for tier in FloorTier.objects.filter(estate__project=project).order_by("floor_from"):
            bands[tier.estate_id].append(Band(tier.tier, tier.floor_from, tier.floor_to))
        buildings = {
            (b.estate.code, b.code): b
            for b in Building.objects.filter(estate__project=project)
            .select_related("estate")
            .order_by()
        }
        labels = _orientation_labels()
        position = [dataset.headers.index(column.header) for column in COLUMNS]
        rows = []
        for number, values in enumerate(dataset, start=2):
            raw = {column.key: values[i] for column, i in zip(COLUMNS, position, strict=True)}
            rows.append(self._validate_row(number, raw, estates, types, bands, buildings, labels))
        filled = [row for row in rows if not row.blank]
        self._check_buildings(filled, buildings)
        self._check_codes(filled)
        return rows

    def _validate_row(self, number, raw, estates, types, bands, buildings, labels) -> _Row:
        row = _Row(number)
        if is_blank(list(raw.values())):
            row.blank = True
            return row
        values = row.values
        for key in ("estate", "building", "stair", "code", "apartment_type"):
            text = _text(raw[key])
            values[key] = text
            label = COLUMN_BY_KEY[key].header
            if not text:
                row.add(key, _("请填写%(c)s") % {"c": label})
            elif len(text) > _MAX_CODE[key]:
                row.add(key, _("%(c)s不能超过%(n)d个字符") % {"c": label, "n": _MAX_CODE[key]})
        for key in ("sequence", "floors", "floor"):
            number_value = _positive_int(raw[key])
            values[key] = number_value
            if number_value is None:
                row.add(
                    key,
                    _("“%(v)s”不是正整数") % {"v": _text(raw[key])}
                    if _text(raw[key])
                    else _("请填写%(c)s") % {"c": COLUMN_BY_KEY[key].header},
                )
        values["area"] = _area(raw["area"])
        if values["area"] is None:
            row.add(
                "area",
                _("“%(v)s”不是有效面积:应大于0,最多两位小数") % {"v": _text(raw["area"])}
                if _text(raw["area"])
                else _("请填写建筑面积"),
            )
        orientation = _text(raw["orientation"])
        values["orientation"] = labels.get(orientation) if orientation else Orientation.SOUTH_NORTH
        if values["orientation"] is None:
            row.add(
                "orientation",
                _("朝向“%(v)s”无效,可填:%(c)s")
                % {"v": orientation, "c": "、".join(str(label) for label in Orientation.labels)},
            )

        estate = estates.get(values["estate"])
        if values["estate"] and estate is None:
            row.add(
                "estate",
                _("小区编号“%(c)s”在项目 %(p)s 中不存在")
                % {"c": values["estate"], "p": self.project.code},
            )
        apartment_type = types.get(values["apartment_type"])
        if values["apartment_type"] and apartment_type is None:
            row.add(
                "apartment_type",
                _("户型编号“%(c)s”在项目 %(p)s 中不存在")
                % {"c": values["apartment_type"], "p": self.project.code},
            )
        values["apartment_type"] = apartment_type
        values["estate"] = estate
        if estate is None:
            return row

        existing = buildings.get((estate.code, values["building"]))
        floors = existing.floors if existing is not None else values["floors"]
        floor = values["floor"]
        if floor is not None and floors is not None and floor > floors:
            row.add(
                "floor",
                _("楼层 %(f)d 高于楼栋 %(b)s 的层数 %(n)d")
                % {"f": floor, "b": values["building"], "n": floors},
            )
        estate_bands = bands[estate.pk]
        try:
            tiers = floor_tiers(estate_bands, [] if floor is None else [floor])
        except FloorWithoutTier as gap:
            if gap.floor is None:
                row.add(
                    "floor",
                    _("小区 %(e)s 尚未设置楼层档次规则,无法确定档次") % {"e": estate.code},
                )
            else:
                row.add(
                    "floor",
                    _("%(f)d层不在小区 %(e)s 的楼层档次规则内") % {"f": floor, "e": estate.code},
                )
        else:
            if floor is not None:
                values["tier"] = tiers[floor]
        if existing is None and values["floors"] is not None:
            try:
                floor_tiers(estate_bands, range(1, values["floors"] + 1))
            except FloorWithoutTier as gap:
                if gap.floor is not None:  # no rule yet: reported on the floor above
                    row.add(
                        "floors",
                        _("楼栋有 %(n)d 层,但 %(f)d层不在小区 %(e)s 的楼层档次规则内")
                        % {"n": values["floors"], "f": gap.floor, "e": estate.code},
                    )
        return row

    def _check_buildings(self, rows: list[_Row], buildings: dict) -> None:
        """A building's rows agree on its sequence and floors, which match an existing
        building; a sequence belongs to one building per estate."""
        first_row: dict[tuple[str, str], _Row] = {}
        sequence_owner: dict[tuple[str, int], str] = {
            (estate_code, b.sequence): code for (estate_code, code), b in buildings.items()
        }
        for row in rows:
            estate = row.values.get("estate")
            if estate is None or not row.values["building"]:
                continue
            key = (estate.code, row.values["building"])
            existing = buildings.get(key)
            for field_key in ("sequence", "floors"):
                value = row.values[field_key]
                if value is None:
                    continue
                if existing is not None:
                    known = getattr(existing, field_key)
                    if value != known:
                        row.add(
                            field_key,
                            _("楼栋 %(b)s 已存在,其%(c)s为 %(k)d,本行填的是 %(v)d")
                            % {
                                "b": key[1],
                                "c": COLUMN_BY_KEY[field_key].header,
                                "k": known,
                                "v": value,
                            },
                        )
                    continue
                first = first_row.get(key)
                if first is not None and first.values[field_key] not in (None, value):
                    row.add(
                        field_key,
                        _("同一楼栋的各行此列应相同:第 %(r)d 行填的是 %(a)d,本行是 %(v)d")
                        % {"r": first.number, "a": first.values[field_key], "v": value},
                    )
            first_row.setdefault(key, row)
            sequence = row.values["sequence"]
            if existing is None and sequence is not None:
                owner = sequence_owner.setdefault((estate.code, sequence), key[1])
                if owner != key[1]:
                    row.add(
                        "sequence",
                        _("走向顺序 %(s)d 已属于小区 %(e)s 的楼栋 %(b)s")
                        % {"s": sequence, "e": estate.code, "b": owner},
                    )

    def _check_codes(self, rows: list[_Row]) -> None:
        """A room code once in the file, and not yet in the project."""
        first_row: dict[str, _Row] = {}
        for row in rows:
            code = row.values["code"]
            if not code:
                continue
            first = first_row.setdefault(code, row)
            if first is not row:
                row.add("code", _("房号与第 %(r)d 行重复") % {"r": first.number})
        taken = set(
            Apartment.objects.filter(project=self.project, code__in=list(first_row))
            .order_by()
            .values_list("code", flat=True)
        )
        for row in rows:
            if row.values["code"] in taken:
                row.add("code", _("房号 %(c)s 在本项目中已存在") % {"c": row.values["code"]})

    def _create_buildings_and_stairs(self) -> None:
        """Create the buildings and stairs the file names that do not exist yet."""
        rows = self.filled_rows()
        estates = {row.values["estate"].pk: row.values["estate"] for row in rows}
        self._buildings = {
            (b.estate.code, b.code): b
            for b in Building.objects.filter(estate_id__in=list(estates))
            .select_related("estate")
            .order_by()
        }
        new_buildings = {}
        for row in rows:
            estate = row.values["estate"]
            key = (estate.code, row.values["building"])
            if key not in self._buildings and key not in new_buildings:
                new_buildings[key] = Building(
                    estate=estate,
                    code=key[1],
                    sequence=row.values["sequence"],
                    floors=row.values["floors"],
                )
        Building.objects.bulk_create(new_buildings.values())
        self._buildings.update(new_buildings)
        self._new_buildings = len(new_buildings)
        by_pk = {b.pk: key for key, b in self._buildings.items()}
        self._stairs = {
            (*by_pk[s.building_id], s.code): s
            for s in Stair.objects.filter(building_id__in=list(by_pk)).order_by()
        }
        new_stairs = {}
        for row in rows:
            key = (row.values["estate"].code, row.values["building"], row.values["stair"])
            if key not in self._stairs and key not in new_stairs:
                new_stairs[key] = Stair(building=self._buildings[key[:2]], code=key[2])
        Stair.objects.bulk_create(new_stairs.values())
        self._stairs.update(new_stairs)
        self._new_stairs = len(new_stairs)

    # -- export ---------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[Apartment]:
        apartments = Apartment.objects.select_related(
            "estate", "building", "stair", "apartment_type"
        )
        if self.project is not None:
            apartments = apartments.filter(project=self.project)
        return apartments.order_by(
            "project_id", "estate__code", "building__sequence", "stair__code", "floor", "code"
        )


@dataclass(frozen=True)
class ApartmentImportReport(ImportReport):
    apartments: int = 0
    buildings: int = 0
    stairs: int = 0


def apartments_import(
    *,
    actor,
    project: Project,
    dataset: tablib.Dataset,
    dry_run: bool = False,
) -> ApartmentImportReport:
    """Import apartments into `project` as `actor`: all rows or none. With `dry_run`,
    validate and write inside a transaction that is then rolled back."""
    resource = ApartmentResource(project=project, user=actor)
    result = resource.import_data(dataset, dry_run=dry_run)
    return ApartmentImportReport.of(result, dry_run=dry_run)


def apartments_export(*, actor, project: Project | None = None) -> tablib.Dataset:
    return ApartmentResource(project=project, user=actor).export()
