"""The leaders' oversight pages: who may open them, what they show, the Excel export."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from bench._progress_setup import MONETISED, Spec
from households.models import Project
from oversight.selectors.dashboard import IsoWeek

PAGES = ("/staff/oversight/", "/staff/oversight/export.xlsx", "/staff/oversight/ledger/")


@pytest.fixture
def project(build):
    return build(
        "DASH",
        [
            Spec("registered", group=0, team=0),
            Spec("signed", group=1, team=0),
            Spec("moved_in", group=2, team=1),
            Spec(MONETISED, group=3, team=2),
        ],
    )


@pytest.mark.parametrize("path", PAGES)
def test_a_clerk_is_refused(client, clerk, project, path):
    client.force_login(clerk)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_someone_not_logged_in_is_sent_to_log_in(client, project, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_leader_sees_the_links_and_the_clerk_does_not(client, leader, clerk, project):
    client.force_login(leader)
    page = client.get("/staff/settlement/handover/").content.decode()
    assert 'href="/staff/oversight/"' in page and 'href="/staff/oversight/ledger/"' in page
    client.force_login(clerk)
    page = client.get("/staff/settlement/handover/").content.decode()
    assert "/staff/oversight/" not in page


def test_the_dashboard_shows_each_stage_and_the_teams(client, leader, project):
    client.force_login(leader)
    page = client.get("/staff/oversight/", {"project": "DASH"}).content.decode()
    totals = page[page.index('id="totals"') : page.index('id="ranking"')]
    found = dict(re.findall(r'data-stage="(\w+)"><strong>([\d%]+)</strong>', totals))
    assert found == {
        "registered": "4",
        "qualified": "3",
        "published": "3",
        "drawn": "2",
        "signed": "3",
        "settled": "2",
        "handed_over": "1",
        "moved_in": "1",
        "monetised_share": "33%",
    }
    assert 'data-team="T1"' in page and 'data-community="C0"' in page
    assert 'data-group="C1G1"' in page
    # Charts are inline SVG without style attributes or scripts (content security policy).
    assert "<svg" in page
    assert "style=" not in page.split("<main>")[1]
    assert "<script" not in page.split("<main>")[1]


def test_an_unknown_project_is_not_found_and_a_bad_week_is_this_week(client, leader, project):
    client.force_login(leader)
    assert client.get("/staff/oversight/", {"project": "NOPE"}).status_code == 404
    response = client.get("/staff/oversight/", {"project": "DASH", "week": "2025-W77"})
    assert response.status_code == 200
    assert response.context["week"] == IsoWeek.of(timezone.localdate())


def test_the_export_reads_back_with_every_level(client, leader, project):
    client.force_login(leader)
    response = client.get("/staff/oversight/export.xlsx", {"project": "DASH", "week": "2025-W10"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["项目合计", "村社区", "村民小组", "工作组", "周排名 2025-W10"]
    header, totals = list(workbook["项目合计"].values)
    row = dict(zip(header, totals, strict=True))
    assert row["项目编号"] == "DASH"
    assert (row["已登记"], row["已签协议"], row["已入住"], row["货币化安置"]) == (4, 3, 1, 1)
    assert row["货币化安置率(%)"] == 33
    teams = {r[0]: r for r in list(workbook["工作组"].values)[1:]}
    assert teams["T1"][2] == 2  # registered in team 1
    ranking = list(workbook["周排名 2025-W10"].values)
    assert ranking[0][:3] == ("名次", "编号", "工作组")
    # Week 10 of 2025 is when everything happened: T1's signed household scores 4 stages
    # (its registered one none), T2's moved-in household 7, T3's monetised one 4 (approved,
    # published, signed, settled).
    points = {r[1]: r[-3] for r in ranking[1:]}
    assert points == {"T1": 4, "T2": 7, "T3": 4}
    # T3 and T1 tie on points; T3 signed all its households, T1 half: T3 ranks higher.
    assert [(r[0], r[1]) for r in ranking[1:]] == [(1, "T2"), (2, "T3"), (3, "T1")]


def test_a_leader_of_another_project_sees_nothing_of_this_one(client, roles, project, build):
    from tests.people import grant, make_user

    build("OTHER", [Spec("registered")])
    local = make_user("leader_local", "leader", all_projects=False)
    grant(local, Project.objects.get(code="OTHER"))
    client.force_login(local)
    for path in PAGES:
        assert client.get(path, {"project": "DASH"}).status_code == 404
    page = client.get("/staff/oversight/").content.decode()
    assert "OTHER" in page and "DASH" not in page
