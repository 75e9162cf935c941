"""Import and export of households with their members: one row per member, the household's
columns repeated on each of its rows, headers in Chinese (see docs/import.md).

One resource serves the admin (import and export) and `manage.py import_households`, so
both apply the same rules, those of registering a household on the screen
(`households.services.registration`): the field checks of `households.validation`, the
codes and ID numbers already in the project (`household_codes_taken`, `id_numbers_taken`),
and the checks that need the whole file (a household's rows agree, one head per household,
an ID number once per file). The rows are written by the registration service's bulk write
(`households_register_bulk`: who registered, the qualification verdict, the history).

All or nothing: every row is validated in memory before anything is written (one query per
lookup, whatever the file's size); if any row is invalid the import writes nothing and
reports every problem by row (as Excel numbers it: the header is row 1) and column. Valid
files are written in bulk, with a history record per household and member naming the
importing user.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib
from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets
from import_export.fields import Field

from households.access import projects_q
from households.models import (
    Community,
    Household,
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Member,
    Project,
    Relation,
    Sex,
    SpecialStatus,
    VillagerGroup,
)
from households.services.registration import (
    household_codes_taken,
    households_register_bulk,
    id_numbers_taken,
)
from households.validation import clean_household, clean_member, household_member_errors
from resettlement.imports import base
from resettlement.imports.base import (
    AllOrNothingResource,
    ChoiceLabelWidget,
    ImportResult,
    ImportRow,
    TextWidget,
)
from resettlement.imports.files import is_blank
from resettlement.imports.report import ImportReport
from resettlement.masking import Mask
from resettlement.personal_data import shown
from resettlement.spreadsheets import imported_cell
from resettlement.text import clean_text

IMPORT_PERMISSION = "households.import_households"
EXPORT_PERMISSION = "households.export_households"


@dataclass(frozen=True)
class Column(base.Column):
    """One column of the roster. `key` is the field name `households.validation` uses;
    `household` columns are the household's, repeated on each of its members' rows."""

    household: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "户编号",
        12,
        True,
        gettext_lazy("本项目内唯一;只能用字母、数字、-、_。同一户的每一行填相同的户编号。"),
        household=True,
    ),
    Column(
        "community",
        "村/社区编号",
        12,
        True,
        gettext_lazy("本项目已建立的村/社区编号。"),
        household=True,
    ),
    Column(
        "group",
        "村民小组编号",
        12,
        True,
        gettext_lazy("本项目已建立、且属于该村/社区的村民小组编号。"),
        household=True,
    ),
    Column("address", "原住址", 30, False, gettext_lazy("被拆迁房屋的地址。"), household=True),
    Column(
        "phone",
        "联系电话",
        14,
        False,
        gettext_lazy("11位手机号,或带区号的座机号,如 0571-88886666。"),
        household=True,
    ),
    Column(
        "agreement_number",
        "拆迁补偿协议编号",
        18,
        False,
        gettext_lazy("拆迁补偿安置协议上的编号。"),
        household=True,
    ),
    Column(
        "demolished_area",
        "被拆迁房屋面积",
        14,
        False,
        gettext_lazy("单位平方米,最多两位小数;留空按0计。"),
        household=True,
    ),
    Column("name", "姓名", 10, True, gettext_lazy("成员姓名,不超过50个字。")),
    Column(
        "id_number",
        "身份证号",
        22,
        True,
        gettext_lazy("18位居民身份证号,末位可为X。请把此列设为“文本”格式,否则Excel会改掉后几位。"),
    ),
    Column(
        "sex",
        "性别",
        6,
        False,
        gettext_lazy("可留空,按身份证号判断;填写时须与身份证号一致。"),
        choices=Sex,
    ),
    Column(
        "birth_date",
        "出生日期",
        12,
        False,
        gettext_lazy("如 1970-03-15;可留空,按身份证号判断。"),
    ),
    Column(
        "relation",
        "与户主关系",
        12,
        True,
        gettext_lazy("每户有且只有一名户主。"),
        choices=Relation,
    ),
    Column(
        "hukou_nature",
        "户口性质",
        10,
        True,
        gettext_lazy("户口簿上的户口性质。"),
        choices=HukouNature,
    ),
    Column(
        "hukou_moved_in",
        "户口迁入日期",
        14,
        False,
        gettext_lazy("迁入本村的日期,如 2005-08-01;出生即落户的留空。"),
    ),
    Column("hukou_moved_out", "户口迁出日期", 14, False, gettext_lazy("户口未迁出的留空。")),
    Column(
        "marital_status",
        "婚姻状况",
        10,
        False,
        gettext_lazy("留空按“未婚”。"),
        choices=MaritalStatus,
    ),
    Column(
        "special_status",
        "特殊情况",
        22,
        False,
        gettext_lazy("留空按“无”。婚入配偶的婚姻状况须为“已婚”。"),
        choices=SpecialStatus,
    ),
    Column(
        "one_child_certificate",
        "持独生子女证",
        12,
        False,
        gettext_lazy("填“是”或“否”;留空按“否”。"),
    ),
    Column(
        "housing_welfare",
        "已享受住房福利",
        16,
        False,
        gettext_lazy("留空按“未享受”。"),
        choices=HousingWelfare,
    ),
)
HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HOUSEHOLD_KEYS = tuple(column.key for column in COLUMNS if column.household)
_TEXT_KEYS = ("code", "community", "group", "address", "phone", "agreement_number", "name")


class RosterResult(ImportResult):
    """An import's result with what a valid file creates (or, in a dry run, would create)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.households = 0
        self.members = 0


# -- export formatting --------------------------------------------------------------------


class YesNoWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return _("是") if value else _("否")


def _export_field(column: Column) -> Field:
    if column.key in ("code", "community", "group"):
        attribute = {
            "code": "household__code",
            "community": "household__community__code",
            "group": "household__group__code",
        }[column.key]
    elif column.household:
        attribute = f"household__{column.key}"
    else:
        attribute = column.key
    if column.choices is not None:
        widget: widgets.Widget = ChoiceLabelWidget(column.choices)
    elif column.key == "one_child_certificate":
        widget = YesNoWidget()
    else:
        widget = TextWidget()
    return Field(attribute=attribute, column_name=column.header, widget=widget)


# -- reading cells ------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A cell as the validation functions expect it: text stripped, whole numbers as text
    digits (Excel stores 13812345678 as a number), dates and booleans as they are."""
    if value is None:
        return None
    if isinstance(value, str):
        return imported_cell(clean_text(value).strip())
    if isinstance(value, bool | dt.date):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return str(value).strip()


def _chinese_labels() -> dict[str, dict[str, str]]:
    """Per choice column, its Chinese labels to values, whatever the UI language: a roster
    typed in Chinese must import the same when an official works in English."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            column.key: {str(choice.label): choice.value for choice in column.choices}
            for column in COLUMNS
            if column.choices is not None
        }


@dataclass
class _Row(ImportRow):
    """One data row after validation, with its household's and its member's values."""

    household_key: str = ""
    household: dict[str, Any] = field(default_factory=dict)
    community: Community | None = None
    group: VillagerGroup | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    member: dict[str, Any] = field(default_factory=dict)


class HouseholdMemberResource(AllOrNothingResource):
    """Households with members, one row per member. Construct with the project to import
    into and the acting user; `import_data` refuses users without import permission and
    `export` users without export permission."""

    columns = COLUMNS
    import_permission = IMPORT_PERMISSION
    export_permission = EXPORT_PERMISSION
    bad_header_hint = gettext_lazy("表头不正确(%(parts)s)。请使用导入模板,第1行的列名不要改动。")
    no_rows_message = gettext_lazy("文件只有表头,没有成员数据:从第2行起每行填写一名成员。")
    concurrent_message = gettext_lazy(
        "保存时发现户编号或身份证号刚被他人登记,本次导入已全部撤销,请核对后重新导入。"
    )

    code = _export_field(COLUMN_BY_KEY["code"])
    community = _export_field(COLUMN_BY_KEY["community"])
    group = _export_field(COLUMN_BY_KEY["group"])
    address = _export_field(COLUMN_BY_KEY["address"])
    phone = _export_field(COLUMN_BY_KEY["phone"])
    agreement_number = _export_field(COLUMN_BY_KEY["agreement_number"])
    demolished_area = _export_field(COLUMN_BY_KEY["demolished_area"])
    name = _export_field(COLUMN_BY_KEY["name"])
    id_number = _export_field(COLUMN_BY_KEY["id_number"])
    sex = _export_field(COLUMN_BY_KEY["sex"])
    birth_date = _export_field(COLUMN_BY_KEY["birth_date"])
    relation = _export_field(COLUMN_BY_KEY["relation"])
    hukou_nature = _export_field(COLUMN_BY_KEY["hukou_nature"])
    hukou_moved_in = _export_field(COLUMN_BY_KEY["hukou_moved_in"])
    hukou_moved_out = _export_field(COLUMN_BY_KEY["hukou_moved_out"])
    marital_status = _export_field(COLUMN_BY_KEY["marital_status"])
    special_status = _export_field(COLUMN_BY_KEY["special_status"])
    one_child_certificate = _export_field(COLUMN_BY_KEY["one_child_certificate"])
    housing_welfare = _export_field(COLUMN_BY_KEY["housing_welfare"])

    class Meta:
        model = Member
        name = gettext_lazy("安置户及成员(每行一名成员)")
        fields = tuple(column.key for column in COLUMNS)
        import_order = fields
        export_order = fields
        # All or nothing, whatever IMPORT_EXPORT_USE_TRANSACTIONS says.
        use_transactions = True
        # Speed: every row is validated in memory in before_import, so the rows can be
        # written in bulk, new instances need no lookup, and no diff or full_clean is needed.
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        # A member is identified by ID number; an import only ever adds (validation refuses
        # an ID already in the project), so no row needs looking up.
        import_id_fields = ("id_number",)
        force_init_instance = True
        clean_model_instances = False
        report_skipped = False  # blank rows inside the sheet

    def __init__(self, project: Project | None = None, user=None, **kwargs: Any) -> None:
        super().__init__(project=project, user=user, **kwargs)
        self.households: dict[str, Household] = {}
        self._change_reason = ""

    # -- export ---------------------------------------------------------------------------
    # Exporting is the registry roles' work, which see personal data in full; should another
    # role be given it, the file holds what that role sees on the pages.

    def dehydrate_id_number(self, member: Member) -> str:
        return shown(self.user, member.id_number, Mask.ID_NUMBER)

    def dehydrate_phone(self, member: Member) -> str:
        return shown(self.user, member.household.phone, Mask.PHONE)

    # -- import ---------------------------------------------------------------------------

    @classmethod
    def get_result_class(cls) -> type[RosterResult]:
        return RosterResult

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        file_name = kwargs.get("file_name") or ""
        reason = _("Excel导入:%(f)s") % {"f": file_name} if file_name else _("Excel导入")
        self._change_reason = reason[:100]
        super().before_import(dataset, **kwargs)

    def prepare_valid_file(self) -> None:
        self.households = self._new_households()

    def fill_instance(self, instance: Member, current: _Row) -> None:
        for name, value in current.member.items():
            setattr(instance, name, value)
        instance.household = self.households[current.household_key]

    def write_batch(self, members: list[Member], batch_size: int | None) -> None:
        """Register a batch of members and the households they start, through the
        registration service's bulk write (who, the verdicts, the history)."""
        households = {m.household.code: m.household for m in members}
        households_register_bulk(
            actor=self.user,
            project=self.project,
            households=[h for h in households.values() if h.pk is None],
            members=members,
            reason=self._change_reason,
            batch_size=batch_size,
        )

    def do_instance_save(self, instance: Member, is_create: bool) -> None:
        # Row by row (use_bulk off, as the benchmark's baseline runs): the same write, one
        # member at a time; the household is written with its first member.
        self.write_batch([instance], None)

    def count_created(self, result: RosterResult) -> None:
        result.households = len(self.households)
        result.members = len(self.filled_rows())

    # -- validation -----------------------------------------------------------------------

    def validate_file(self, dataset: tablib.Dataset) -> list[_Row]:
        project = self.project
        # .order_by(): the models' default orderings would join the project table.
        communities = {c.code: c for c in Community.objects.filter(project=project).order_by()}
        groups = {g.code: g for g in VillagerGroup.objects.filter(project=project).order_by()}
        position = [dataset.headers.index(column.header) for column in COLUMNS]
        labels = _chinese_labels()
        rows = []
        for number, values in enumerate(dataset, start=2):
            raw = {column.key: values[i] for column, i in zip(COLUMNS, position, strict=True)}
            rows.append(self._validate_row(number, raw, communities, groups, labels))
        filled = [row for row in rows if not row.blank]
        self._check_households(filled)
        self._check_id_numbers(filled)
        return rows

    def _validate_row(self, number, raw, communities, groups, labels) -> _Row:
        row = _Row(number)
        if is_blank(list(raw.values())):
            row.blank = True
            return row
        cells = {key: _cell(value) for key, value in raw.items()}
        for key in _TEXT_KEYS:
            cells[key] = cells[key] if isinstance(cells[key], str) else _text(cells[key])
        for key, by_label in labels.items():
            cells[key] = by_label.get(cells[key], cells[key])

        row.household, household_errors = clean_household(cells)
        row.member, member_errors = clean_member(cells)
        for error in household_errors + member_errors:
            row.add(error.field, error.message)
        if "id_number" in row.errors and isinstance(raw["id_number"], int | float):
            row.add(
                "id_number",
                _(
                    "该单元格是数字格式,Excel只保留15位有效数字;请把“身份证号”列设为文本后重新录入。"
                ),
            )

        community_code, group_code = cells["community"], cells["group"]
        row.community = communities.get(community_code)
        row.group = groups.get(group_code)
        if not community_code:
            row.add("community", _("请填写村/社区编号"))
        elif row.community is None:
            row.add(
                "community",
                _("村/社区编号“%(c)s”在项目 %(p)s 中不存在")
                % {"c": community_code, "p": self.project.code},
            )
        if not group_code:
            row.add("group", _("请填写村民小组编号"))
        elif row.group is None:
            row.add(
                "group",
                _("村民小组编号“%(g)s”在项目 %(p)s 中不存在")
                % {"g": group_code, "p": self.project.code},
            )
        elif row.community is not None and row.group.community_id != row.community.pk:
            row.add(
                "group",
                _("村民小组“%(g)s”不属于村/社区“%(c)s”") % {"g": group_code, "c": community_code},
            )
        row.household_key = row.household["code"] or f"\x00{number}"
        row.signature = {
            **{key: row.household.get(key, "") for key in HOUSEHOLD_KEYS},
            "community": community_code,
            "group": group_code,
        }
        return row

    def _check_households(self, rows: list[_Row]) -> None:
        """A household's rows agree on its columns; one head; the code is new in the project."""
        by_household: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            by_household[row.household_key].append(row)
        codes = [key for key in by_household if not key.startswith("\x00")]
        taken = household_codes_taken(self.project, codes)
        for key, members in by_household.items():
            first = members[0]
            for row in members[1:]:
                for column in HOUSEHOLD_KEYS:
                    if row.signature[column] != first.signature[column]:
                        row.add(
                            column,
                            _("同一户的各行此列应相同:第 %(r)d 行填的是“%(a)s”,本行是“%(b)s”")
                            % {
                                "r": first.number,
                                "a": first.signature[column],
                                "b": row.signature[column],
                            },
                        )
            for index, error in household_member_errors([row.member for row in members]):
                members[index].add(error.field, error.message)
            if key in taken:
                for row in members:
                    row.add("code", taken[key].message)

    def _check_id_numbers(self, rows: list[_Row]) -> None:
        """An ID number once in the file, and not yet registered in the project."""
        first_row: dict[str, _Row] = {}
        for row in rows:
            number = row.member["id_number"]
            if not number:
                continue
            first = first_row.setdefault(number, row)
            # Twice in one household is reported by household_member_errors already.
            if first is not row and first.household_key != row.household_key:
                row.add(
                    "id_number",
                    _("身份证号与第 %(r)d 行重复:同一人在文件中只能出现一次") % {"r": first.number},
                )
        taken = id_numbers_taken(self.project, list(first_row))
        for row in rows:
            error = taken.get(row.member["id_number"])
            if error is not None:
                row.add("id_number", error.message)

    def _new_households(self) -> dict[str, Household]:
        households = {}
        for row in self._rows:
            if row.blank or row.household_key in households:
                continue
            households[row.household_key] = Household(
                community=row.community, group=row.group, **row.household
            )
        return households

    # -- export ---------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[Member]:
        members = Member.objects.select_related("household__community", "household__group")
        if self.user is not None:
            members = members.filter(projects_q(self.user))
        if self.project is not None:
            members = members.filter(project=self.project)
        return members.order_by("household__project_id", "household__code", "pk")

    def filter_export(self, queryset: QuerySet, **kwargs: Any) -> QuerySet[Member]:
        """Accepts members or households (the admin exports its household list)."""
        if queryset.model is Household:
            queryset = self.get_queryset().filter(household__in=queryset.values("pk"))
        return queryset


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(str(value)).strip()


@dataclass(frozen=True)
class RosterImportReport(ImportReport):
    households: int = 0
    members: int = 0


def roster_import(
    *,
    actor,
    project: Project,
    dataset: tablib.Dataset,
    dry_run: bool = False,
    file_name: str = "",
) -> RosterImportReport:
    """Import a roster into `project` as `actor`: all rows or none. With `dry_run`, validate
    and write inside a transaction that is then rolled back."""
    resource = HouseholdMemberResource(project=project, user=actor)
    result = resource.import_data(dataset, dry_run=dry_run, file_name=file_name)
    return RosterImportReport.of(result, dry_run=dry_run)
