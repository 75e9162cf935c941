"""Importing apartments: all rows or none, every problem by row and column."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.core.management import call_command
from django.core.management.base import CommandError

from allocation.import_template import apartment_template
from allocation.models import Apartment, Building, Stair
from allocation.resources import (
    HEADERS,
    ApartmentResource,
    apartments_export,
    apartments_import,
)
from resettlement.errors import NotAllowed
from resettlement.imports.base import import_problems
from resettlement.imports.files import read_roster
from tests.xlsx import apartment_row, apartments_xlsx, dataset_of, read_xlsx


def _good_rows() -> list[dict]:
    return [
        apartment_row(code="1-1-101", floor=1),
        apartment_row(code="1-1-501", floor=5),
        apartment_row(code="1-2-1201", stair="2", floor=12, area="120.5", apartment_type="T120"),
        apartment_row(
            code="2-1-301", building="2", sequence=2, floors=6, floor=3, orientation="朝南"
        ),
    ]


def _problems(report) -> list[tuple[int | None, str]]:
    return [(p.row, p.column) for p in report.problems]


def test_a_good_file_creates_apartments_buildings_and_stairs_with_tiers(
    estate, types, leader, project
):
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(_good_rows()))
    assert report.ok, report.problems
    assert (report.apartments, report.buildings, report.stairs) == (4, 2, 3)
    tiers = dict(Apartment.objects.values_list("code", "tier"))
    assert tiers == {"1-1-101": "C", "1-1-501": "A", "1-2-1201": "B", "2-1-301": "A"}
    apartment = Apartment.objects.get(code="1-2-1201")
    assert apartment.area == Decimal("120.50")
    assert apartment.apartment_type.code == "T120"
    assert apartment.status == "available"
    assert Apartment.objects.get(code="2-1-301").orientation == "south"
    building = Building.objects.get(estate=estate, code="2")
    assert (building.sequence, building.floors) == (2, 6)


def test_a_dry_run_saves_nothing(estate, types, leader, project):
    report = apartments_import(
        actor=leader, project=project, dataset=dataset_of(_good_rows()), dry_run=True
    )
    assert report.ok and report.apartments == 4
    assert not Apartment.objects.exists() and not Building.objects.exists()


def test_a_rows_problems_are_listed_in_the_files_column_order(estate, types, leader, project):
    row = apartment_row(floor="五", area="九十", apartment_type="T75", orientation="东西")

    report = apartments_import(actor=leader, project=project, dataset=dataset_of([row]))

    assert _problems(report) == [(2, "楼层"), (2, "建筑面积"), (2, "户型编号"), (2, "朝向")]


class _BuildingTakenMeanwhile(ApartmentResource):
    """Another leader's import takes building 2's place in the estate's order (sequence 2)
    between this file's checks and its write."""

    def prepare_valid_file(self) -> None:
        estate = self.filled_rows()[0].values["estate"]
        Building.objects.create(estate=estate, code="9", sequence=2, floors=6)
        super().prepare_valid_file()


def test_a_building_created_meanwhile_rolls_back_the_whole_file_with_a_message_about_rooms(
    estate, types, leader, project
):
    resource = _BuildingTakenMeanwhile(project=project, user=leader)

    result = resource.import_data(dataset_of(_good_rows()))

    problems = import_problems(result)
    assert [problem.message for problem in problems] == [
        "保存时发现房号或楼栋刚被他人导入,本次导入已全部撤销,请核对后重新导入。"
    ]
    assert not Apartment.objects.exists()
    assert not Stair.objects.exists()


def test_existing_buildings_and_stairs_are_reused(estate, types, leader, project, building):
    Stair.objects.create(building=building, code="1")
    report = apartments_import(actor=leader, project=project, dataset=dataset_of([apartment_row()]))
    assert report.ok and (report.buildings, report.stairs) == (0, 0)


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (apartment_row(estate="E9"), "小区编号", "E9"),
        (apartment_row(apartment_type="T75"), "户型编号", "T75"),
        (apartment_row(area="九十"), "建筑面积", "九十"),
        (apartment_row(area=0), "建筑面积", "大于0"),
        (apartment_row(area="90.123"), "建筑面积", "两位小数"),
        (apartment_row(floor="五"), "楼层", "正整数"),
        (apartment_row(floor=13, floors=14), "楼层", "13层"),
        (apartment_row(floor=11, floors=10), "楼层", "高于"),
        (apartment_row(floors=14, floor=3), "楼栋层数", "13层"),
        (apartment_row(sequence=0), "楼栋走向顺序", "正整数"),
        (apartment_row(code=None), "房号", "请填写"),
        (apartment_row(orientation="朝天"), "朝向", "朝天"),
    ],
    ids=[
        "unknown-estate",
        "unknown-type",
        "area-not-a-number",
        "area-zero",
        "area-three-decimals",
        "floor-not-a-number",
        "floor-without-tier",
        "floor-above-building",
        "building-taller-than-rule",
        "bad-sequence",
        "missing-code",
        "bad-orientation",
    ],
)
def test_each_bad_cell_is_reported_by_row_and_column_and_nothing_is_saved(
    estate, types, leader, project, row, column, words
):
    rows = [apartment_row(code="1-1-101", floor=1), row]
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(rows))
    assert not report.ok
    assert (3, column) in _problems(report), report.problems
    assert any(words in str(p) and "第 3 行" in str(p) for p in report.problems), report.problems
    assert not Apartment.objects.exists() and not Building.objects.exists()


def test_a_room_code_twice_in_the_file_names_the_first_row(estate, types, leader, project):
    rows = [apartment_row(), apartment_row(floor=6)]
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(rows))
    assert _problems(report) == [(3, "房号")]
    assert "第 2 行" in report.problems[0].message


def test_a_room_code_already_in_the_project_is_refused(estate, types, leader, project):
    assert apartments_import(
        actor=leader, project=project, dataset=dataset_of([apartment_row()])
    ).ok
    report = apartments_import(
        actor=leader,
        project=project,
        dataset=dataset_of([apartment_row(code="X"), apartment_row()]),
    )
    assert _problems(report) == [(3, "房号")]
    assert Apartment.objects.count() == 1


def test_a_buildings_rows_must_agree_and_match_the_database(estate, types, leader, project):
    rows = [apartment_row(code="A"), apartment_row(code="B", floors=11)]
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(rows))
    assert _problems(report) == [(3, "楼栋层数")]
    apartments_import(actor=leader, project=project, dataset=dataset_of([apartment_row()]))
    report = apartments_import(
        actor=leader, project=project, dataset=dataset_of([apartment_row(code="C", sequence=4)])
    )
    assert _problems(report) == [(2, "楼栋走向顺序")]
    assert "已存在" in report.problems[0].message


def test_two_buildings_cannot_share_a_sequence(estate, types, leader, project):
    rows = [apartment_row(code="A"), apartment_row(code="B", building="2")]
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(rows))
    assert _problems(report) == [(3, "楼栋走向顺序")]


def test_an_estate_without_a_floor_rule_is_named(types, leader, project):
    from allocation.services import estates

    estates.estate_create(actor=leader, project=project, code="E2", name="二期")
    report = apartments_import(
        actor=leader, project=project, dataset=dataset_of([apartment_row(estate="E2")])
    )
    assert (2, "楼层") in _problems(report)
    assert "E2" in str(report.problems[0]) and "楼层档次规则" in str(report.problems[0])


def test_wrong_headers_refuse_the_whole_file(estate, types, leader, project):
    headers = [h for h in HEADERS if h != "楼层"] + ["备注"]
    report = apartments_import(
        actor=leader, project=project, dataset=dataset_of([apartment_row()], headers)
    )
    assert len(report.problems) == 1
    message = str(report.problems[0])
    assert "缺少列:楼层" in message and "无法识别的列:备注" in message


def test_a_clerk_may_not_import(estate, types, clerk, project):
    with pytest.raises(NotAllowed):
        apartments_import(actor=clerk, project=project, dataset=dataset_of([apartment_row()]))


def test_the_template_has_every_column_and_imports_once_filled(estate, types, leader, project):
    data = apartment_template()
    rows = read_xlsx(data)
    assert tuple(rows[0]) == HEADERS
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["安置房源", "填表说明"]
    assert "楼层档次规则" in str([c.value for c in book["填表说明"]["A"]])
    sheet = book["安置房源"]
    assert sheet.column_dimensions["F"].number_format == "@"  # 房号 1-1-501 is not a date
    (drop_down,) = sheet.data_validations.dataValidation
    assert str(drop_down.sqref).startswith("J2:")  # 朝向
    assert "南北通透" in drop_down.formula1
    guide = {row[0]: row for row in book["填表说明"].iter_rows(values_only=True) if row}
    assert set(HEADERS) <= set(guide)
    assert "南北通透" in guide["朝向"][3]
    filled = apartments_xlsx([apartment_row()])
    assert apartments_import(actor=leader, project=project, dataset=read_roster(filled, "xlsx")).ok


def test_export_imports_back_into_another_project(estate, types, leader, project):
    apartments_import(actor=leader, project=project, dataset=dataset_of(_good_rows()))
    exported = apartments_export(actor=leader, project=project)
    assert list(exported.headers) == [*HEADERS, "档次", "状态"]
    assert exported.dict[0]["档次"] == "C"
    data = exported.export("xlsx")
    # Delete and import again: the same apartments come back, with the same tiers.
    Apartment.objects.all().delete()
    Stair.objects.all().delete()
    Building.objects.all().delete()
    report = apartments_import(actor=leader, project=project, dataset=read_roster(data, "xlsx"))
    assert report.ok, report.problems
    assert Apartment.objects.count() == 4


def test_the_command_imports_and_reports_problems(estate, types, leader, project, tmp_path):
    good = tmp_path / "rooms.xlsx"
    good.write_bytes(apartments_xlsx(_good_rows()))
    out = io.StringIO()
    call_command(
        "import_apartments",
        str(good),
        project=project.code,
        user=leader.username,
        dry_run=True,
        stdout=out,
    )
    assert "试运行" in out.getvalue() and not Apartment.objects.exists()
    call_command(
        "import_apartments", str(good), project=project.code, user=leader.username, stdout=out
    )
    assert Apartment.objects.count() == 4
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(apartments_xlsx([apartment_row(code="N1", estate="E9")]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_apartments", str(bad), project=project.code, user=leader.username, stderr=err
        )
    assert "第 2 行“小区编号”列" in err.getvalue()


def test_a_renamed_text_file_is_refused(estate, types, leader, project, tmp_path):
    fake = tmp_path / "rooms.xlsx"
    fake.write_bytes(b"not a spreadsheet")
    with pytest.raises(CommandError, match="不是 Excel"):
        call_command("import_apartments", str(fake), project=project.code, user=leader.username)


def test_a_csv_file_imports_too(estate, types, leader, project):
    data = tablib.Dataset(headers=list(HEADERS))
    data.append(["E1", "1", "1", "12", "1", "1-1-501", "5", "91.20", "T90", ""])
    report = apartments_import(
        actor=leader, project=project, dataset=read_roster(data.export("csv").encode(), "csv")
    )
    assert report.ok, report.problems
