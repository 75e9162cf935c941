"""No spreadsheet the system writes can carry a live formula (issue 11, finding 6).

Every name people type — communities, villager groups, working teams, projects, members,
addresses, apartments — is set to what a spreadsheet would run ("=HYPERLINK(…)", "+1", "-1",
"@x", a tab or carriage return before "="), then every export is downloaded the way staff
download it (each xlsx and csv the system offers) and read back: no cell may begin with a
formula trigger, and the hostile names must be there, as text. A last test finds every
place in the code that writes a workbook or a csv and checks it goes through the one
export-cell function, so an export added later cannot slip past the walk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from allocation.models import Apartment
from allocation.resources import apartments_import
from allocation.services import estates
from allocation.services.estates import Band
from bench._progress_setup import Spec, build_progress_project
from households.models import Community, Household, Member, Project, VillagerGroup
from oversight.models import WorkingTeam
from tests.households.factories import member_data, pass_all
from tests.people import make_user
from tests.xlsx import apartment_row, dataset_of

ROOT = Path(__file__).resolve().parent.parent.parent

HOSTILE = [
    '=HYPERLINK("http://x.cn","点此")',
    "+1",
    "-1",
    "@x",
    "\t=1+2",
    "\r=1+2",
    " =1+2",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _rename_everything(model, field: str) -> None:
    for index, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True)):
        model.objects.filter(pk=pk).update(**{field: HOSTILE[index % len(HOSTILE)]})


@pytest.fixture
def hostile(money, roles, register_in):
    """A project with statements, housing and a dashboard, every name a formula."""
    leader = make_user("leader_x", "leader")
    project = money.project
    estates.estate_create(
        actor=leader,
        project=project,
        code="E1",
        name="南宫河安置小区",
        orientation="自东向西",
        bands=[Band("C", 1, 2), Band("A", 3, 12)],
    )
    estates.apartment_type_create(
        actor=leader, project=project, code="T90", name="90㎡三室", nominal_area="90.00"
    )
    rows = [apartment_row(code=f"1-1-{floor}01", floor=floor) for floor in range(1, 8)]
    assert apartments_import(actor=leader, project=project, dataset=dataset_of(rows)).ok
    build_progress_project(
        "DASH",
        [Spec("registered", group=g, team=g % 3) for g in range(4)],
        actor=leader,
    )
    # A household waiting for review and one waiting for approval (the queues' exports).
    dash_group = VillagerGroup.objects.filter(project__code="DASH").first()
    children = [
        member_data("child", name=f"王{n}", birth_date=dt.date(2000 + n, 1, 1)) for n in range(6)
    ]
    register_in(dash_group, members=[member_data(name="王五"), *children])
    reviewed = register_in(dash_group, members=[member_data(name="赵六")])
    pass_all(reviewed, reviewer=make_user("reviewer_x", "reviewer"))
    for model, field in (
        (Project, "name"),
        (Community, "name"),
        (VillagerGroup, "name"),
        (WorkingTeam, "name"),
        (Member, "name"),
        (Household, "address"),
        (Apartment, "code"),
    ):
        _rename_everything(model, field)
    Member.objects.filter(household=reviewed).update(name=HOSTILE[0])
    return project


def _cells(response) -> list:
    """Every cell of the download: all sheets of an xlsx, every field of a csv."""
    assert response.status_code == 200, response
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    cells.append(cell.value)
        return cells
    text = content.decode("utf-8-sig")
    return [field for row in csv.reader(io.StringIO(text)) for field in row]


def _assert_no_formula(cells: list, *, names: bool) -> None:
    for value in cells:
        if isinstance(value, str) and not NUMBER.fullmatch(value):
            assert not value.startswith(TRIGGERS), repr(value)
    if names:  # the hostile names were exported, as text
        texts = {value for value in cells if isinstance(value, str)}
        assert any(text.startswith("'=HYPERLINK(") for text in texts), texts
        assert any("'+1" in text or "'-1" in text or "'@x" in text for text in texts), texts


def _exports(project) -> list[tuple[str, str, dict | None]]:
    """(label, url, POST data or None for GET): every spreadsheet a user can download."""
    return [
        (
            "roster xlsx (admin)",
            "/admin/households/household/export/",
            {"format": "0", "resource": "0"},
        ),
        (
            "roster csv (admin)",
            "/admin/households/household/export/",
            {"format": "1", "resource": "0"},
        ),
        (
            "apartments xlsx (admin)",
            "/admin/allocation/apartment/export/",
            {"format": "0", "resource": "0"},
        ),
        (
            "apartments csv (admin)",
            "/admin/allocation/apartment/export/",
            {"format": "1", "resource": "0"},
        ),
        (
            "apartments xlsx",
            f"{reverse('allocation:apartment-export')}?project={project.code}",
            None,
        ),
        ("statements xlsx", reverse("settlement:statements-xlsx", args=[project.code]), None),
        ("dashboard xlsx", f"{reverse('oversight:dashboard-export')}?project=DASH", None),
        ("review queue xlsx", f"{reverse('staff:review-export')}?project=DASH", None),
        ("approval queue xlsx", f"{reverse('staff:approval-export')}?project=DASH", None),
    ]


TEMPLATES = ["staff:import-template", "allocation:import-template"]


def test_no_export_writes_a_cell_a_spreadsheet_would_run(client, hostile):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    for label, url, data in _exports(hostile):
        response = client.post(url, data) if data is not None else client.get(url)
        cells = _cells(response)
        try:
            _assert_no_formula(cells, names=True)
        except AssertionError as problem:
            raise AssertionError(f"{label}: {problem}") from None
    for name in TEMPLATES:
        _assert_no_formula(_cells(client.get(reverse(name))), names=False)


def test_an_exported_roster_imports_back_as_it_was(client, hostile):
    """The apostrophe is taken off again on import: "-1" stays "-1", not "'-1"."""
    from households.resources import HouseholdMemberResource
    from resettlement.imports.files import read_roster

    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    data = client.post("/admin/households/household/export/", {"format": "0", "resource": "0"})
    dataset = read_roster(data.content, "xlsx")
    resource = HouseholdMemberResource(project=hostile, user=admin)
    rows = resource.validate_file(dataset)
    names = {row.member.get("name") for row in rows if row.member}
    assert names & set(HOSTILE), names


# Where the code makes a spreadsheet: openpyxl workbooks, csv writers, and the roster
# resources (django-import-export), whose rows pass through AllOrNothingResource.
WRITERS = re.compile(r"\bWorkbook\(|csv\.(?:writer|DictWriter)\(|\bResource\)|ModelResource\)")
ESCAPED = re.compile(r"\bexport_(?:cell|row)\(|\bAllOrNothingResource\b")


def test_every_spreadsheet_the_code_writes_goes_through_the_export_cell_function():
    apps = (
        "households",
        "allocation",
        "lottery",
        "settlement",
        "publicity",
        "oversight",
        "resettlement",
        "tickets",
    )
    writers = []
    for app in apps:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if WRITERS.search(source):
                writers.append(path.relative_to(ROOT).as_posix())
                assert ESCAPED.search(source), f"{path}: writes a spreadsheet without export_cell"
    # The walk above downloads what each of these writes; the bank's batch files (whose
    # holder names are people's) are read back in tests/settlement/test_bank_files.py.
    assert sorted(writers) == [
        "households/import_template.py",
        "households/views/review.py",
        "oversight/export.py",
        "resettlement/imports/base.py",
        "settlement/bank.py",
        "settlement/export/statements.py",
    ]
