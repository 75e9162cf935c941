"""The progress dashboard counts each household at every stage it has reached, per project,
community, villager group and working team, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench._progress_setup import MONETISED, Spec, apartments, signed_session, spread
from households.models import Household
from oversight.selectors.dashboard import project_progress
from publicity.models import Publication, PublicationStatus

# One household at each level, in two communities of two groups (C0G0, C0G1, C1G0, C1G1)
# and three teams (the last household assigned to none).
EVERY_STAGE = [
    Spec("registered", group=0, team=0),
    Spec("qualified", group=0, team=0),
    Spec("published", group=1, team=0),
    Spec("drawn", group=1, team=1),
    Spec("signed", group=2, team=1),
    Spec("settled", group=2, team=1),
    Spec("handed_over", group=3, team=2),
    Spec("moved_in", group=3, team=2),
    Spec(MONETISED, group=3, team=None),
]


def stage_counts(counts) -> dict[str, int]:
    return {field: count for field, _label, count, _share in counts.stages()}


@pytest.fixture
def every_stage(build):
    return build("P1", EVERY_STAGE)


def test_project_totals_count_every_stage_reached(every_stage):
    totals = project_progress(every_stage).totals
    assert stage_counts(totals) == {
        "registered": 9,
        "qualified": 8,  # all but the registered one
        "published": 7,  # all but registered and qualified
        "drawn": 5,  # drawn … moved in (the monetised household drew nothing)
        "signed": 5,  # signed … moved in, and the monetised one
        "settled": 4,  # settled, handed over, moved in, monetised
        "handed_over": 2,
        "moved_in": 1,
    }
    assert totals.monetised == 1
    # 1 monetised of 6 whose form of resettlement is decided (5 drawn + 1 monetised).
    assert totals.resolved == 6
    assert totals.monetised_share == 17
    assert totals.share("signed") == 56  # 5 of 9


def test_communities_groups_and_teams_split_the_totals(every_stage):
    progress = project_progress(every_stage)
    communities = {row.code: stage_counts(row.counts) for row in progress.communities}
    assert communities["C0"]["registered"] == 4
    assert communities["C0"]["drawn"] == 1
    assert communities["C1"]["registered"] == 5
    assert communities["C1"]["handed_over"] == 2
    groups = {row.code: row.counts for row in progress.groups}
    assert [groups[code].registered for code in ("C0G0", "C0G1", "C1G0", "C1G1")] == [2, 2, 2, 3]
    assert groups["C1G1"].monetised == 1
    assert groups["C1G0"].settled == 1
    teams = {row.code: row.counts for row in progress.teams}
    assert list(teams) == ["T1", "T2", "T3", "-"]  # the unassigned household last
    assert stage_counts(teams["T1"]) == {
        "registered": 3,
        "qualified": 2,
        "published": 1,
        "drawn": 0,
        "signed": 0,
        "settled": 0,
        "handed_over": 0,
        "moved_in": 0,
    }
    assert teams["T2"].drawn == 3 and teams["T2"].signed == 2 and teams["T2"].settled == 1
    assert teams["T3"].moved_in == 1 and teams["T3"].handed_over == 2
    assert teams["-"].monetised == 1 and teams["-"].registered == 1


def test_a_withdrawn_publication_publishes_nobody(every_stage):
    Publication.objects.filter(project=every_stage).update(
        status=PublicationStatus.WITHDRAWN, withdrawn_reason="名单有误"
    )
    assert project_progress(every_stage).totals.published == 0


def test_a_rehearsal_or_voided_session_draws_nobody(every_stage, office):
    # The qualified and the published household: approved, not drawn.
    first = Household.objects.get(project=every_stage, code="P1-00001")
    second = Household.objects.get(project=every_stage, code="P1-00002")
    estate, (flat_a, flat_b) = apartments(every_stage, 2)
    day = dt.date(2025, 3, 10)
    signed_session(
        every_stage, estate, office, code="R1", day=day, pairs=[(first, flat_a)], rehearsal=True
    )
    signed_session(
        every_stage, estate, office, code="V1", day=day, pairs=[(second, flat_b)], status="voided"
    )
    assert project_progress(every_stage).totals.drawn == 5


def test_another_projects_households_are_not_counted(every_stage, build):
    build("P2", spread(20, groups=4, teams=3))
    assert project_progress(every_stage).totals.registered == 9


def test_query_count_does_not_grow_with_households(build, django_assert_num_queries):
    small = build("SMALL", spread(9, groups=4, teams=3))
    large = build("LARGE", spread(180, groups=4, teams=3))
    with django_assert_num_queries(4):
        small_progress = project_progress(small)
    with django_assert_num_queries(4):
        large_progress = project_progress(large)
    assert small_progress.totals.registered == 9
    assert large_progress.totals.registered == 180
    assert large_progress.totals.moved_in == 20


def test_dashboard_page_queries_do_not_grow_with_households_groups_or_teams(build, client, leader):
    # The large project has more communities, groups and teams too: a query per table row
    # (a team's leader, a group's community) would show.
    small = build("SMALL", spread(9, groups=4, teams=3))
    large = build(
        "LARGE",
        spread(180, groups=12, teams=6),
        communities=4,
        groups_per_community=3,
        teams=6,
    )
    client.force_login(leader)
    counts, rows = [], []
    for project in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/staff/oversight/", {"project": project.code})
        assert response.status_code == 200
        page = response.content.decode()
        rows.append((page.count("data-group="), page.count("data-team=")))
        counts.append(len(queries))
    # Group rows; team rows in the ranking and in the progress table (the large project's
    # unassigned households in a row of their own).
    assert rows == [(4, 3 + 3), (12, 6 + 7)]
    assert counts[0] == counts[1]
