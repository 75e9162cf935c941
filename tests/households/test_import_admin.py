"""The roster import and export in the admin, and the template download for clerks."""

from __future__ import annotations

import io

import openpyxl
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Household, Member
from households.resources import HEADERS
from households.services import registration
from tests.households.factories import household_data, member_data
from tests.households.fixtures import nothing_saved
from tests.xlsx import household_rows, member_row, read_xlsx, roster_csv, roster_xlsx

IMPORT_URL = "/admin/households/household/import/"
PROCESS_URL = "/admin/households/household/process_import/"
EXPORT_URL = "/admin/households/household/export/"


def upload(client, project, data: bytes, name: str = "roster.xlsx"):
    return client.post(
        IMPORT_URL,
        {"project": project.pk, "import_file": SimpleUploadedFile(name, data), "format": ""},
    )


def test_clerk_previews_then_confirms_a_roster_in_the_admin(client, clerk, roster_project):
    client.force_login(clerk)
    page = client.get(IMPORT_URL)
    assert page.status_code == 200
    assert "项目" in page.content.decode()
    assert reverse("staff:import-template") in page.content.decode()

    preview = upload(client, roster_project, roster_xlsx(household_rows("H001")))

    assert preview.status_code == 200
    assert "确认后将导入 1 户、3 名成员" in preview.content.decode()
    assert nothing_saved(roster_project)

    confirm = preview.context["confirm_form"]
    done = client.post(PROCESS_URL, {**confirm.initial, "confirm": "1"})

    assert done.status_code == 302
    household = Household.objects.get(project=roster_project, code="H001")
    assert household.members.count() == 3
    assert Member.history.filter(project=roster_project, history_user=clerk).count() == 3
    assert "导入成功:1 户、3 名成员。" in [m.message for m in get_messages(done.wsgi_request)]


def test_the_household_list_offers_import_and_export_to_a_clerk(client, clerk):
    client.force_login(clerk)
    page = client.get("/admin/households/household/").content.decode()
    assert IMPORT_URL in page
    assert EXPORT_URL in page


def test_a_gbk_csv_previews_in_the_admin(client, clerk, roster_project):
    client.force_login(clerk)
    data = roster_csv(household_rows("H001"), encoding="gb18030")
    preview = upload(client, roster_project, data, "名册.csv")
    assert "确认后将导入 1 户、3 名成员" in preview.content.decode()


def test_a_household_registered_between_preview_and_confirmation_stops_the_import(
    client, clerk, other_clerk, roster_project
):
    client.force_login(clerk)
    preview = upload(client, roster_project, roster_xlsx(household_rows("H001")))
    group = roster_project.groups.get(code="NGH-1")
    registration.household_register(
        actor=other_clerk,
        project=roster_project,
        community=group.community,
        group=group,
        household=household_data(code="H001"),
        members=[member_data()],
    )

    done = client.post(PROCESS_URL, {**preview.context["confirm_form"].initial, "confirm": "1"})

    assert done.status_code == 302
    assert done.url == IMPORT_URL
    shown = [m.message for m in get_messages(done.wsgi_request)]
    assert shown[0] == "导入未完成,没有保存任何数据:共 3 处问题。"
    assert "第 2 行“户编号”列:户编号 H001 在本项目中已存在" in shown
    assert Household.objects.get(project=roster_project).registered_by == other_clerk
    assert not Member.history.filter(project=roster_project, history_user=clerk).exists()


def test_the_admin_lists_every_problem_by_excel_row_and_column(client, clerk, roster_project):
    rows = household_rows("H001")
    rows[1]["name"] = ""
    rows.append(member_row(code="H002", community="ZZ"))
    client.force_login(clerk)

    response = upload(client, roster_project, roster_xlsx(rows))

    page = response.content.decode()
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    assert [(p.row, p.column) for p in response.context["import_problems"]] == [
        (3, "姓名"),
        (5, "村/社区编号"),
    ]
    assert "姓名不能为空" in page
    assert "村/社区编号“ZZ”在项目 NGH2013 中不存在" in page
    assert "Traceback" not in page
    assert nothing_saved(roster_project)


def test_the_admin_refuses_a_renamed_text_file_with_a_clear_message(client, clerk, roster_project):
    client.force_login(clerk)
    response = upload(client, roster_project, "只是文字".encode(), "roster.xlsx")
    assert response.status_code == 200
    assert "文件内容不是 Excel(.xlsx)表格" in response.content.decode()
    assert nothing_saved(roster_project)


def test_the_admin_refuses_an_oversized_file_before_reading_it(
    client, clerk, roster_project, settings
):
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(clerk)
    response = upload(client, roster_project, roster_xlsx(household_rows("H001")))
    assert "文件过大" in response.content.decode()


def test_reviewer_may_export_but_not_import(client, reviewer, roster_project):
    client.force_login(reviewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, roster_project, roster_xlsx(household_rows())).status_code == 403
    assert client.get(EXPORT_URL).status_code == 200
    assert nothing_saved(roster_project)


def test_admin_export_writes_the_roster_with_formula_cells_neutralised(
    client,
    reviewer,
    registered,
):
    client.force_login(reviewer)
    response = client.post(EXPORT_URL, {"format": "0", "resource": "0"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="households-')
    rows = read_xlsx(response.content)
    assert rows[0] == list(HEADERS)
    assert [row[HEADERS.index("姓名")] for row in rows[1:]] == ["'+SUM(A1)", "'@cmd"]
    assert rows[1][HEADERS.index("原住址")] == "'=1+2"


def test_clerk_downloads_the_template_with_its_instructions(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("staff:import-template"))

    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["安置户名册", "填表说明"]
    roster = book["安置户名册"]
    assert [cell.value for cell in roster[1]] == list(HEADERS)
    assert roster.max_row == 1
    assert roster.column_dimensions["I"].number_format == "@"  # 身份证号 stays text
    guide = [row for row in book["填表说明"].iter_rows(values_only=True)]
    explained = {row[0]: row for row in guide if row and row[0] in HEADERS}
    assert set(explained) == set(HEADERS)
    assert "户主" in explained["与户主关系"][3]


def test_reviewer_cannot_download_the_template_and_visitors_must_log_in(client, reviewer):
    url = reverse("staff:import-template")
    assert client.get(url).status_code == 302
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
