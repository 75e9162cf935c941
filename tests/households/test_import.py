"""Excel import of households with members: all rows or none, every problem by row and
column, the same rules as registering a household on screen."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from io import StringIO

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from import_export.formats.base_formats import CSV, XLSX

from households.models import Household, Member
from households.qualification import HUKOU_AFTER_CUTOFF
from households.resources import HEADERS, HouseholdMemberResource, roster_import
from resettlement.errors import NotAllowed
from resettlement.imports.base import ImportProblem, import_problems
from resettlement.imports.files import FileRejected, read_roster
from tests.households.factories import CommunityFactory, ProjectFactory, VillagerGroupFactory
from tests.households.fixtures import nothing_saved
from tests.xlsx import household_rows, member_row, read_xlsx, roster_csv, roster_xlsx


def import_file(data: bytes, *, actor, project, dry_run=False, kind="xlsx"):
    return roster_import(
        actor=actor, project=project, dataset=read_roster(data, kind), dry_run=dry_run
    )


# -- a good file ------------------------------------------------------------------------


def test_clerk_imports_households_with_members_and_verdicts(clerk, roster_project):
    late = household_rows("H002", group="NGH-2")
    late[2]["hukou_moved_in"] = dt.date(2013, 7, 1)  # a day after the cut-off
    data = roster_xlsx(household_rows("H001") + late)

    report = import_file(data, actor=clerk, project=roster_project)

    assert report.ok, report.problems
    assert (report.households, report.members) == (2, 6)
    h2 = Household.objects.get(project=roster_project, code="H002")
    assert h2.group.code == "NGH-2"
    assert h2.community.code == "NGH"
    assert h2.registered_by == clerk
    assert h2.demolished_area == 180.5
    assert [m.name for m in h2.members.order_by("pk")] == ["王建国", "李秀英", "王小明"]
    child = h2.members.get(name="王小明")
    assert child.relation == "child"
    assert child.hukou_nature == "agricultural"
    assert child.marital_status == "unmarried"
    assert not child.verdict_qualified
    assert child.verdict_failures == f",{HUKOU_AFTER_CUTOFF},"
    assert child.entered_by == clerk
    assert Member.objects.filter(project=roster_project, verdict_qualified=True).count() == 5


def test_every_imported_household_and_member_has_history_naming_the_clerk(clerk, roster_project):
    import_file(
        roster_xlsx(household_rows("H001") + household_rows("H002")),
        actor=clerk,
        project=roster_project,
    )

    households = Household.history.filter(project=roster_project)
    members = Member.history.filter(project=roster_project)
    assert households.count() == 2
    assert members.count() == 6
    for record in [*households, *members]:
        assert record.history_type == "+"
        assert record.history_user == clerk
        assert "Excel导入" in record.history_change_reason


def test_a_household_with_codes_given_as_labels_or_values_imports_the_same(clerk, roster_project):
    rows = household_rows("H001")
    rows[0].update(relation="head", hukou_nature="resident", sex="", one_child_certificate="是")
    rows[1].update(
        marital_status="married", special_status="new_spouse", hukou_moved_in="2013-10-01"
    )

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert report.ok, report.problems
    head = Member.objects.get(project=roster_project, relation="head")
    assert (head.hukou_nature, head.sex, head.one_child_certificate) == ("resident", "M", True)
    assert Member.objects.get(relation="spouse").special_status == "new_spouse"


def test_chinese_labels_import_when_the_official_works_in_english(clerk, roster_project):
    with translation.override("en"):
        report = import_file(
            roster_xlsx(household_rows("H001")), actor=clerk, project=roster_project
        )
    assert report.ok, report.problems


def test_cells_excel_stores_as_numbers_and_dates_are_read_as_people_typed_them(
    clerk, roster_project
):
    rows = household_rows("1001")
    for row in rows:
        row.update(code=1001, phone=13812345678, demolished_area=95.5)
    rows[0]["birth_date"] = dt.datetime(1970, 3, 15)

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert report.ok, report.problems
    household = Household.objects.get(project=roster_project)
    assert (household.code, household.phone, str(household.demolished_area)) == (
        "1001",
        "13812345678",
        "95.50",
    )


def test_a_gbk_csv_saved_by_chinese_excel_imports(clerk, roster_project):
    data = roster_csv(household_rows("H001"), encoding="gb18030")
    report = import_file(data, actor=clerk, project=roster_project, kind="csv")
    assert report.ok, report.problems
    assert Member.objects.filter(project=roster_project).count() == 3


def test_import_takes_the_same_number_of_queries_for_two_or_ten_households(clerk, roster_project):
    def queries_for(households: int) -> int:
        rows = [row for _ in range(households) for row in household_rows()]
        dataset = read_roster(roster_xlsx(rows), "xlsx")
        with CaptureQueriesContext(connection) as captured:
            assert roster_import(actor=clerk, project=roster_project, dataset=dataset).ok
        return len(captured)

    queries_for(1)  # the clerk's permissions are cached from here on
    # Five look-ups (communities, groups, household codes, ID numbers, other projects) and
    # one insert per table, whatever the number of rows in a batch.
    assert queries_for(2) == queries_for(10)


# -- bad rows: nothing saved, every problem listed --------------------------------------


def test_a_file_with_bad_rows_saves_nothing_and_lists_every_problem(clerk, roster_project):
    rows = household_rows("H001")  # rows 2-4: good
    bad_id, other_phone = household_rows("H002")[:2]  # rows 5-6
    bad_id["id_number"] = bad_id["id_number"][:-1] + (
        "1" if bad_id["id_number"][-1] != "1" else "2"
    )
    other_phone["phone"] = "13900000000"
    rows += [
        bad_id,
        other_phone,
        member_row(code="H003", community="ZZ"),  # row 7
        member_row(code="H004", community="XC", group="NGH-1"),  # row 8
        member_row(code="H005", relation="子女"),  # row 9
        member_row(code="H005", relation="配偶", sex_code="F"),  # row 10
        member_row(code="H006", id_number=rows[0]["id_number"]),  # row 11
        member_row(code="H007", phone="12345", hukou_nature=""),  # row 12
    ]

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert report.problems == [
        ImportProblem(5, "身份证号", "身份证号校验码错误,请核对是否录错。"),
        ImportProblem(
            6,
            "联系电话",
            "同一户的各行此列应相同:第 5 行填的是“13812345678”,本行是“13900000000”",
        ),
        ImportProblem(7, "村/社区编号", "村/社区编号“ZZ”在项目 NGH2013 中不存在"),
        ImportProblem(8, "村民小组编号", "村民小组“NGH-1”不属于村/社区“XC”"),
        ImportProblem(9, "与户主关系", "每户必须有且只有一名户主,本户没有户主"),
        ImportProblem(11, "身份证号", "身份证号与第 2 行重复:同一人在文件中只能出现一次"),
        ImportProblem(12, "联系电话", "“12345”不是有效的手机号或座机号"),
        ImportProblem(12, "户口性质", "请填写户口性质"),
    ]
    assert str(report.problems[0]) == "第 5 行“身份证号”列:身份证号校验码错误,请核对是否录错。"
    assert nothing_saved(roster_project)


def test_two_heads_and_a_repeated_id_in_one_household_are_reported_on_their_rows(
    clerk, roster_project
):
    rows = household_rows("H001")
    rows[1]["relation"] = "户主"
    rows[2]["id_number"] = rows[0]["id_number"]
    rows[2]["birth_date"] = rows[0]["birth_date"]
    rows[2]["sex"] = "男"

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert report.problems == [
        ImportProblem(3, "与户主关系", "每户只能有一名户主,本户有多名户主"),
        ImportProblem(4, "身份证号", "身份证号在本户中重复"),
    ]
    assert nothing_saved(roster_project)


def test_an_id_number_already_registered_in_the_project_is_refused(
    clerk, roster_project, registered
):
    rows = household_rows("H001")
    rows[1]["id_number"] = registered.members.get(relation="head").id_number
    rows[1]["birth_date"] = "1970-03-15"
    rows[1]["sex"] = "男"

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert report.problems == [
        ImportProblem(3, "身份证号", "身份证号已在本项目的 H900 户登记"),
    ]
    assert Household.objects.filter(project=roster_project).count() == 1


def test_a_household_code_already_in_the_project_is_refused(clerk, roster_project, registered):
    report = import_file(roster_xlsx(household_rows("H900")), actor=clerk, project=roster_project)
    assert {(p.row, p.column, p.message) for p in report.problems} == {
        (row, "户编号", "户编号 H900 在本项目中已存在") for row in (2, 3, 4)
    }


def test_an_id_number_excel_turned_into_a_number_gets_a_hint(clerk, roster_project):
    rows = household_rows("H001")
    rows[0]["id_number"] = float(rows[0]["id_number"][:17] + "0")

    report = import_file(roster_xlsx(rows), actor=clerk, project=roster_project)

    assert [p.row for p in report.problems] == [2, 2]
    assert "设为文本" in report.problems[1].message


def test_blank_rows_inside_the_sheet_are_skipped_and_rows_keep_excel_numbers(clerk, roster_project):
    rows = household_rows("H001")
    data = roster_xlsx(rows[:1])  # row 2
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    sheet.append([None] * len(HEADERS))  # row 3: blank
    bad = rows[1] | {"name": ""}
    sheet.append([bad.get(k) for k in _keys()])  # row 4
    sheet.append([None] * len(HEADERS))  # trailing blanks
    stream = io.BytesIO()
    book.save(stream)

    report = import_file(stream.getvalue(), actor=clerk, project=roster_project)

    assert report.problems == [ImportProblem(4, "姓名", "姓名不能为空")]


def _keys():
    from households.resources import COLUMNS

    return [column.key for column in COLUMNS]


# -- whole-file refusals ----------------------------------------------------------------


def test_wrong_columns_are_one_error_naming_missing_and_unknown_columns(clerk, roster_project):
    headers = ["户号", *HEADERS[1:], "备注"]
    data = roster_xlsx([], headers, raw_rows=[["H001", *["x"] * (len(headers) - 1)]])

    report = import_file(data, actor=clerk, project=roster_project)

    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.row == 1
    assert "缺少列:户编号" in problem.message
    assert "无法识别的列:户号、备注" in problem.message
    assert nothing_saved(roster_project)


def test_an_empty_file_is_refused(clerk, roster_project):
    with pytest.raises(FileRejected) as empty:
        read_roster(b"", "xlsx")
    assert empty.value.code == "empty_file"
    with pytest.raises(FileRejected) as header_only:
        read_roster(roster_xlsx([]), "xlsx")
    assert header_only.value.code == "no_rows"
    assert "没有成员数据" in header_only.value.message
    with pytest.raises(FileRejected) as blank_sheet:
        read_roster(roster_xlsx([], headers=[]), "xlsx")
    assert blank_sheet.value.code == "empty_file"


@pytest.mark.parametrize(
    "content",
    [
        "户编号,姓名\nH001,张三\n".encode(),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n",
        b"PK\x03\x04 not really a zip",
    ],
    ids=["text", "pdf", "broken-zip"],
)
def test_a_file_that_is_not_really_xlsx_is_refused(content):
    with pytest.raises(FileRejected) as refused:
        read_roster(content, "xlsx")
    assert refused.value.code == "not_xlsx"
    assert "Excel" in refused.value.message


def test_a_zip_that_is_not_a_workbook_is_refused():
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileRejected) as refused:
        read_roster(stream.getvalue(), "xlsx")
    assert refused.value.code == "not_xlsx"


def test_a_pdf_renamed_csv_is_refused():
    with pytest.raises(FileRejected) as refused:
        read_roster(b"%PDF-1.4\n1 0 obj\n", "csv")
    assert refused.value.code == "not_csv"


def test_an_oversized_file_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(FileRejected) as refused:
        read_roster(b"x" * 1001, "xlsx")
    assert refused.value.code == "too_large"


def test_a_file_with_too_many_rows_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 2
    with pytest.raises(FileRejected) as refused:
        read_roster(roster_xlsx(household_rows("H001")), "xlsx")
    assert refused.value.code == "too_many_rows"


def test_a_zip_bomb_is_refused_before_it_is_decompressed(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    stream = io.BytesIO(roster_xlsx(household_rows("H001")))
    with zipfile.ZipFile(stream, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/filler.bin", b"\0" * (5 * 1024 * 1024))
    data = stream.getvalue()
    assert len(data) < 100_000

    with pytest.raises(FileRejected) as refused:
        read_roster(data, "xlsx")
    assert refused.value.code == "zip_bomb"


def test_an_xml_bomb_inside_the_workbook_is_refused():
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed so openpyxl parses safely"
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    original = zipfile.ZipFile(io.BytesIO(roster_xlsx(household_rows("H001"))))
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            content = original.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = laughs.encode()
            bomb.writestr(info.filename, content)

    with pytest.raises(FileRejected) as refused:
        read_roster(stream.getvalue(), "xlsx")
    assert refused.value.code == "unreadable"
    assert any(isinstance(e, DefusedXmlException) for e in _exception_chain(refused.value))


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


# -- dry run, permissions, concurrency --------------------------------------------------


def test_dry_run_checks_everything_and_saves_nothing(clerk, roster_project):
    report = import_file(
        roster_xlsx(household_rows("H001") + household_rows("H002")),
        actor=clerk,
        project=roster_project,
        dry_run=True,
    )
    assert report.ok
    assert (report.households, report.members, report.dry_run) == (2, 6, True)
    assert nothing_saved(roster_project)


def test_reviewer_and_outsider_cannot_import(reviewer, outsider, roster_project):
    dataset = read_roster(roster_xlsx(household_rows("H001")), "xlsx")
    for person in (reviewer, outsider):
        with pytest.raises(NotAllowed):
            roster_import(actor=person, project=roster_project, dataset=dataset)
    assert nothing_saved(roster_project)


class _BlindToRegisteredIDs(HouseholdMemberResource):
    """Misses IDs registered meanwhile, as when another clerk registers one concurrently."""

    def _check_id_numbers(self, rows) -> None:
        pass


def test_a_conflict_found_only_when_saving_rolls_back_the_whole_file(
    clerk, roster_project, registered
):
    rows = household_rows("H001") + household_rows("H002")
    taken = registered.members.get(relation="head")
    rows[4].update(id_number=taken.id_number, birth_date="1970-03-15", sex="男")
    resource = _BlindToRegisteredIDs(project=roster_project, user=clerk)

    result = resource.import_data(read_roster(roster_xlsx(rows), "xlsx"))

    problems = import_problems(result)
    assert len(problems) == 1
    assert "已全部撤销" in problems[0].message
    assert list(Household.objects.filter(project=roster_project)) == [registered]
    assert Member.objects.filter(project=roster_project).count() == 2


class _LookupFails(HouseholdMemberResource):
    def validate_file(self, dataset):
        raise RuntimeError("database went away")


def test_a_failure_while_checking_the_file_is_one_problem_and_saves_nothing(clerk, roster_project):
    resource = _LookupFails(project=roster_project, user=clerk)
    result = resource.import_data(read_roster(roster_xlsx(household_rows("H001")), "xlsx"))

    assert import_problems(result) == [
        ImportProblem(None, "", "导入失败,未保存任何数据:database went away")
    ]
    assert nothing_saved(roster_project)


# -- export -----------------------------------------------------------------------------


def test_export_neutralises_cells_excel_would_run_as_formulas(clerk, registered):
    dataset = HouseholdMemberResource(project=registered.project, user=clerk).export()
    xlsx_rows = read_xlsx(XLSX().export_data(dataset))
    csv_text = CSV().export_data(dataset)

    assert xlsx_rows[0] == list(HEADERS)
    head, spouse = xlsx_rows[1], xlsx_rows[2]
    assert head[HEADERS.index("原住址")] == "'=1+2"
    assert head[HEADERS.index("拆迁补偿协议编号")] == "'-2+3"
    assert head[HEADERS.index("姓名")] == "'+SUM(A1)"
    assert spouse[HEADERS.index("姓名")] == "'@cmd"
    assert head[HEADERS.index("与户主关系")] == "户主"
    for line in csv_text.splitlines()[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line.split(","))


def test_an_export_imports_back_into_another_project_unchanged(clerk, registered, roster_project):
    dataset = HouseholdMemberResource(project=registered.project, user=clerk).export()
    other = ProjectFactory(code="XC2014")
    ngh = CommunityFactory(project=other, code="NGH")
    VillagerGroupFactory(community=ngh, code="NGH-1")

    report = import_file(XLSX().export_data(dataset), actor=clerk, project=other)

    assert report.ok, report.problems
    copy = Household.objects.get(project=other)
    assert (copy.code, copy.address, copy.agreement_number) == ("H900", "=1+2", "-2+3")
    assert sorted(copy.members.values_list("name", flat=True)) == ["+SUM(A1)", "@cmd"]


def test_outsider_cannot_export(outsider, registered):
    with pytest.raises(NotAllowed):
        HouseholdMemberResource(project=registered.project, user=outsider).export()


# -- the management command -------------------------------------------------------------


def test_command_imports_a_file(tmp_path, clerk, roster_project):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(roster_xlsx(household_rows("H001")))
    out = StringIO()

    call_command("import_households", str(path), project="NGH2013", user=clerk.username, stdout=out)

    assert "导入成功:1 户、3 名成员" in out.getvalue()
    record = Household.history.get(code="H001")
    assert record.history_user == clerk
    assert record.history_change_reason == "Excel导入:名册.xlsx"


def test_command_lists_every_error_and_exits_non_zero(tmp_path, clerk, roster_project):
    rows = household_rows("H001")
    rows[0]["name"] = ""
    rows[2]["community"] = "ZZ"
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_xlsx(rows))
    err = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command(
            "import_households", str(path), project="NGH2013", user=clerk.username, stderr=err
        )

    assert failed.value.returncode == 1
    assert "共发现 3 处错误,没有导入任何数据" in str(failed.value)
    assert err.getvalue().splitlines() == [
        "第 2 行“姓名”列:姓名不能为空",
        "第 4 行“村/社区编号”列:村/社区编号“ZZ”在项目 NGH2013 中不存在",
        "第 4 行“村/社区编号”列:同一户的各行此列应相同:第 2 行填的是“NGH”,本行是“ZZ”",
    ]
    assert nothing_saved(roster_project)


def test_command_dry_run_saves_nothing(tmp_path, clerk, roster_project):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(household_rows("H001")))
    out = StringIO()

    call_command(
        "import_households",
        str(path),
        project="NGH2013",
        user=clerk.username,
        dry_run=True,
        stdout=out,
    )

    assert "试运行" in out.getvalue()
    assert nothing_saved(roster_project)


def test_command_refuses_a_renamed_text_file(tmp_path, clerk, roster_project):
    path = tmp_path / "roster.xlsx"
    path.write_text("这不是表格", encoding="utf-8")
    with pytest.raises(CommandError, match="不是 Excel"):
        call_command("import_households", str(path), project="NGH2013", user=clerk.username)
